"""The evaluation floors change only through a recorded snapshot: tests/evaluation/floors-history.jsonl.

Each line is a snapshot {"date", "why", "floors", "lowered": {"section/key": reason}}. The newest snapshot
must equal floors.json, and every floor that became easier between two snapshots (a minimum lowered, a
"max ..." ceiling raised, a floor or a section removed) must be named in the later snapshot's "lowered",
with its reason. So a floor can go down only with an explicit, reviewed record — never quietly.
"""

from __future__ import annotations

import json
from pathlib import Path

EVALUATION = Path(__file__).resolve().parents[1] / "evaluation"


def _snapshots() -> list[dict]:
    lines = (EVALUATION / "floors-history.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _pinned(floors: dict) -> dict[str, float]:
    return {
        f"{section}/{key}": value
        for section, values in floors.items()
        if isinstance(values, dict)
        for key, value in values.items()
        if not key.startswith("_")
    }


def easier(before: dict, after: dict) -> set[str]:
    """The floors of `before` that `after` relaxes or drops."""
    old, new = _pinned(before), _pinned(after)

    def relaxed(name: str, value: float) -> bool:
        if name not in new:
            return True
        ceiling = name.split("/", 1)[1].startswith("max ")
        return new[name] > value if ceiling else new[name] < value

    return {name for name, value in old.items() if relaxed(name, value)}


def test_floors_json_is_the_newest_snapshot() -> None:
    current = json.loads((EVALUATION / "floors.json").read_text(encoding="utf-8"))
    assert _snapshots()[-1]["floors"] == current, "floors.json changed without a snapshot in floors-history.jsonl"


def test_every_lowered_floor_is_recorded_with_its_reason() -> None:
    snapshots = _snapshots()
    for before, after in zip(snapshots, snapshots[1:], strict=False):
        recorded = {name for name, reason in after.get("lowered", {}).items() if reason.strip()}
        section_recorded = {name.split("/", 1)[0] for name in recorded if "/" not in name} | {
            name for name in recorded if "/" not in name
        }
        unrecorded = {
            n for n in easier(before["floors"], after["floors"]) - recorded if n.split("/")[0] not in section_recorded
        }
        assert not unrecorded, f"{after['date']}: floors lowered without a recorded reason: {sorted(unrecorded)}"


def test_the_check_sees_a_quiet_lowering() -> None:
    before = {"s": {"recall": 0.9, "max false alarms": 0.02}}
    after = {"s": {"recall": 0.85, "max false alarms": 0.03}}
    assert easier(before, after) == {"s/recall", "s/max false alarms"}
    assert easier(after, before) == set()

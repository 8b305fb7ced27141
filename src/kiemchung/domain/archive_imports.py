"""An archive import started from the web (issue 11, item 12): the record of one uploaded file and how far its
import has come. Pure.

The work itself is the command line's (`services/archive.py`): the same parsers, the same rules, the same
per-line report. This module only says what a job is, which files are taken, and how its lines are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

STATES = ("queued", "running", "done", "failed")
FINISHED = frozenset({"done", "failed"})
FORMATS = ("auto", "jsonl", "csv", "claimreview", "html")
# What an uploaded file's name may end with, and the format it is read as (the CLI's `detect_format` agrees).
SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".json": "claimreview",
    ".jsonld": "claimreview",
    ".html": "html",
    ".htm": "html",
}
MAX_LISTED = 10_000  # problems kept per job (the counts stay exact beyond it)
MAX_NAME = 200


@dataclass(frozen=True)
class LineProblem:
    """One line of the file: rejected (not imported, with the reason) or noted (imported, a field cut)."""

    line: int
    reason: str
    kind: str  # rejected | note

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason, "kind": self.kind}


@dataclass(frozen=True)
class ArchiveImport:
    """One uploaded archive file and its import: queued, running (lines read so far), done or failed."""

    id: int
    organisation_id: int
    file_name: str
    format: str
    size: int
    state: str
    lines_total: int
    lines_read: int
    imported: int
    rejected: int
    notes: int
    problems: tuple[LineProblem, ...]
    requested_by: str | None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def rejected_lines(self) -> list[LineProblem]:
        return [p for p in self.problems if p.kind == "rejected"]

    @property
    def noted_lines(self) -> list[LineProblem]:
        return [p for p in self.problems if p.kind == "note"]

    @property
    def listed_all(self) -> bool:
        """Whether every rejected and noted line is listed (MAX_LISTED keeps a huge file's list bounded)."""
        return len(self.problems) >= self.rejected + self.notes

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return min(99, 100 * self.lines_read // self.lines_total) if self.lines_total else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "file_name": self.file_name, "format": self.format, "size": self.size,
            "state": self.state, "finished": self.finished, "lines_total": self.lines_total,
            "lines_read": self.lines_read, "imported": self.imported, "rejected": self.rejected,
            "notes": self.notes, "problems": [p.as_json() for p in self.problems],
            "requested_by": self.requested_by, "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None, "error": self.error,
        }  # fmt: skip


def format_of(file_name: str, chosen: str) -> str | None:
    """The format a file is read as: the one chosen, else the one its name says; None when neither says."""
    if chosen != "auto":
        return chosen if chosen in FORMATS else None
    return SUFFIXES.get(PurePath(file_name).suffix.lower())


def count_lines(data: bytes) -> int:
    """The lines of a file as the import numbers them (a last line without its line break counts)."""
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def shown_name(file_name: str) -> str:
    """The uploaded file's own name (no folders, no control characters), at most MAX_NAME characters."""
    name = PurePath(file_name.replace("\\", "/")).name
    name = "".join(c for c in name if c.isprintable())
    return name[:MAX_NAME] or "upload"

"""Each organisation's evidence index saved on disk, so that a process starting up reads it instead of building it
from the stored documents (147 s at 100k passages): DATA_DIR/index/evidence/<organisation id>/, beside the matching
index. The saved index carries the stamp of the library it reflects (the documents' count and newest change,
store/evidence_library.py `LibraryState`); the service compares it with the database before using it and
brings it up to date (services/evidence_library.py `_refresh`).

Saving writes a sibling directory and swaps it in (`EvidenceIndex.save`), under an exclusive lock on
`<organisation id>.lock` that readers share: a crash never leaves a half index under the name, and two processes
never write one at once. An index that cannot be read (damaged, another format or static-vectors artifact) is
ignored, with a log line: the library is then built from the database.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from kiemchung.evidence.retrieval import EvidenceIndex
from kiemchung.settings import Settings
from kiemchung.store.evidence_library import LibraryState

log = logging.getLogger(__name__)


def index_directory(settings: Settings, organisation_id: int) -> Path:
    return settings.index_dir / "evidence" / str(organisation_id)


def stamp(state: LibraryState) -> dict[str, object]:
    return {"count": state.count, "last_update": state.last_update.isoformat() if state.last_update else None}


def state_of(saved: dict[str, object]) -> LibraryState:
    """The stamp read back (KeyError, ValueError or TypeError when it is not one)."""
    count, last_update = saved["count"], saved["last_update"]
    if not isinstance(count, int) or not (last_update is None or isinstance(last_update, str)):
        raise TypeError(f"not a library stamp: {saved!r}")
    return LibraryState(count, datetime.fromisoformat(last_update) if last_update else None)


@contextmanager
def _locked(directory: Path, exclusive: bool) -> Iterator[None]:
    lock = directory.with_name(directory.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:  # closing it releases the lock
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield


def save_index(directory: Path, index: EvidenceIndex, state: LibraryState) -> None:
    """Save the index with the stamp of the library it reflects (at least: it may hold later documents too)."""
    with _locked(directory, exclusive=True):
        index.save(directory, stamp(state))


def load_index(directory: Path) -> tuple[EvidenceIndex, LibraryState] | None:
    """The saved index and its stamp; None when there is none or it cannot be used (logged: it is rebuilt)."""
    if not (directory / "meta.json").exists():
        return None
    try:
        with _locked(directory, exclusive=False):
            found = EvidenceIndex.load(directory)
        if found is None:
            log.info("the evidence index in %s was saved by another version: it is rebuilt", directory)
            return None
        index, saved = found
        return index, state_of(saved)
    except Exception as exc:  # noqa: BLE001 - a damaged index is rebuilt, never a failed search
        log.warning("the evidence index in %s cannot be read (%s: %s): it is rebuilt", directory,
                    type(exc).__name__, exc)  # fmt: skip
        return None

"""Archive imports started from the web: the only place that writes SQL about them.

A job is claimed by one worker at a time (a conditional UPDATE: queued, or running with a heartbeat older than
`stale_before`, the trace of a server that stopped mid-import); the uploaded file is dropped when it ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from kiemchung.domain.archive_imports import ArchiveImport, LineProblem
from kiemchung.store import jobs
from kiemchung.store.database import Database, aware
from kiemchung.store.schema import archive_imports, users

_COLUMNS = [c for c in archive_imports.c if c.name != "data"]
_SELECT = select(*_COLUMNS, users.c.display_name.label("requester")).select_from(
    archive_imports.outerjoin(users, users.c.id == archive_imports.c.requested_by)
)


@dataclass(frozen=True)
class NewImport:
    """What a request stores: who, for which organisation, and the file."""

    organisation_id: int
    user_id: int | None
    token_id: int | None
    file_name: str
    format: str
    data: bytes
    lines_total: int


@dataclass(frozen=True)
class Progress:
    lines_read: int
    imported: int
    rejected: int
    notes: int


@dataclass(frozen=True)
class Payload:
    """A claimed job's file and the ids its audit entry names."""

    job: ArchiveImport
    data: bytes
    user_id: int | None
    token_id: int | None


def _job(row: Any) -> ArchiveImport:
    return ArchiveImport(
        id=row.id, organisation_id=row.organisation_id, file_name=row.file_name, format=row.format, size=row.size,
        state=row.state, lines_total=row.lines_total, lines_read=row.lines_read, imported=row.imported,
        rejected=row.rejected, notes=row.notes,
        problems=tuple(LineProblem(int(p["line"]), str(p["reason"]), str(p["kind"])) for p in row.problems or ()),
        requested_by=row.requester, created_at=aware(row.created_at), started_at=aware(row.started_at),
        finished_at=aware(row.finished_at), error=row.error,
    )  # fmt: skip


class ArchiveImportStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def add(connection: Connection, new: NewImport) -> int:
        """A queued job holding the file, inside the caller's transaction (its audit entry beside it)."""
        values: dict[str, Any] = {
            "organisation_id": new.organisation_id, "requested_by": new.user_id, "token_id": new.token_id,
            "file_name": new.file_name, "format": new.format, "size": len(new.data), "data": new.data,
            "state": "queued", "lines_total": new.lines_total, "problems": [], "created_at": datetime.now(UTC),
        }  # fmt: skip
        inserted = connection.execute(archive_imports.insert().values(**values)).inserted_primary_key
        assert inserted is not None
        return int(inserted[0])

    def get(self, job_id: int, organisation_id: int) -> ArchiveImport | None:
        """The job if `organisation_id` owns it (another organisation's is None, as a missing one)."""
        query = _SELECT.where(archive_imports.c.id == job_id, archive_imports.c.organisation_id == organisation_id)
        with self.database.read() as connection:
            row = connection.execute(query).first()
        return _job(row) if row else None

    def recent(self, organisation_id: int, limit: int = 20) -> list[ArchiveImport]:
        query = _SELECT.where(archive_imports.c.organisation_id == organisation_id)
        with self.database.read() as connection:
            rows = connection.execute(query.order_by(archive_imports.c.id.desc()).limit(limit)).all()
        return [_job(r) for r in rows]

    def waiting(self, stale_before: datetime, limit: int = 10) -> list[int]:
        """Jobs to work: queued, or running with a heartbeat older than `stale_before`; oldest first."""
        return jobs.waiting(self.database, archive_imports, stale_before, limit)

    def claim(self, job_id: int, stale_before: datetime) -> Payload | None:
        """Take the job (None when another worker holds it or it has ended): running, counts back to zero (a
        job taken up again starts over; importing a record twice updates it, never doubles it)."""
        with self.database.write() as connection:
            if not jobs.take(connection, archive_imports, job_id, stale_before, lines_read=0, imported=0, rejected=0,
                             notes=0, problems=[]):  # fmt: skip
                return None
            row = connection.execute(_SELECT.where(archive_imports.c.id == job_id)).one()
            extra = connection.execute(
                select(archive_imports.c.data, archive_imports.c.requested_by, archive_imports.c.token_id).where(
                    archive_imports.c.id == job_id
                )
            ).one()
        return Payload(_job(row), bytes(extra.data or b""), extra.requested_by, extra.token_id)

    def progress(self, job_id: int, progress: Progress) -> None:
        jobs.beat(self.database, archive_imports, job_id, lines_read=progress.lines_read, imported=progress.imported,
                  rejected=progress.rejected, notes=progress.notes)  # fmt: skip

    @staticmethod
    def finish(
        connection: Connection, job_id: int, progress: Progress, problems: Sequence[LineProblem], error: str | None
    ) -> None:
        """Done (or failed, with the error), the file dropped; inside the caller's transaction."""
        connection.execute(
            update(archive_imports).where(archive_imports.c.id == job_id)
            .values(state="failed" if error else "done", finished_at=datetime.now(UTC), data=None, error=error,
                    lines_read=progress.lines_read, imported=progress.imported, rejected=progress.rejected,
                    notes=progress.notes, problems=[p.as_json() for p in problems])
        )  # fmt: skip

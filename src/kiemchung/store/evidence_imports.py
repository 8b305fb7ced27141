"""PDFs uploaded to an evidence library, read in the background (services/evidence_imports.py): the only place
that writes SQL about them. A job holds the PDF until it is read; its end (the documents' counts, or why it
failed) is written in the transaction that stores the document (store/evidence_library.py), and the file is
dropped then. Every read names the organisation: another organisation's job is None, as a missing one is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from kiemchung.store import jobs
from kiemchung.store.database import Database, aware
from kiemchung.store.schema import evidence_imports, users

FINISHED = frozenset({"done", "failed"})
_COLUMNS = [c for c in evidence_imports.c if c.name != "data"]
_SELECT = select(*_COLUMNS, users.c.display_name.label("requester")).select_from(
    evidence_imports.outerjoin(users, users.c.id == evidence_imports.c.requested_by)
)


@dataclass(frozen=True)
class EvidenceImport:
    """One uploaded PDF: queued, running (pages read so far), done (the document stored) or failed (why)."""

    id: int
    organisation_id: int
    file_name: str
    size: int
    state: str
    pages_total: int
    pages_read: int
    added: int
    updated: int
    unchanged: int
    scanned: bool
    requested_by: str | None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "file_name": self.file_name, "size": self.size, "state": self.state,
            "finished": self.finished, "pages_total": self.pages_total, "pages_read": self.pages_read,
            "added": self.added, "updated": self.updated, "unchanged": self.unchanged, "scanned": self.scanned,
            "requested_by": self.requested_by, "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None, "error": self.error,
        }  # fmt: skip


@dataclass(frozen=True)
class NewPdfImport:
    organisation_id: int
    user_id: int | None
    token_id: int | None
    file_name: str
    data: bytes


@dataclass(frozen=True)
class PdfPayload:
    """A claimed job's PDF and the ids its audit entry names."""

    job: EvidenceImport
    data: bytes
    user_id: int | None
    token_id: int | None


@dataclass(frozen=True)
class PdfOutcome:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    scanned: bool = False
    error: str | None = None
    pages: int | None = None  # the PDF's pages, all read


def _job(row: Any) -> EvidenceImport:
    return EvidenceImport(
        id=row.id, organisation_id=row.organisation_id, file_name=row.file_name, size=row.size, state=row.state,
        pages_total=row.pages_total, pages_read=row.pages_read, added=row.added, updated=row.updated,
        unchanged=row.unchanged, scanned=bool(row.scanned), requested_by=row.requester,
        created_at=aware(row.created_at), started_at=aware(row.started_at), finished_at=aware(row.finished_at),
        error=row.error,
    )  # fmt: skip


class EvidenceImportStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def add(connection: Connection, new: NewPdfImport) -> int:
        """A queued job holding the PDF, inside the caller's transaction."""
        inserted = connection.execute(evidence_imports.insert().values(
            organisation_id=new.organisation_id, requested_by=new.user_id, token_id=new.token_id,
            file_name=new.file_name, size=len(new.data), data=new.data, state="queued", created_at=datetime.now(UTC),
        )).inserted_primary_key  # fmt: skip
        assert inserted is not None
        return int(inserted[0])

    def get(self, job_id: int, organisation_id: int) -> EvidenceImport | None:
        """The job if `organisation_id` owns it (another organisation's is None, as a missing one)."""
        query = _SELECT.where(evidence_imports.c.id == job_id, evidence_imports.c.organisation_id == organisation_id)
        with self.database.read() as connection:
            row = connection.execute(query).first()
        return _job(row) if row else None

    def waiting(self, stale_before: datetime, limit: int = 10) -> list[int]:
        return jobs.waiting(self.database, evidence_imports, stale_before, limit)

    def claim(self, job_id: int, stale_before: datetime) -> PdfPayload | None:
        """Take the job (None when another worker holds it or it has ended), its pages back to zero."""
        with self.database.write() as connection:
            if not jobs.take(connection, evidence_imports, job_id, stale_before, pages_read=0):
                return None
            row = connection.execute(_SELECT.where(evidence_imports.c.id == job_id)).one()
            extra = connection.execute(
                select(evidence_imports.c.data, evidence_imports.c.requested_by, evidence_imports.c.token_id)
                .where(evidence_imports.c.id == job_id)
            ).one()  # fmt: skip
        return PdfPayload(_job(row), bytes(extra.data or b""), extra.requested_by, extra.token_id)

    def progress(self, job_id: int, pages_read: int, pages_total: int) -> None:
        jobs.beat(self.database, evidence_imports, job_id, pages_read=pages_read, pages_total=pages_total)

    @staticmethod
    def finish(connection: Connection, job_id: int, outcome: PdfOutcome) -> None:
        """Done (or failed, with the reason), the file dropped; inside the caller's transaction."""
        pages = {} if outcome.pages is None else {"pages_read": outcome.pages, "pages_total": outcome.pages}
        connection.execute(
            update(evidence_imports).where(evidence_imports.c.id == job_id)
            .values(state="failed" if outcome.error else "done", finished_at=datetime.now(UTC), data=None,
                    added=outcome.added, updated=outcome.updated, unchanged=outcome.unchanged,
                    scanned=outcome.scanned, error=outcome.error, **pages)
        )  # fmt: skip

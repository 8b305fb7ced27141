"""PDFs uploaded to an evidence library (issue 14), read in the background: a hostile or huge PDF never holds a
web worker. The request checks what needs no parsing (size, empty, a PDF's header), stores the file with a queued
job and answers at once; a background thread of the server (services/background.py) reads it with the command
line's parser (`read_pdf`), records pages read as it goes, and stores the document, its archived copy, its
`evidence.import` audit entry and the job's outcome in one transaction. A PDF that cannot be read ends the job
"failed" with the reason; one with no text layer is stored and reported as scanned. A job left running by a
stopped server (no heartbeat for STALE_S) is read again when a server starts. A job is its organisation's: another
organisation's is "not found".
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from kiemchung.domain.accounts import TRIAGE, Actor
from kiemchung.errors import InputError, NotFoundError
from kiemchung.services.background import BackgroundJobs, Ticker
from kiemchung.services.evidence_library import EvidenceLibrary, ImportSummary, pdf_name
from kiemchung.store.database import Database
from kiemchung.store.evidence_imports import EvidenceImport, EvidenceImportStore, NewPdfImport, PdfOutcome, PdfPayload

log = logging.getLogger(__name__)
STALE_S = 120.0  # a running job without a heartbeat for this long was left by a stopped server


class EvidenceImports:
    def __init__(self, database: Database, library: EvidenceLibrary, stale_s: float = STALE_S) -> None:
        self.database = database
        self.library = library
        self.stale_s = stale_s
        self.store = EvidenceImportStore(database)
        self.jobs = BackgroundJobs("evidence-import", lambda: self.store.waiting(self._stale_before()), self._work_one)

    def request(self, actor: Actor, file_name: str, data: bytes) -> EvidenceImport:
        """Queue the PDF's reading (InputError when it cannot be one: too large, empty, not a PDF) and start it
        in the background."""
        actor.require(TRIAGE)
        self.library.check_pdf(data)
        new = NewPdfImport(actor.organisation_id, actor.user_id, actor.token_id, pdf_name(file_name), data)
        with self.database.write() as connection:
            job_id = EvidenceImportStore.add(connection, new)
        self.jobs.submit(job_id)
        return self.status(actor, job_id)

    def status(self, actor: Actor, job_id: int) -> EvidenceImport:
        actor.require(TRIAGE)
        found = self.store.get(job_id, actor.organisation_id)
        if found is None:
            raise NotFoundError(f"no evidence import {job_id}")
        return found

    # -- working a job ------------------------------------------------------------------------------------

    def run_waiting(self) -> int:
        """Read every queued PDF (and any a stopped server left running); how many this worker did."""
        return self.jobs.run_waiting()

    def _stale_before(self) -> datetime:
        return datetime.now(UTC) - timedelta(seconds=self.stale_s)

    def _work_one(self, job_id: int, _stop: threading.Event) -> int:
        payload = self.store.claim(job_id, self._stale_before())
        if payload is None:
            return 0
        self._read(payload)
        return 1

    def _read(self, payload: PdfPayload) -> None:
        job = payload.job
        requester = Actor("", job.organisation_id, user_id=payload.user_id, token_id=payload.token_id)
        pages = [0, 0]  # read, of
        ticker = Ticker(lambda: self.store.progress(job.id, *pages))

        def on_page(read: int, total: int) -> None:
            pages[:] = [read, total]
            ticker.tick()

        def finish(connection: Connection, summary: ImportSummary) -> None:
            outcome = PdfOutcome(summary.added, summary.updated, summary.unchanged, bool(summary.scanned),
                                 pages=pages[1])  # fmt: skip
            EvidenceImportStore.finish(connection, job.id, outcome)

        try:
            self.library.store_pdf(requester, job.file_name, payload.data, on_page, finish)
        except InputError as exc:
            self._fail(job.id, str(exc))
        except Exception as exc:  # noqa: BLE001 - recorded on the job, shown on the page
            log.exception("evidence import %s failed", job.id)
            self._fail(job.id, f"the PDF could not be imported ({type(exc).__name__})")

    def _fail(self, job_id: int, reason: str) -> None:
        with self.database.write() as connection:
            EvidenceImportStore.finish(connection, job_id, PdfOutcome(error=reason))

    # -- in the background ----------------------------------------------------------------------------------

    def submit(self, job_id: int | None = None) -> None:
        """Read this PDF (and any other waiting) soon, in the background thread; never blocks."""
        self.jobs.submit(job_id)

    def close(self, timeout: float = 5.0) -> None:
        self.jobs.close(timeout)

"""Archive import from the web (issue 11, item 12): an editor or admin uploads a JSON Lines, CSV or ClaimReview
file; it is imported in the background by the same code as `kiemchung factchecks import`
(`services/archive.import_files`: the same parsers, rules, batches and per-line report), and the page or the API
follows its progress.

- **One request, one transaction**: the job (with the uploaded file) and its `archive.import` audit entry are
  written together; its end (counts, every rejected or noted line, the file dropped) and the
  `archive.import_finished` entry likewise.
- **In the background**: one worker thread per process takes queued jobs one at a time (a conditional UPDATE, so
  two server processes never take the same one) and writes its progress (lines read of the file's lines,
  imported, rejected) about twice a second. A job left running by a server that stopped (no heartbeat for
  STALE_S) is taken up again from the start when a server starts: importing a record again updates it, never
  doubles it.
- **Its organisation's**: a job is seen only by the people (and tokens) of the uploader's organisation; another
  organisation's is "not found". The fact-checks themselves join the installation's archive, as from the CLI.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiemchung.domain.accounts import IMPORT_ARCHIVE, Actor
from kiemchung.domain.archive_imports import MAX_LISTED, SUFFIXES, ArchiveImport, LineProblem, count_lines, format_of
from kiemchung.domain.archive_imports import shown_name as clean_name
from kiemchung.domain.models import FactCheck
from kiemchung.errors import InputError, NotFoundError
from kiemchung.services.archive import ImportReport, detect_format, import_files
from kiemchung.services.background import BackgroundJobs, Ticker
from kiemchung.store.archive_imports import ArchiveImportStore, NewImport, Payload, Progress
from kiemchung.store.audit import AuditStore
from kiemchung.store.database import Database
from kiemchung.store.factchecks import FactCheckStore

log = logging.getLogger(__name__)
STALE_S = 120.0  # a running job without a heartbeat for this long was left by a stopped server
SUFFIX_OF = {fmt: suffix for suffix, fmt in reversed(SUFFIXES.items())}  # a format's usual suffix


class ArchiveImports:
    def __init__(
        self,
        database: Database,
        factchecks: FactCheckStore,
        max_bytes: int,
        on_imported: Callable[[list[FactCheck]], None] | None = None,
        stale_s: float = STALE_S,
    ) -> None:
        self.database = database
        self.stale_s = stale_s
        self.factchecks = factchecks
        self.max_bytes = max_bytes
        self.on_imported = on_imported
        self.store = ArchiveImportStore(database)
        self.jobs = BackgroundJobs("archive-import", lambda: self.store.waiting(self._stale_before()), self._work_one)

    # -- use cases ----------------------------------------------------------------------------------------

    def request(self, actor: Actor, file_name: str, data: bytes, chosen: str = "auto") -> ArchiveImport:
        """Queue the file's import (InputError when it cannot be one: empty, too large, not text, a type the
        import does not read) and start it in the background."""
        actor.require(IMPORT_ARCHIVE)
        name = clean_name(file_name)
        fmt = self._format(name, data, chosen)
        new = NewImport(actor.organisation_id, actor.user_id, actor.token_id, name, fmt, data, count_lines(data))
        with self.database.write() as connection:
            job_id = ArchiveImportStore.add(connection, new)
            AuditStore.record(connection, actor, "archive.import", "archive_import", job_id, file=name, format=fmt,
                              bytes=len(data), lines=new.lines_total)  # fmt: skip
        self.submit(job_id)
        return self.status(actor, job_id)

    def status(self, actor: Actor, job_id: int) -> ArchiveImport:
        actor.require(IMPORT_ARCHIVE)
        found = self.store.get(job_id, actor.organisation_id)
        if found is None:
            raise NotFoundError(f"no archive import {job_id}")
        return found

    def recent(self, actor: Actor) -> list[ArchiveImport]:
        actor.require(IMPORT_ARCHIVE)
        return self.store.recent(actor.organisation_id)

    def _format(self, name: str, data: bytes, chosen: str) -> str:
        if not data.strip():
            raise InputError("the file is empty")
        if len(data) > self.max_bytes:
            raise InputError(f"the file is larger than {self.max_bytes:,} bytes (KIEMCHUNG_ARCHIVE_IMPORT_MAX_BYTES)")
        fmt = format_of(name, chosen)
        if fmt is None and chosen == "auto" and "." not in name:
            fmt = _sniffed(data)  # an API body without a file name: read by its content, as the CLI does
        if fmt is None:
            raise InputError("choose a .jsonl, .csv or .json (ClaimReview) file, or say its format")
        if b"\x00" in data[:65536]:
            raise InputError("the file is not text (JSON Lines, CSV or ClaimReview JSON-LD)")
        return fmt

    # -- working a job ------------------------------------------------------------------------------------

    def run_waiting(self) -> int:
        """Work every queued job (and any a stopped server left running); how many this worker did."""
        return self.jobs.run_waiting()

    def _work_one(self, job_id: int, _stop: threading.Event) -> int:
        payload = self.store.claim(job_id, self._stale_before())
        if payload is None:
            return 0
        self._run(payload)
        return 1

    def _stale_before(self) -> datetime:
        return datetime.now(UTC) - timedelta(seconds=self.stale_s)

    def _run(self, payload: Payload) -> None:
        job, report = payload.job, ImportReport()
        ticker = Ticker(lambda: self.store.progress(job.id, _progress(report)))
        error = None
        try:
            with tempfile.TemporaryDirectory(prefix="kiemchung-import-") as folder:
                path = Path(folder) / f"upload{SUFFIX_OF.get(job.format, '.txt')}"
                path.write_bytes(payload.data)
                import_files(self.factchecks, [path], job.format, progress=ticker.tick,
                             on_batch=lambda _batch: ticker.tick(0), report=report)  # fmt: skip
            report.lines_read = job.lines_total
        except Exception as exc:  # noqa: BLE001 - recorded on the job, shown on its page
            log.exception("archive import %s failed", job.id)
            error = f"{type(exc).__name__}: {exc}"
        self._finish(payload, report, error)
        if self.on_imported is not None and report.imported:
            with contextlib.suppress(Exception):  # the index follows the database by itself anyway
                self.on_imported([])

    def _finish(self, payload: Payload, report: ImportReport, error: str | None) -> None:
        job, progress = payload.job, _progress(report)
        problems = [LineProblem(e.line or 0, e.reason, "rejected") for e in report.rejected]
        problems += [LineProblem(e.line or 0, e.reason, "note") for e in report.notes]
        problems.sort(key=lambda p: p.line)
        actor = Actor("", job.organisation_id, user_id=payload.user_id, token_id=payload.token_id)  # the requester
        with self.database.write() as connection:
            ArchiveImportStore.finish(connection, job.id, progress, problems[:MAX_LISTED], error)
            AuditStore.record(connection, actor, "archive.import_finished", "archive_import", job.id,
                              file=job.file_name, imported=progress.imported, rejected=progress.rejected,
                              notes=progress.notes, error=error)  # fmt: skip

    # -- in the background ----------------------------------------------------------------------------------

    def submit(self, job_id: int | None = None) -> None:
        """Work this job (and any other waiting) soon, in the background thread; never blocks."""
        self.jobs.submit(job_id)

    def close(self, timeout: float = 5.0) -> None:
        self.jobs.close(timeout)


def _progress(report: ImportReport) -> Progress:
    return Progress(report.lines_read, report.imported, len(report.rejected), len(report.notes))


def _sniffed(data: bytes) -> str:
    return detect_format(Path("upload"), data[:4096])

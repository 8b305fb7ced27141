"""The evidence library of each organisation: importing documents, searching them, suggesting the evidence
and verdict for a claim or a case, and accepting a suggested sentence into a case (issue 14).

Every method takes the acting person or token and checks the role table: reading, searching and suggesting
are for those who may read cases (READ), importing and accepting for those who add evidence (TRIAGE). One
organisation never sees another's documents: each method works on the actor's organisation's library only.
Imports are written in transactions of IMPORT_BATCH documents, each with its `evidence.import` audit entry;
a bad record is reported with its line number and never stops the others. Accepting goes through the case
service's `add_quote`, its `evidence.accept` audit entry in the same transaction.

Each process keeps one in-memory `EvidenceIndex` per organisation, built from the stored documents on first
use and brought up to date before every search (a cheap count and newest-change look-up: an import by
another process, e.g. the command line, is picked up too). The pure work is in `kiemchung.evidence`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from kiemchung.domain.accounts import READ, TRIAGE, Actor
from kiemchung.errors import InputError, NotFoundError
from kiemchung.evidence.assistant import EvidenceAssistant, EvidenceSentence, Suggestion
from kiemchung.evidence.documents import EvidenceDocument, document_from_json, pdf_document
from kiemchung.evidence.retrieval import EvidenceIndex
from kiemchung.evidence.verdict import VerdictModel
from kiemchung.services.workbench import CaseService
from kiemchung.settings import Settings
from kiemchung.store.audit import AuditStore
from kiemchung.store.cases import Case
from kiemchung.store.database import Database
from kiemchung.store.evidence_library import (
    MAX_ID,
    EvidenceLibraryStore,
    LibraryDocument,
    LibraryState,
    save_document,
)
from kiemchung.text import strip_controls

log = logging.getLogger(__name__)
IMPORT_BATCH = 500
MAX_TOP = 50
MAX_QUERY = 5000
CLOCK_SLACK = timedelta(seconds=5)  # re-read documents changed this long before the newest change seen


@dataclass(frozen=True)
class Unreadable:
    """A line that is not JSON: imported as an error with this message."""

    message: str


Record = tuple[int, object]  # (line number, the parsed JSON value or Unreadable)


def json_lines(lines: Iterable[str]) -> Iterator[Record]:
    """Each non-blank line, numbered from 1, parsed as JSON (an Unreadable when it is not)."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as exc:
            yield number, Unreadable(f"not valid JSON: {exc}")


def body_records(body: str) -> list[Record]:
    """An API body: a JSON list of documents (numbered from 1 in list order) or JSON Lines."""
    if body.lstrip().startswith("["):
        try:
            parsed = json.loads(body)
        except ValueError as exc:
            raise InputError(f"the body is not a valid JSON list: {exc}") from None
        return list(enumerate(parsed, start=1))
    return list(json_lines(body.splitlines()))


@dataclass(frozen=True)
class ImportProblem:
    line: int
    message: str

    def describe(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[ImportProblem] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)  # ids of PDFs with no text layer (stored, not searchable)

    @property
    def ok(self) -> bool:
        return not self.errors

    def line(self) -> str:
        scanned = f", {len(self.scanned)} scanned (no text layer)" if self.scanned else ""
        return (f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
                f"errors {len(self.errors)}{scanned}")  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged, "scanned": self.scanned,
                "errors": [{"line": e.line, "error": e.message} for e in self.errors]}  # fmt: skip


@dataclass(frozen=True)
class DocumentPage:
    documents: list[LibraryDocument]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "page": self.page, "pages": self.pages,
                "documents": [d.as_json() for d in self.documents]}  # fmt: skip


@dataclass
class _Library:
    """One organisation's index in this process, and the stored state it reflects."""

    index: EvidenceIndex
    assistant: EvidenceAssistant
    state: LibraryState = field(default_factory=lambda: LibraryState(0, None))
    lock: threading.RLock = field(default_factory=threading.RLock)


class EvidenceLibrary:
    def __init__(self, settings: Settings, database: Database, store: EvidenceLibraryStore, cases: CaseService) -> None:
        self.settings = settings
        self.database = database
        self.store = store
        self.cases = cases
        self._libraries: dict[int, _Library] = {}
        self._lock = threading.Lock()
        self._verdict_model: VerdictModel | None = None

    # -- importing ----------------------------------------------------------------------------------------

    def import_documents(self, actor: Actor, records: Iterable[Record]) -> ImportSummary:
        """Store every good record (JSON Lines documents); each bad one is an error with its line number."""
        actor.require(TRIAGE)
        summary, batch = ImportSummary(), []
        for line, record in records:
            try:
                batch.append(_document(record))
            except InputError as exc:
                summary.errors.append(ImportProblem(line, str(exc)))
            if len(batch) >= IMPORT_BATCH:
                self._write(actor, batch, summary)
                batch = []
        if batch:
            self._write(actor, batch, summary)
        return summary

    def import_pdf(self, actor: Actor, file_name: str, data: bytes) -> ImportSummary:
        """A PDF's text as a document whose id is the file's name; a PDF with no text layer is stored and
        reported as scanned."""
        actor.require(TRIAGE)
        name = strip_controls(Path(file_name or "").name).strip() or "document.pdf"
        if len(data) > self.settings.upload_max_bytes:
            raise InputError(f"the file is larger than {self.settings.upload_max_bytes // 1_000_000} MB")
        if not data:
            raise InputError("the file is empty")
        document = _checked(_read_pdf(data, name))
        summary = ImportSummary(scanned=[document.id] if document.scanned else [])
        self._write(actor, [document], summary)
        return summary

    def _write(self, actor: Actor, documents: list[EvidenceDocument], summary: ImportSummary) -> None:
        now = datetime.now(UTC)
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        with self.database.write() as connection:
            for document in documents:
                counts[save_document(connection, actor.organisation_id, document, actor.user_id, now)] += 1
            if counts["added"] or counts["updated"]:
                AuditStore.record_in(connection, actor.organisation_id, actor, "evidence.import", "evidence_library",
                                     actor.organisation_id, **counts,
                                     documents=[d.id for d in documents[:20]])  # fmt: skip
        summary.added += counts["added"]
        summary.updated += counts["updated"]
        summary.unchanged += counts["unchanged"]
        if (counts["added"] or counts["updated"]) and actor.organisation_id in self._libraries:
            self._library(actor.organisation_id)  # an index built in this process is kept current at once

    # -- reading --------------------------------------------------------------------------------------------

    def documents(self, actor: Actor, page: int = 1, per_page: int = 50) -> DocumentPage:
        actor.require(READ)
        page, per_page = max(1, page), max(1, min(per_page, 200))
        found, total = self.store.page(actor.organisation_id, per_page, (page - 1) * per_page)
        return DocumentPage(found, total, page, per_page)

    def is_empty(self, actor: Actor) -> bool:
        actor.require(READ)
        return self.store.state(actor.organisation_id).count == 0

    def search(self, actor: Actor, text: str, top: int = 10) -> list[EvidenceSentence]:
        """The sentences of the library that bear most on `text`, best first, each with its stance."""
        return self.suggest(actor, text, top).evidence

    def suggest(self, actor: Actor, claim_text: str, top: int = 5, claimed_on: date | None = None) -> Suggestion:
        """The evidence sentences for a claim and the verdict they suggest (never published by itself)."""
        actor.require(READ)
        claim = strip_controls(claim_text or "").strip()
        if len(claim) > MAX_QUERY:
            raise InputError(f"a claim has at most {MAX_QUERY:,} characters")
        if not 1 <= top <= MAX_TOP:
            raise InputError(f"top must be 1 to {MAX_TOP}")
        library = self._library(actor.organisation_id)
        with library.lock:
            return library.assistant.suggest(claim, top, claimed_on)

    def suggest_for_case(self, actor: Actor, case_id: int, top: int = 5) -> Suggestion:
        """Suggestions for a case's claim from the actor's organisation's library; the claim's date is its
        earliest appearance's."""
        case = self.cases.get(actor, case_id)  # READ; "not found" for another organisation's case
        return self.suggest(actor, case.claim, top, claimed_on(case))

    # -- accepting ------------------------------------------------------------------------------------------

    def accept(self, actor: Actor, case_id: int, document_id: str, sentence: str) -> Case:
        """Add a sentence of a library document to the case as a quote, its source the document's URL (else
        its title, else its id); audited as `evidence.add` and `evidence.accept` in one transaction."""
        actor.require(TRIAGE)
        self.cases.get(actor, case_id)  # another organisation's case is "not found" before anything else
        document = self.store.get(actor.organisation_id, str(document_id or "").strip())
        if document is None:
            raise NotFoundError(f"no document {document_id!r} in your organisation's evidence library")
        quote = " ".join(strip_controls(sentence or "").split())
        if not quote or quote not in " ".join(document.text.split()):
            raise InputError(f"that sentence is not in document {document.id!r}")
        accepted = {"document": document.id, "url": document.url, "title": document.title}
        return self.cases.add_quote(actor, case_id, quote, document.source, accepted=accepted)

    # -- the in-memory index --------------------------------------------------------------------------------

    def _library(self, organisation_id: int) -> _Library:
        """The organisation's index, brought up to date with the stored documents."""
        with self._lock:
            library = self._libraries.get(organisation_id)
            if library is None:
                index = EvidenceIndex()
                assistant = EvidenceAssistant(index, verdict_model=self._verdicts())
                library = self._libraries[organisation_id] = _Library(index, assistant)
        with library.lock:
            self._refresh(organisation_id, library)
        return library

    def _refresh(self, organisation_id: int, library: _Library) -> None:
        state = self.store.state(organisation_id)
        if state == library.state:
            return
        since = library.state.last_update - CLOCK_SLACK if library.state.last_update else None
        changed = self.store.documents_since(organisation_id, since)
        library.index.add(changed)
        if len(library.index.documents) != state.count:  # documents removed meanwhile: start again
            for stale in set(library.index.documents):
                library.index.remove(stale)
            library.index.add(self.store.documents_since(organisation_id, None))
        library.state = state
        log.info("evidence library of organisation %s: %d documents indexed (%d read)", organisation_id,
                 len(library.index.documents), len(changed))  # fmt: skip

    def _verdicts(self) -> VerdictModel:
        if self._verdict_model is None:
            self._verdict_model = VerdictModel.load()
        return self._verdict_model


def claimed_on(case: Case) -> date | None:
    """The day the case's claim was made: its earliest post's publication (none a reviewer rejected)."""
    days = [i.post_published_at for i in case.items if i.post_published_at and i.feedback != "rejected"]
    return min(days).date() if days else None


def _document(record: object) -> EvidenceDocument:
    if isinstance(record, Unreadable):
        raise InputError(record.message)
    return _checked(document_from_json(record))


def _checked(document: EvidenceDocument) -> EvidenceDocument:
    if len(document.id) > MAX_ID:
        raise InputError(f'"id" is longer than {MAX_ID} characters')
    return document


def _read_pdf(data: bytes, name: str) -> EvidenceDocument:
    try:
        document = pdf_document(data, name)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed PDF is bad input, never a server error
        log.info("PDF %s could not be read: %s: %s", name, type(exc).__name__, exc)
        raise InputError(f"the PDF cannot be read ({type(exc).__name__})") from None
    if document.title is None:
        document = EvidenceDocument(document.id, document.text, document.url, name, None, None, document.scanned)
    return document

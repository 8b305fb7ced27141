"""The evidence library of each organisation: importing documents, searching them, suggesting the evidence
and verdict for a claim or a case, and accepting a suggested sentence into a case (issue 14).

Every method takes the acting person or token and checks the role table: reading, searching and suggesting
are for those who may read cases (READ), importing and accepting for those who add evidence (TRIAGE). One
organisation never sees another's documents: each method works on the actor's organisation's library only.
Imports are written in transactions of IMPORT_BATCH documents, each with its `evidence.import` audit entry;
a bad record is reported with its line number and never stops the others. Accepting goes through the case
service's `add_quote`, its `evidence.accept` audit entry in the same transaction.

Each process keeps one in-memory `EvidenceIndex` per organisation, read on first use from the one saved under
DATA_DIR/index/evidence/<organisation> (else built from the stored documents) and brought up to date before every
search (a cheap count and newest-change look-up: an import by another process, e.g. the command line, is picked
up too; the saved index's stamp is checked the same way, so a stale one is never used as it is). After each
change the index is saved again in the background (services/evidence_index_files.py). Uploaded PDFs are read in
the background (services/evidence_imports.py) by the same `read_pdf` as the command line's import. A suggestion
(the pair model reads each sentence with the claim: 0.3 to 1 s) is kept in a bounded LRU cache per (organisation,
claim, top, claim date, library state): a case page viewed again answers from it, and any change to the library
(its count or newest change) makes a new key, the organisation's old entries dropped. The suggested verdict is
also given on the organisation's rating scale, and a rebuttal can be drafted from the case's evidence
(domain/rebuttal_drafts.py). An uploaded PDF's bytes are archived under data_dir/uploads/<sha256>, as a case's
documents are. The pure work is in `kiemchung.evidence`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from kiemchung.domain.accounts import READ, TRIAGE, Actor
from kiemchung.domain.rebuttal_drafts import DraftEvidence, draft_rebuttal, rating_for_verdict
from kiemchung.errors import InputError, NotFoundError
from kiemchung.evidence.assistant import EvidenceAssistant, EvidenceSentence, Suggestion
from kiemchung.evidence.documents import EvidenceDocument, document_from_json, pdf_document
from kiemchung.evidence.retrieval import EvidenceIndex
from kiemchung.evidence.verdict import VerdictModel
from kiemchung.services.background import BackgroundJobs
from kiemchung.services.case_evidence import _stored_upload
from kiemchung.services.evidence_index_files import index_directory, load_index, save_index
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
SUGGESTION_CACHE = 256  # suggestions kept per process (all organisations together), least recently used out
SAVE_EVERY_S = 600.0  # an index changed again soon after a save is saved again this long after it (and at close)


@dataclass(frozen=True)
class Unreadable:
    """A line that is not JSON: imported as an error with this message."""

    message: str


Record = tuple[int, object]  # (line number, the parsed JSON value or Unreadable)
PageProgress = Callable[[int, int], None]  # (pages read, pages)


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


Finish = Callable[[Connection, ImportSummary], None]  # the caller's record of an import, in its transaction


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


@dataclass(frozen=True)
class RebuttalDraft:
    """A rebuttal to start the verdict form from (nothing saved): the text, the suggestion behind its first
    line, the suggested verdict on the scale (None where the scale has no fitting rating) and what it cites."""

    text: str
    suggestion: Suggestion
    rating: str | None
    cites: list[int]

    def as_json(self, case_id: int) -> dict[str, Any]:
        return {"id": case_id, "verdict": self.suggestion.verdict, "confidence": round(self.suggestion.confidence, 4),
                "rating": self.rating, "rebuttal": self.text, "cites": self.cites}  # fmt: skip


class SuggestionCache:
    """A bounded, thread-safe LRU map of suggestions; entries of one organisation can be dropped together."""

    def __init__(self, size: int = SUGGESTION_CACHE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, Hashable], Suggestion] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, organisation_id: int, key: Hashable) -> Suggestion | None:
        with self._lock:
            found = self._entries.get((organisation_id, key))
            if found is not None:
                self._entries.move_to_end((organisation_id, key))
            return found

    def put(self, organisation_id: int, key: Hashable, suggestion: Suggestion) -> None:
        with self._lock:
            self._entries[(organisation_id, key)] = suggestion
            self._entries.move_to_end((organisation_id, key))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, organisation_id: int) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == organisation_id]:
                del self._entries[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


@dataclass
class _Library:
    """One organisation's index in this process, and the stored state it reflects."""

    index: EvidenceIndex
    assistant: EvidenceAssistant
    state: LibraryState = field(default_factory=lambda: LibraryState(0, None))
    lock: threading.RLock = field(default_factory=threading.RLock)
    loaded: bool = False  # whether the saved index was looked for


class EvidenceLibrary:
    def __init__(self, settings: Settings, database: Database, store: EvidenceLibraryStore, cases: CaseService) -> None:
        self.settings = settings
        self.database = database
        self.store = store
        self.cases = cases
        self._libraries: dict[int, _Library] = {}
        self._lock = threading.Lock()
        self._verdict_model: VerdictModel | None = None
        self.cache = SuggestionCache()
        self.documents_read = 0  # documents read from the database into an index by this process
        self._unsaved: set[int] = set()  # organisations whose index changed since it was saved
        self.saver = BackgroundJobs("evidence-index", self._unsaved_ids, self._save)
        self._saving = threading.RLock()  # one save at a time in this process
        self._saved_at: dict[int, float] = {}  # when each organisation's index was last saved (monotonic)

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
        """A PDF's text as a document whose id is the file's name, read now (the command line; the web and the
        API read uploads in the background, services/evidence_imports.py); a PDF with no text layer is stored
        and reported as scanned."""
        actor.require(TRIAGE)
        self.check_pdf(data)
        return self.store_pdf(actor, pdf_name(file_name), data)

    def check_pdf(self, data: bytes) -> None:
        """What an upload must be before it is read (InputError): not too large, not empty, a PDF."""
        if len(data) > self.settings.upload_max_bytes:
            raise InputError(f"the file is larger than {self.settings.upload_max_bytes // 1_000_000} MB")
        if not data:
            raise InputError("the file is empty")
        if not data.startswith(b"%PDF"):
            raise InputError("the file is not a PDF")

    def store_pdf(
        self, actor: Actor, name: str, data: bytes, on_page: PageProgress | None = None,
        finish: Finish | None = None,
    ) -> ImportSummary:  # fmt: skip
        """Read a PDF (`read_pdf`, the one parser of the command line, the web and the API) and store it as one
        document with its archived copy under data_dir/uploads/<sha256>; `finish` runs in the same transaction."""
        document = _checked(read_pdf(data, name, on_page))
        summary = ImportSummary(scanned=[document.id] if document.scanned else [])
        sha = hashlib.sha256(data).hexdigest()
        with _stored_upload(self.settings.data_dir / "uploads" / sha, data) as put_in_place:
            self._write(actor, [document], summary, file_sha256=sha, before_commit=put_in_place, finish=finish)
        return summary

    def _write(
        self, actor: Actor, documents: list[EvidenceDocument], summary: ImportSummary,
        file_sha256: str | None = None, before_commit: Callable[[], None] | None = None,
        finish: Finish | None = None,
    ) -> None:  # fmt: skip
        """Store the documents and their audit entry in one transaction. `file_sha256`: the archived copy of
        the one PDF they were read from, put in place by `before_commit` last (a failed write leaves no file,
        a stored row never lacks its file); `finish(connection, summary)`: the caller's own record of it, in
        the same transaction."""
        now = datetime.now(UTC)
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        with self.database.write() as connection:
            for document in documents:
                counts[save_document(connection, actor.organisation_id, document, actor.user_id, now,
                                     file_sha256)] += 1  # fmt: skip
            if counts["added"] or counts["updated"]:
                AuditStore.record_in(connection, actor.organisation_id, actor, "evidence.import", "evidence_library",
                                     actor.organisation_id, **counts,
                                     documents=[d.id for d in documents[:20]])  # fmt: skip
            summary.added += counts["added"]
            summary.updated += counts["updated"]
            summary.unchanged += counts["unchanged"]
            if finish is not None:
                finish(connection, summary)
            if before_commit is not None:
                before_commit()
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
        key = (claim, top, claimed_on, library.state)
        cached = self.cache.get(actor.organisation_id, key)
        if cached is not None:
            return cached
        with library.lock:  # the index as `library.state` says (a refresh also holds the lock)
            key = (claim, top, claimed_on, library.state)
            suggestion = self._compute(library, claim, top, claimed_on)
        self.cache.put(actor.organisation_id, key, suggestion)
        return suggestion

    def _compute(self, library: _Library, claim: str, top: int, claimed_on: date | None) -> Suggestion:
        """The assistant's suggestion, computed (what the cache saves; tests count the calls here)."""
        return library.assistant.suggest(claim, top, claimed_on)

    def rating(self, verdict: str) -> str | None:
        """The suggested verdict on the installation's rating scale; None where no rating of the scale fits."""
        return rating_for_verdict(self.cases.scale, verdict)

    def suggest_for_case(self, actor: Actor, case_id: int, top: int = 5) -> Suggestion:
        """Suggestions for a case's claim from the actor's organisation's library; the claim's date is its
        earliest appearance's."""
        case = self.cases.get(actor, case_id)  # READ; "not found" for another organisation's case
        return self.suggest(actor, case.claim, top, claimed_on(case))

    def rebuttal_draft(self, actor: Actor, case_id: int, top: int = 5) -> RebuttalDraft:
        """A rebuttal drafted from the evidence already in the case (never a suggestion not accepted), each line
        citing its piece as [n] (its number in the case's list), after a line stating the claim and the
        suggested verdict. Nothing is saved or audited: the fact-checker edits it in the verdict form."""
        case = self.cases.get(actor, case_id)  # READ; another organisation's case is "not found"
        suggestion = self.suggest(actor, case.claim, top, claimed_on(case))
        rating = self.rating(suggestion.verdict)
        references = [r for e in case.evidence for r in (e.quote_source, e.url) if r]
        known: dict[str, LibraryDocument] = {}
        for found in self.store.cited(actor.organisation_id, references):
            for reference in (found.id, found.title, found.url):  # the URL wins, then the title
                if reference:
                    known[reference] = found
        pieces = []
        for number, item in enumerate(case.evidence, start=1):
            document = known.get((item.quote_source if item.kind == "quote" else item.url) or "")
            source = (document.publisher or document.title) if document else None
            published = document.published if document else None
            if item.kind == "quote":
                pieces.append(DraftEvidence(number, "quote", item.quote, source or item.quote_source, published))
            elif item.kind == "url":
                pieces.append(DraftEvidence(number, "url", None, source or item.title or item.url, published))
            else:
                pieces.append(DraftEvidence(number, item.kind, None, item.file_name or item.title))
        text = draft_rebuttal(case.claim, suggestion.verdict, rating, pieces)
        return RebuttalDraft(text, suggestion, rating, [p.number for p in pieces])

    def document_file(self, actor: Actor, row: int) -> tuple[bytes, str, str]:
        """The archived copy of an uploaded PDF of the actor's organisation's library: bytes, type, file name."""
        actor.require(READ)
        document = self.store.file_of(actor.organisation_id, row)
        if document is None or document.file_sha256 is None:
            raise NotFoundError(f"no archived file for document {row} in your organisation's evidence library")
        path = self.settings.data_dir / "uploads" / document.file_sha256
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"the archived file of document {document.id!r} is missing") from None
        return data, "application/pdf", document.id

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
        """The organisation's index (the saved one on first use in this process, when there is a usable one),
        brought up to date with the stored documents."""
        with self._lock:
            library = self._libraries.get(organisation_id)
            if library is None:
                library = self._libraries[organisation_id] = self._new_library(EvidenceIndex())
        with library.lock:
            if not library.loaded:
                self._load(organisation_id, library)
            self._refresh(organisation_id, library)
        return library

    def _new_library(self, index: EvidenceIndex, state: LibraryState | None = None) -> _Library:
        return _Library(index, EvidenceAssistant(index, verdict_model=self._verdicts()), state or LibraryState(0, None))

    def _load(self, organisation_id: int, library: _Library) -> None:
        """The saved index and the library state it reflects, when there is one (called under the library's lock)."""
        library.loaded = True
        found = load_index(index_directory(self.settings, organisation_id))
        if found is not None:
            saved = self._new_library(*found)
            library.index, library.assistant, library.state = saved.index, saved.assistant, saved.state
            log.info("evidence library of organisation %s: saved index read (%d documents)", organisation_id,
                     len(saved.index.documents))  # fmt: skip

    def _refresh(self, organisation_id: int, library: _Library) -> None:
        state = self.store.state(organisation_id)
        if state == library.state:
            return
        self.cache.drop(organisation_id)  # suggestions of the library as it was
        since = library.state.last_update - CLOCK_SLACK if library.state.last_update else None
        changed = self.store.documents_since(organisation_id, since)
        library.index.add(changed)
        read = len(changed)
        if len(library.index.documents) != state.count:  # documents removed meanwhile: start again
            for stale in set(library.index.documents):
                library.index.remove(stale)
            everything = self.store.documents_since(organisation_id, None)
            library.index.add(everything)
            read += len(everything)
        library.state = state
        self.documents_read += read
        log.info("evidence library of organisation %s: %d documents indexed (%d read)", organisation_id,
                 len(library.index.documents), read)  # fmt: skip
        self._save_later(organisation_id)

    # -- the saved index ------------------------------------------------------------------------------------

    def _save_later(self, organisation_id: int) -> None:
        with self._lock:
            self._unsaved.add(organisation_id)
        self.saver.submit(organisation_id)

    def _unsaved_ids(self, due_only: bool = True) -> list[int]:
        """Organisations whose index changed since it was saved; `due_only`: saved SAVE_EVERY_S ago or never."""
        due = time.monotonic() - SAVE_EVERY_S
        with self._lock:
            return sorted(o for o in self._unsaved if not due_only or self._saved_at.get(o, due) <= due)

    def _save(self, organisation_id: int, _stop: threading.Event) -> int:
        """Save the organisation's index (in the background: a search never waits for the disk); 1 when saved."""
        with self._saving:
            with self._lock:
                self._unsaved.discard(organisation_id)
                library = self._libraries.get(organisation_id)
            if library is None:
                return 0
            with library.lock:  # the state the index reflects at least (it may hold later documents when written)
                index, state = library.index, library.state
            try:
                save_index(index_directory(self.settings, organisation_id), index, state)
                self._saved_at[organisation_id] = time.monotonic()
            except OSError:
                log.exception("the evidence index of organisation %s could not be saved", organisation_id)
                return 0
            return 1

    def save_indexes(self) -> int:
        """Save now every index changed since it was last saved (after the save under way, if any); how many this
        call saved."""
        with self._saving:
            return sum(self._save(organisation_id, self.saver.stop) for organisation_id in self._unsaved_ids(False))

    def close(self) -> None:
        """Stop saving in the background, and save what is left (a command line's index is kept for the next)."""
        self.saver.close()
        self.save_indexes()

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


def pdf_name(file_name: str) -> str:
    """An uploaded PDF's document id: its file's own name (no folders, no control characters)."""
    return strip_controls(Path(file_name or "").name).strip() or "document.pdf"


def read_pdf(data: bytes, name: str, on_page: PageProgress | None = None) -> EvidenceDocument:
    """A PDF's text as a document named `name` (its title, when the PDF names none); InputError when it is not a
    PDF or cannot be read (a malformed PDF is bad input, never a server error)."""
    try:
        document = pdf_document(data, name, on_page=on_page)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever pypdf raises on a hostile file
        log.info("PDF %s could not be read: %s: %s", name, type(exc).__name__, exc)
        raise InputError(f"the PDF cannot be read ({type(exc).__name__})") from None
    if document.title is None:
        document = EvidenceDocument(document.id, document.text, document.url, name, None, None, document.scanned)
    return document

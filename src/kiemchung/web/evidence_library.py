"""The evidence library over the web (issue 14): the JSON API (/api/v1/evidence…, a PDF read in the background,
a case's suggestions with the verdict on the rating scale, accepting one, a rebuttal drafted from the case's
evidence) and the pages (/evidence with the archived copies of uploaded PDFs and the progress of one being read;
the "Suggested evidence" block of a case page; the verdict form's "Draft from evidence" is in web/work_pages.py
beside the form's other action). Both render the same service results (services/evidence_library.py,
services/evidence_imports.py), which check roles and organisations and write the audit log; every session POST
carries its CSRF token, and bodies are held to the limits of web/limits.py."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import READ, TRIAGE, Actor
from kiemchung.errors import InputError
from kiemchung.evidence.assistant import EvidenceSentence
from kiemchung.services.evidence_library import MAX_TOP, ImportSummary, body_records, claimed_on
from kiemchung.store.cases import Case
from kiemchung.store.evidence_imports import EvidenceImport
from kiemchung.web.auth import needs
from kiemchung.web.deps import ContextDep, FormDep
from kiemchung.web.downloads import attachment
from kiemchung.web.i18n import translator
from kiemchung.web.pages import language_of, render
from kiemchung.web.serialize import case_json

api = APIRouter(tags=["evidence"])
pages = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(needs(READ))]
Triager = Annotated[Actor, Depends(needs(TRIAGE))]
LINE_FILES = {".jsonl", ".ndjson", ".json"}
CASE_SUGGESTIONS = 5
REFRESH_S = 1  # how often the page reloads itself while a PDF it follows is being read


class AcceptIn(BaseModel):
    document_id: str = Field(min_length=1, max_length=200, description="The library document's id.")
    sentence: str = Field(min_length=1, max_length=10_000, description="A sentence of that document.")


# -- API ------------------------------------------------------------------------------------------------------


@api.post("/evidence/documents")
async def import_documents(request: Request, actor: Triager, context: ContextDep) -> dict[str, Any]:
    """Import documents `{"id", "text", "url"?, "title"?, "publisher"?, "published"?}`: the body is a JSON list
    or JSON Lines. An id imported again is updated. Bad records are listed with their line (or list position)
    and reason; the good ones are imported."""
    body = (await request.body()).decode("utf-8", errors="replace")
    records = body_records(body)
    if not records:
        raise InputError("the body holds no documents: send a JSON list or JSON Lines")
    summary = await run_in_threadpool(context.evidence_library.import_documents, actor, records)
    return summary.as_json()


@api.post("/evidence/import", status_code=202)
async def import_pdf(
    request: Request,
    actor: Triager,
    context: ContextDep,
    name: str = Query("", max_length=200, description="The PDF's file name: the document's id."),
) -> dict[str, Any]:
    """Import a PDF sent as the body (its id the `name` given, else `document.pdf`), read in the background:
    answers 202 with the job; follow it with GET /api/v1/evidence/import/{id} until `finished`, then read the
    documents `added`/`updated`/`unchanged`, `scanned` (no text layer: stored, not searchable) or the `error`."""
    data = await request.body()
    job = await run_in_threadpool(context.evidence_imports.request, actor, name, data)
    return {**job.as_json(), "status_url": f"/api/v1/evidence/import/{job.id}"}


@api.get("/evidence/import/{job_id}")
def import_status(job_id: int, actor: Triager, context: ContextDep) -> dict[str, Any]:
    """A PDF import of your organisation: its state, pages read of the PDF's pages, and its outcome."""
    return context.evidence_imports.status(actor, job_id).as_json()


@api.get("/evidence/documents")
def list_documents(
    actor: Reader, context: ContextDep, page: int = Query(1, ge=1, le=100_000), per_page: int = Query(50, ge=1, le=200)
) -> dict[str, Any]:
    """Your organisation's library, most recently changed first (text not included)."""
    return context.evidence_library.documents(actor, page, per_page).as_json()


@api.get("/evidence/search")
def search(
    actor: Reader, context: ContextDep, q: str = Query("", max_length=5000), top: int = Query(10, ge=1, le=MAX_TOP)
) -> dict[str, Any]:
    """The sentences of your organisation's library that bear most on `q`, best first, with their stance
    toward it and flags (number_mismatch, date_mismatch, older_than_claim)."""
    found = context.evidence_library.search(actor, q, top) if q.strip() else []
    return {"query": q, "results": [e.to_json() for e in found]}


@api.get("/cases/{case_id}/evidence/suggestions", tags=["workbench"])
def case_suggestions(
    case_id: int, actor: Reader, context: ContextDep, top: int = Query(CASE_SUGGESTIONS, ge=1, le=MAX_TOP)
) -> dict[str, Any]:
    """A suggested verdict for the case's claim and the library sentences behind it: a suggestion, never
    published by itself."""
    library = context.evidence_library
    suggestion = library.suggest_for_case(actor, case_id, top)
    return {**suggestion.to_json(case_id), "rating": library.rating(suggestion.verdict)}


@api.get("/cases/{case_id}/rebuttal-draft", tags=["workbench"])
def rebuttal_draft(case_id: int, actor: Reader, context: ContextDep) -> dict[str, Any]:
    """A rebuttal drafted from the evidence already in the case, one sentence per line, each citing its piece
    as [n]; the first line states the claim and the suggested verdict (`rating`: on the organisation's scale,
    null where no rating fits). Nothing is saved: send it, edited, with PUT /cases/{id}/verdict."""
    return context.evidence_library.rebuttal_draft(actor, case_id).as_json(case_id)


@api.post("/cases/{case_id}/evidence/accept", status_code=201, tags=["workbench"])
def accept(case_id: int, body: AcceptIn, actor: Triager, context: ContextDep) -> dict[str, Any]:
    """Add a library sentence to the case as a quote, its source the document's URL (else title); audited."""
    return case_json(context.evidence_library.accept(actor, case_id, body.document_id, body.sentence))


# -- pages ----------------------------------------------------------------------------------------------------


def _page(request: Request, actor: Actor, context: AppContext, status: int = 200, **extra: Any) -> Response:
    q = request.query_params.get("q", "")[:5000]
    page = _page_number(request.query_params.get("page"))
    results = context.evidence_library.search(actor, q, 10) if q.strip() else None
    job = _pdf_import(request, actor, context)
    return render(request, "evidence.html", status=status, q=q, results=results,
                  library=context.evidence_library.documents(actor, page, 50), pdf_import=job,
                  refresh=REFRESH_S if job is not None and not job.finished else None,
                  message=request.query_params.get("msg"), **extra)  # fmt: skip


def _page_number(raw: str | None, default: int = 1) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and 0 < int(raw) <= 100_000_000 else default


def _pdf_import(request: Request, actor: Actor, context: AppContext) -> EvidenceImport | None:
    """The PDF import the page follows (`?import=`), for those who import: another organisation's is 404."""
    job_id = _page_number(request.query_params.get("import"), 0)
    if not job_id or not actor.can(TRIAGE):
        return None
    return context.evidence_imports.status(actor, job_id)


@pages.get("/evidence", response_class=HTMLResponse)
def evidence_page(request: Request, actor: Reader, context: ContextDep) -> Response:
    return _page(request, actor, context)


@pages.get("/evidence/documents/{row}/file")
def document_file(row: int, actor: Reader, context: ContextDep) -> Response:
    """The archived copy of an uploaded PDF (the organisation's own; another's is 404), as a download."""
    data, content_type, name = context.evidence_library.document_file(actor, row)
    return attachment(data, content_type, name)


@pages.post("/evidence/import", response_class=HTMLResponse)
async def import_form(request: Request, actor: Triager, context: ContextDep) -> Response:
    """A .jsonl (or JSON list) file: the page comes back with the summary (or the reason it failed). A .pdf:
    queued to be read in the background, the browser sent to /evidence?import={job}, which follows it."""
    async with request.form(max_part_size=context.settings.upload_max_bytes + 1) as form:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return await run_in_threadpool(_page, request, actor, context, 422, import_error="choose a file")
        name, data = upload.filename or "", await upload.read(context.settings.upload_max_bytes + 1)
    try:
        if Path(name).suffix.lower() == ".pdf" or data.startswith(b"%PDF"):
            job = await run_in_threadpool(context.evidence_imports.request, actor, name, data)
            return RedirectResponse(f"/evidence?import={job.id}#import-h", status_code=303)
        summary = await run_in_threadpool(_imported, context, actor, name, data)
    except InputError as exc:
        return await run_in_threadpool(_page, request, actor, context, 422, import_error=str(exc))
    return await run_in_threadpool(_page, request, actor, context, 200, summary=summary, imported_file=name)


def _imported(context: AppContext, actor: Actor, name: str, data: bytes) -> ImportSummary:
    suffix = Path(name).suffix.lower()
    if suffix not in LINE_FILES:
        raise InputError("choose a .jsonl (JSON Lines) or .pdf file")
    if len(data) > context.settings.upload_max_bytes:
        raise InputError(f"the file is larger than {context.settings.upload_max_bytes // 1_000_000} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("a JSON Lines file must be UTF-8") from None
    return context.evidence_library.import_documents(actor, body_records(text))


@pages.post("/cases/{case_id}/evidence/accept")
def accept_form(request: Request, case_id: int, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    context.evidence_library.accept(actor, case_id, str(form.get("document_id") or ""), str(form.get("sentence") or ""))
    message = translator(language_of(request))["evidence_accepted"]
    return RedirectResponse(f"/cases/{case_id}?msg={quote(message)}#evidence-h", status_code=303)


@dataclass(frozen=True)
class ShownSuggestion:
    """What the case page's block shows: the suggestion, and its verdict on the rating scale (None: no fit)."""

    verdict: str
    confidence: float
    evidence: list[EvidenceSentence]
    rating: str | None


def suggested_evidence(actor: Actor, context: AppContext, case: Case) -> ShownSuggestion | None:
    """The case page's "Suggested evidence" block: none while the organisation's library is empty."""
    library = context.evidence_library
    if library.is_empty(actor):
        return None
    with suppress(InputError):
        found = library.suggest(actor, case.claim, CASE_SUGGESTIONS, claimed_on(case))
        return ShownSuggestion(found.verdict, found.confidence, found.evidence, library.rating(found.verdict))
    return None

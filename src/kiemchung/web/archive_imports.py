"""Archive import over the web (issue 11, item 12): the /archive/import page (upload, the organisation's recent
imports) and one page per import that follows its progress (a meta refresh while it runs, no script) and then
shows its counts and every rejected line with its number and reason; the same through the API
(POST /api/v1/factchecks/import answers 202 with the job, GET /api/v1/factchecks/import/{id} its state). Both
render the result of `services/archive_imports.py`, which checks the role (editors and admins), writes the
audit entries and keeps each organisation's imports to itself."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import IMPORT_ARCHIVE, Actor
from kiemchung.domain.archive_imports import FORMATS
from kiemchung.errors import InputError
from kiemchung.web.auth import needs
from kiemchung.web.deps import ContextDep
from kiemchung.web.pages import render

api = APIRouter(tags=["fact-checks"])
pages = APIRouter(include_in_schema=False)
Importer = Annotated[Actor, Depends(needs(IMPORT_ARCHIVE))]
REFRESH_S = 1  # how often a running import's page reloads itself


# -- API ------------------------------------------------------------------------------------------------------


@api.post("/factchecks/import", status_code=202)
async def import_archive(
    request: Request,
    actor: Importer,
    context: ContextDep,
    format: str = Query("auto", description="auto (the name's extension, else the content), " + ", ".join(FORMATS[1:])),
    name: str = Query("", max_length=200, description="The file's name, shown with the import (its extension "
                                                      "gives the format under auto)."),
) -> dict[str, Any]:  # fmt: skip
    """Import an archive file sent as the body (JSON Lines, CSV, ClaimReview JSON-LD or an HTML page embedding
    it) in the background, exactly as `kiemchung factchecks import`: answers 202 with the job; follow it with
    GET /api/v1/factchecks/import/{id} until `finished`, then read the counts and every rejected line."""
    data = await request.body()
    job = await run_in_threadpool(context.archive_imports.request, actor, name or "upload", data, format)
    return {**job.as_json(), "status_url": f"/api/v1/factchecks/import/{job.id}"}


@api.get("/factchecks/import/{job_id}")
def import_status(job_id: int, actor: Importer, context: ContextDep) -> dict[str, Any]:
    """An import of your organisation: its state, lines read of the file's lines, counts and the per-line
    report (`problems`: each rejected or noted line with its number and reason)."""
    return context.archive_imports.status(actor, job_id).as_json()


# -- pages ----------------------------------------------------------------------------------------------------


def _form_page(request: Request, actor: Actor, context: AppContext, status: int = 200, **extra: Any) -> Response:
    return render(request, "archive_import.html", status=status, jobs=context.archive_imports.recent(actor),
                  formats=FORMATS, max_mb=context.settings.archive_import_max_bytes / 1_000_000,
                  chosen_format=extra.pop("chosen_format", "auto"), **extra)  # fmt: skip


@pages.get("/archive/import", response_class=HTMLResponse)
def import_page(request: Request, actor: Importer, context: ContextDep) -> Response:
    return _form_page(request, actor, context)


@pages.post("/archive/import", response_class=HTMLResponse)
async def import_form(request: Request, actor: Importer, context: ContextDep) -> Response:
    """The uploaded file is queued and the browser goes to its import's page; a file that cannot be imported
    brings the form back (422) with the reason next to it."""
    limit = context.settings.archive_import_max_bytes
    async with request.form(max_part_size=limit + 1) as form:
        upload, chosen = form.get("file"), str(form.get("format") or "auto")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return await run_in_threadpool(_form_page, request, actor, context, 422, import_error="choose a file",
                                           chosen_format=chosen)  # fmt: skip
        name, data = upload.filename, await upload.read(limit + 1)
    try:
        job = await run_in_threadpool(context.archive_imports.request, actor, name, data, chosen)
    except InputError as exc:
        return await run_in_threadpool(_form_page, request, actor, context, 422, import_error=str(exc),
                                       chosen_format=chosen)  # fmt: skip
    return RedirectResponse(f"/archive/import/{job.id}", status_code=303)


@pages.get("/archive/import/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: int, actor: Importer, context: ContextDep) -> Response:
    job = context.archive_imports.status(actor, job_id)
    return render(request, "archive_import_job.html", job=job, refresh=None if job.finished else REFRESH_S)

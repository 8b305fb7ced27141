"""Server-rendered HTML pages (Vietnamese first, English with ?lang=en)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kiemchung.domain.claimreview import claimreview_json
from kiemchung.errors import InputError
from kiemchung.services.factchecks import ArchiveQuery
from kiemchung.web.deps import ArchiveDep, MatchingDep
from kiemchung.web.i18n import LANGUAGES, translator

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def language_of(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return str(request.app.state.context.settings.default_language)


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    lang = language_of(request)
    response = templates.TemplateResponse(
        request, template, {"lang": lang, "t": translator(lang), **values}, status_code=status
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    heading = translator(language_of(request))["not_found"] if status == 404 else str(status)
    return render(request, "error.html", status=status, heading=heading, message=message)


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InputError(f"{name} must be a whole number") from None


@router.get("/", response_class=HTMLResponse)
def index(request: Request, archive: ArchiveDep) -> HTMLResponse:
    q = request.query_params.get("q", "")
    page = archive.list(ArchiveQuery(page=_int_param(request, "page", 1), per_page=20, q=q))
    return render(request, "index.html", page=page, q=q)


@router.get("/factchecks/{factcheck_id}", response_class=HTMLResponse)
def factcheck_page(request: Request, factcheck_id: str, archive: ArchiveDep) -> HTMLResponse:
    fc = archive.show(factcheck_id)
    return render(request, "factcheck.html", fc=fc, jsonld=claimreview_json(fc))


@router.get("/match", response_class=HTMLResponse)
def match_form(request: Request) -> HTMLResponse:
    return render(request, "match.html", text="", result=None)


@router.post("/match", response_class=HTMLResponse)
async def match_page(request: Request, matching: MatchingDep, archive: ArchiveDep) -> HTMLResponse:
    form = await request.form()
    text = str(form.get("text") or "")
    result = matching.match_posts([(None, text)])[0]
    claims = {m.factcheck_id: archive.show(m.factcheck_id) for m in result.matches}
    return render(request, "match.html", text=text, result=result, claims=claims)

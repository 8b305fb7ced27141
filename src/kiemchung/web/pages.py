"""Server-rendered HTML pages (Vietnamese first, English with ?lang=en)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from kiemchung.app_context import AppContext
from kiemchung.domain.claimreview import claimreview_json, factcheck_to_claimreview
from kiemchung.domain.imports import is_http_url
from kiemchung.domain.models import FactCheck
from kiemchung.errors import InputError
from kiemchung.services.factchecks import ArchiveQuery
from kiemchung.services.matching import MatchOut, PostResult
from kiemchung.services.onboarding import NextSteps
from kiemchung.text import strip_controls
from kiemchung.web.api import run_matching
from kiemchung.web.auth import OptionalActor, client_of
from kiemchung.web.deps import ArchiveDep, ContextDep
from kiemchung.web.formatting import install_filters
from kiemchung.web.i18n import LANGUAGES, translator
from kiemchung.web.messages import translate_error
from kiemchung.web.previews import factcheck_preview, home_preview

router = APIRouter(include_in_schema=False)
FEED_SIZE = 50
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.tests["http_url"] = is_http_url  # `{% if url is http_url %}`: only http(s) links become <a href>
install_filters(templates.env)  # |date, |datetime, |score, |number in the page's language and time zone


def next_steps(request: Request) -> NextSteps:
    """A fresh installation's next steps for the signed-in person (issue 11, item 13): a template global, so the
    pages that show them (`{% include "_next_steps.html" %}`: home, queue, archive import, sources) need nothing
    from their routes; nothing for anyone signed out."""
    context: AppContext = request.app.state.context
    return context.onboarding.next_steps(getattr(request.state, "actor", None))


templates.env.globals["next_steps"] = next_steps


def language_of(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return str(request.app.state.context.settings.default_language)


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    lang = language_of(request)
    session = getattr(request.state, "session", None)
    values.setdefault("message", None)
    response = templates.TemplateResponse(
        request,
        template,
        {"lang": lang, "t": translator(lang), "zone": request.app.state.context.settings.zone,
         "actor": getattr(request.state, "actor", None), "csrf": session.csrf_token if session else "", **values},
        status_code=status,
    )  # fmt: skip
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    """The error page in the page's language: the status in words, then the message's wording; a message with
    no Vietnamese wording shows the status explained, the English message kept as a technical detail."""
    lang = language_of(request)
    words = translator(lang)
    translated = translate_error(message, lang)
    return render(request, "error.html", status=status, heading=words.get(f"error_{status}", str(status)),
                  reason=translated or words.get(f"error_help_{status}", ""),
                  detail=None if translated else message)  # fmt: skip


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InputError(f"{name} must be a whole number") from None


@router.get("/", response_class=HTMLResponse)
def index(request: Request, archive: ArchiveDep, context: ContextDep, actor: OptionalActor) -> HTMLResponse:
    q = request.query_params.get("q", "")
    page = archive.list(ArchiveQuery(page=_int_param(request, "page", 1), per_page=20, q=q))
    lang = language_of(request)
    words = translator(lang)
    preview = home_preview(context.settings.base_url, words["title"], words["tagline"], words["site_description"], lang)
    return render(request, "index.html", page=page, q=q, preview=preview)


@router.get("/factchecks/{factcheck_id}", response_class=HTMLResponse)
def factcheck_page(request: Request, factcheck_id: str, archive: ArchiveDep, context: ContextDep,
                   actor: OptionalActor) -> HTMLResponse:  # fmt: skip
    """Public, no sign-in: the verdict, its rebuttal with cited evidence, and every version (corrections)."""
    fc = archive.show(factcheck_id)
    versions = context.cases.versions(fc.id)
    card = card_url(context, fc.id) if context.cards.has_card(fc.id) else None
    lang = language_of(request)
    preview = factcheck_preview(context.settings.base_url, fc, card, translator(lang)["title"], lang)
    response = render(request, "factcheck.html", fc=fc, jsonld=claimreview_json(fc), versions=versions, card=card,
                      preview=preview)  # fmt: skip
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def card_url(context: AppContext, factcheck_id: str, size: str = "wide") -> str:
    """The absolute address of a fact-check's share card (og:image needs one)."""
    return f"{context.settings.base_url}/factchecks/{quote(factcheck_id)}/card.png?size={size}"


@router.get("/factchecks/{factcheck_id}/card.png")
def share_card(factcheck_id: str, context: ContextDep, size: str = "wide") -> Response:
    """Public: the share card (PNG) of a fact-check published here, 1200×630 (wide) or 1080×1080 (square)."""
    png = context.cards.card(factcheck_id, size)
    disposition = f'inline; filename="{quote(factcheck_id)}-{size}.png"'
    return Response(png, media_type="image/png",
                    headers={"Cache-Control": "public, max-age=300", "Content-Disposition": disposition})  # fmt: skip


@router.get("/feed.xml")
def feed(request: Request, context: ContextDep) -> Response:
    """Atom feed of the newest fact-checks (published here or imported), public. Every text goes through
    `_xml`, so a control character stored before it was stripped on input cannot break the XML."""
    page = context.factcheck_store.page(1, FEED_SIZE)
    base = _xml(context.settings.base_url)
    updated = max((fc.updated_at for fc in page.items if fc.updated_at), default=datetime.now(UTC))
    entries = "".join(
        f"<entry><id>{base}/factchecks/{_xml(quote(fc.id, safe=''))}</id><title>{_xml(fc.claim)}</title>"
        f'<link href="{base}/factchecks/{_xml(quote(fc.id, safe=""))}"/>'
        f"<updated>{_aware(fc.updated_at or updated).isoformat()}</updated>"
        f"<summary>{_xml(fc.rating.label)}: {_xml(fc.summary or '')}</summary>"
        f"<author><name>{_xml(fc.publisher or 'kiemchung')}</name></author></entry>"
        for fc in page.items
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>{base}/feed.xml</id><title>Kiểm Chứng</title><updated>{_aware(updated).isoformat()}</updated>"
        f'<link rel="self" href="{base}/feed.xml"/>{entries}</feed>'
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _xml(text: str) -> str:
    """Text safe inside an XML 1.0 element or attribute: no control characters, markup escaped."""
    return escape(strip_controls(text))


@router.get("/claimreviews.json")
def claimreviews(context: ContextDep, organisation: int | None = None) -> JSONResponse:
    """Published fact-checks as a list of schema.org ClaimReview objects: what other organisations
    subscribe to. `organisation` limits it to one organisation's own publications."""
    items = [factcheck_to_claimreview(fc) for fc in context.factcheck_store.published_here(organisation)]
    return JSONResponse(items, headers={"Cache-Control": "public, max-age=60"})


SITEMAP_SIZE = 50_000  # the most URLs one sitemap file may list (sitemaps.org)
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@router.get("/sitemap.xml")
def sitemap(context: ContextDep) -> Response:
    """Public: an XML sitemap (sitemaps.org 0.9) of the fact-checks published here, each with the time it was
    last written (a correction, appearances added), at KIEMCHUNG_PUBLIC_URL. Imported ones are left out:
    their own publisher's address is theirs to list."""
    base = context.settings.base_url
    entries = "".join(_sitemap_entry(base, fc) for fc in context.factcheck_store.published_here(limit=SITEMAP_SIZE))
    body = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{SITEMAP_NS}">{entries}</urlset>'
    return Response(body, media_type="application/xml; charset=utf-8", headers={"Cache-Control": "public, max-age=300"})


def _sitemap_entry(base: str, fc: FactCheck) -> str:
    loc = f"<loc>{_xml(base)}/factchecks/{_xml(quote(fc.id, safe=''))}</loc>"
    lastmod = f"<lastmod>{_aware(fc.updated_at).isoformat()}</lastmod>" if fc.updated_at else ""
    return f"<url>{loc}{lastmod}</url>"


@router.get("/robots.txt")
def robots(context: ContextDep) -> Response:
    """Public: every crawler welcome, pointed at the sitemap of published fact-checks."""
    body = f"User-agent: *\nDisallow:\n\nSitemap: {context.settings.base_url}/sitemap.xml\n"
    return Response(body, media_type="text/plain; charset=utf-8", headers={"Cache-Control": "public, max-age=3600"})


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/match", response_class=HTMLResponse)
def match_form(request: Request, actor: OptionalActor) -> HTMLResponse:
    return render(request, "match.html", text="", result=None)


@router.post("/match", response_class=HTMLResponse)
async def match_page(request: Request, context: ContextDep, actor: OptionalActor) -> HTMLResponse:
    """The public match form: the same budgets and anonymous gate as POST /api/v1/match, off the event loop."""
    form = await request.form()
    text = str(form.get("text") or "")
    context.match_budgets.charge(actor, client_of(request), 1)
    result, claims = await run_matching(request, actor, partial(_match_one, context, text))
    return render(request, "match.html", text=text, result=result, claims=claims, headline=headline_of(result),
                  shows_rating=shows_rating)  # fmt: skip


def _match_one(context: AppContext, text: str) -> tuple[PostResult, dict[str, FactCheck]]:
    result = context.matching.match_posts([(None, text)])[0]
    return result, {m.factcheck_id: context.archive.show(m.factcheck_id) for m in result.matches}


def headline_of(result: PostResult) -> str:
    """The string key of the answer's headline: a post that refutes a claim it closely restates is neither
    "matched" nor "nothing found"."""
    if result.matched:
        return "matched"
    top = result.matches[0] if result.matches else None
    if top is not None and top.closeness == "same" and top.stance == "refutes":
        return "refutes_match"
    return "not_matched"


def shows_rating(result: PostResult, match: MatchOut) -> bool:
    """A fact-check's rating stands beside a post only where the post was matched to that very claim: close
    enough to be the same, and not refuting it."""
    return result.matched and match.closeness == "same" and match.stance != "refutes"

"""Narratives over the web: the JSON API (/api/v1/narratives…) and the pages (/narratives…). Both render the
same service results; every route is the caller's organisation's (another's narrative is "not found"), every
change is an editor's (PUBLISH), CSRF-protected like every session POST, and audited by the service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from kiemchung.domain.accounts import PUBLISH, READ, Actor
from kiemchung.domain.narratives import RISK_LEVELS
from kiemchung.errors import InputError
from kiemchung.services.narratives import NarrativeDetail, export_jsonl, narrative_json, owner
from kiemchung.web.auth import needs
from kiemchung.web.deps import ContextDep, FormDep
from kiemchung.web.pages import render
from kiemchung.web.trends import trend_charts

api = APIRouter(tags=["narratives"])
pages = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(needs(READ))]
Editor = Annotated[Actor, Depends(needs(PUBLISH))]


class Rename(BaseModel):
    label: str = Field(max_length=2000)


class Pin(BaseModel):
    factcheck_id: str | None = Field(default=None, max_length=255)  # null unpins


class Risk(BaseModel):
    risk_level: str = Field(max_length=20)


class Merge(BaseModel):
    source: int  # the narrative merged into this one (it is gone afterwards)


class Split(BaseModel):
    posts: list[str] = Field(max_length=10_000)
    label: str | None = Field(default=None, max_length=2000)


# -- API ------------------------------------------------------------------------------------------------------


@api.get("/narratives")
def list_narratives(actor: Reader, context: ContextDep, limit: int = 100) -> list[dict[str, Any]]:
    """Your organisation's narratives, the largest first, with their counts."""
    return [narrative_json(n) for n in context.narratives.listing(actor, max(1, min(limit, 1000)))]


@api.get("/narratives.jsonl")
def export_narratives(actor: Reader, context: ContextDep) -> Response:
    """The export contract: one JSON line per narrative (id, label, post_ids, factcheck_ids, first_seen,
    last_seen, bursts)."""
    body = "".join(export_jsonl(context.narratives.export(owner(actor))))
    return Response(body, media_type="application/x-ndjson; charset=utf-8")


@api.get("/narratives/{narrative_id}")
def get_narrative(narrative_id: int, actor: Reader, context: ContextDep) -> dict[str, Any]:
    return context.narratives.detail(actor, narrative_id).as_json()


@api.get("/narratives/{narrative_id}/fingerprint")
def get_fingerprint(narrative_id: int, actor: Reader, context: ContextDep) -> dict[str, Any]:
    """The narrative as partners receive it: label, variants, languages, first/last seen, counts, fact-checks,
    risk level."""
    return context.narratives.detail(actor, narrative_id).fingerprint()


@api.post("/narratives/{narrative_id}/rename")
def rename_narrative(narrative_id: int, body: Rename, actor: Editor, context: ContextDep) -> dict[str, Any]:
    return context.narratives.rename(actor, narrative_id, body.label).as_json()


@api.post("/narratives/{narrative_id}/pin")
def pin_factcheck(narrative_id: int, body: Pin, actor: Editor, context: ContextDep) -> dict[str, Any]:
    return context.narratives.pin(actor, narrative_id, body.factcheck_id, context.factcheck_store).as_json()


@api.post("/narratives/{narrative_id}/risk")
def set_risk(narrative_id: int, body: Risk, actor: Editor, context: ContextDep) -> dict[str, Any]:
    return context.narratives.set_risk(actor, narrative_id, body.risk_level).as_json()


@api.post("/narratives/{narrative_id}/merge")
def merge_narratives(narrative_id: int, body: Merge, actor: Editor, context: ContextDep) -> dict[str, Any]:
    return context.narratives.merge(actor, narrative_id, body.source).as_json()


@api.post("/narratives/{narrative_id}/split", status_code=201)
def split_narrative(narrative_id: int, body: Split, actor: Editor, context: ContextDep) -> dict[str, Any]:
    """The posts named leave for a new narrative, returned."""
    return context.narratives.split(actor, narrative_id, body.posts, body.label).as_json()


# -- pages ----------------------------------------------------------------------------------------------------


def _to(narrative: NarrativeDetail | int, message: str = "✓") -> RedirectResponse:
    number = narrative if isinstance(narrative, int) else narrative.narrative.id
    return RedirectResponse(f"/narratives/{number}?msg={message}", status_code=303)


def _text(form: Any, name: str) -> str:
    return str(form.get(name) or "").strip()


def _number(form: Any, name: str) -> int:
    raw = _text(form, name).lstrip("#")
    if not raw.isascii() or not raw.isdigit():
        raise InputError(f"{name} must be a narrative number")
    return int(raw)


@pages.get("/narratives", response_class=HTMLResponse)
def narratives_page(request: Request, actor: Reader, context: ContextDep) -> Response:
    return render(request, "narratives.html", narratives=context.narratives.listing(actor, 200))


@pages.get("/narratives/{narrative_id}", response_class=HTMLResponse)
def narrative_page(request: Request, narrative_id: int, actor: Reader, context: ContextDep) -> Response:
    detail = context.narratives.detail(actor, narrative_id)
    trend = context.trends.trend(actor, narrative_id)
    return render(request, "narrative.html", detail=detail, fingerprint=detail.fingerprint(), risks=RISK_LEVELS,
                  trend=trend, charts=trend_charts(request, trend),
                  message=request.query_params.get("msg"))  # fmt: skip


@pages.post("/narratives/{narrative_id}/rename")
def rename_form(narrative_id: int, actor: Editor, context: ContextDep, form: FormDep) -> Response:
    return _to(context.narratives.rename(actor, narrative_id, _text(form, "label")))


@pages.post("/narratives/{narrative_id}/pin")
def pin_form(narrative_id: int, actor: Editor, context: ContextDep, form: FormDep) -> Response:
    factcheck_id = _text(form, "factcheck_id") or None
    return _to(context.narratives.pin(actor, narrative_id, factcheck_id, context.factcheck_store))


@pages.post("/narratives/{narrative_id}/risk")
def risk_form(narrative_id: int, actor: Editor, context: ContextDep, form: FormDep) -> Response:
    return _to(context.narratives.set_risk(actor, narrative_id, _text(form, "risk_level")))


@pages.post("/narratives/{narrative_id}/merge")
def merge_form(narrative_id: int, actor: Editor, context: ContextDep, form: FormDep) -> Response:
    return _to(context.narratives.merge(actor, narrative_id, _number(form, "source")))


@pages.post("/narratives/{narrative_id}/split")
def split_form(narrative_id: int, actor: Editor, context: ContextDep, form: FormDep) -> Response:
    posts = [str(p) for p in form.getlist("posts")]
    return _to(context.narratives.split(actor, narrative_id, posts, _text(form, "label") or None))

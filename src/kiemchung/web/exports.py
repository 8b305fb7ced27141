"""Exports a manager asks for (issue 11, item 11): cases, alerts, fact-checks and posts as CSV, beside the
JSON lists and with the same filters and the same organisation scoping: each CSV route asks the very store
or service call its JSON list asks. Cells are formula-safe and the file opens in Excel with its Vietnamese
intact (`domain/spreadsheets.py`). Exports only read: nothing is written on these GETs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import Actor
from kiemchung.domain.priorities import priority_name
from kiemchung.domain.spreadsheets import csv_document
from kiemchung.services.factchecks import MAX_PER_PAGE, ArchiveQuery
from kiemchung.store.cases import CaseFilter
from kiemchung.store.posts import StoredPost
from kiemchung.web.api_work import Reader
from kiemchung.web.deps import ArchiveDep, ContextDep
from kiemchung.web.downloads import attachment
from kiemchung.web.pages import templates

router = APIRouter()
MAX_EXPORT_ROWS = 10_000  # rows per file; `offset` reaches the rest
CSV_TYPE = "text/csv; charset=utf-8"

CASE_COLUMNS = ("id", "claim", "status", "priority", "topic", "assignee", "spread", "first_detected_at",
                "updated_at", "rating", "summary", "signed_off", "factcheck_id", "published_at",
                "time_to_publication_s", "link")  # fmt: skip
ALERT_COLUMNS = ("id", "kind", "created_at", "sentence", "score", "source_count", "post_id", "post_url",
                 "post_title", "factcheck_id", "factcheck_claim", "factcheck_rating", "factcheck_link",
                 "link")  # fmt: skip
FACTCHECK_COLUMNS = ("id", "claim", "rating", "url", "language", "published", "summary", "publisher", "link")
POST_COLUMNS = ("id", "source_id", "title", "url", "published", "fetched_at", "language", "copy_of",
                "copy_similarity", "text")  # fmt: skip


def export_link(request: Request, path: str) -> str:
    """The CSV export at `path` with the filters of the page showing it (empty ones and the language left
    out: an empty filter means "all", which the API expresses by leaving it out)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if v != "" and k not in {"lang", "page"}]
    return f"{path}?{urlencode(kept)}" if kept else path


templates.env.globals["export_link"] = export_link


def _csv(columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]], name: str) -> Response:
    return attachment(csv_document(columns, rows), CSV_TYPE, name)


# -- cases ------------------------------------------------------------------------------------------------


@router.get("/cases.csv", tags=["exports"])
def cases_csv(
    actor: Reader,
    context: ContextDep,
    status: str | None = None,
    priority: int | None = Query(None, ge=0, le=3),
    source_id: int | None = None,
    topic: str | None = None,
    assignee_id: int | None = None,
    q: str = Query("", max_length=200),
    sort: Literal["recent", "oldest", "priority", "spread"] = "recent",
    limit: int = Query(MAX_EXPORT_ROWS, ge=1, le=MAX_EXPORT_ROWS),
    offset: int = Query(0, ge=0),
) -> Response:
    """The queue as GET /api/v1/cases filters it (your organisation's cases and those shared with it)."""
    filters = CaseFilter(status, priority, source_id, topic, assignee_id, q, sort, limit, offset)
    found, _total = context.cases.queue(actor, filters)
    base = context.settings.base_url
    rows = ({**_case_row(c), "link": f"{base}/cases/{c.id}"} for c in found)
    return _csv(CASE_COLUMNS, rows, "cases.csv")


def _case_row(case: Any) -> dict[str, Any]:
    return {
        "id": case.id, "claim": case.claim, "status": case.status, "priority": priority_name(case.priority),
        "topic": case.topic, "assignee": case.assignee, "spread": case.spread,
        "first_detected_at": case.first_detected_at,
        "updated_at": case.updated_at, "rating": case.rating_label, "summary": case.summary,
        "signed_off": case.signed_off_by is not None, "factcheck_id": case.factcheck_id,
        "published_at": case.published_at, "time_to_publication_s": case.time_to_publication_s,
    }  # fmt: skip


# -- alerts -----------------------------------------------------------------------------------------------


@router.get("/alerts.csv", tags=["exports"])
def alerts_csv(
    actor: Reader,
    context: ContextDep,
    limit: int = Query(MAX_EXPORT_ROWS, ge=1, le=MAX_EXPORT_ROWS),
    kind: str | None = None,
) -> Response:
    """Your organisation's alerts as GET /api/v1/alerts filters them, newest first."""
    alerts = context.alert_store.recent(limit, kind, organisation_id=actor.organisation_id)
    return _csv(ALERT_COLUMNS, (_flat_alert(a.as_json(context.settings.base_url)) for a in alerts), "alerts.csv")


def _flat_alert(alert: dict[str, Any]) -> dict[str, Any]:
    post = alert.pop("post") or {}
    factcheck = alert.pop("factcheck") or {}
    return {**alert, "post_id": post.get("id"), "post_url": post.get("url"), "post_title": post.get("title"),
            "factcheck_id": factcheck.get("id"), "factcheck_claim": factcheck.get("claim"),
            "factcheck_rating": factcheck.get("rating"), "factcheck_link": factcheck.get("link")}  # fmt: skip


# -- fact-checks ------------------------------------------------------------------------------------------


@router.get("/factchecks.csv", tags=["exports"])
def factchecks_csv(
    archive: ArchiveDep,
    context: ContextDep,
    q: str = Query("", max_length=500, description="Words that must all occur (diacritics optional)."),
    limit: int = Query(MAX_EXPORT_ROWS, ge=1, le=MAX_EXPORT_ROWS),
    offset: int = Query(0, ge=0),
) -> Response:
    """The public archive as GET /api/v1/factchecks searches it, newest first, every page at once."""
    return _csv(FACTCHECK_COLUMNS, _factcheck_rows(archive, context, q, limit, offset), "factchecks.csv")


def _factcheck_rows(archive: Any, context: AppContext, q: str, limit: int, offset: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = offset // MAX_PER_PAGE + 1
    skip = offset % MAX_PER_PAGE
    base = context.settings.base_url
    while len(rows) < limit:
        found = archive.list(ArchiveQuery(page=page, per_page=MAX_PER_PAGE, q=q))
        for fc in found.items[skip:]:
            rows.append({"id": fc.id, "claim": fc.claim, "rating": fc.rating.label, "url": fc.url,
                         "language": fc.language, "published": fc.published, "summary": fc.summary,
                         "publisher": fc.publisher, "link": f"{base}/factchecks/{quote(fc.id, safe='')}"})  # fmt: skip
        if page >= found.pages:
            break
        page, skip = page + 1, 0
    return rows[:limit]


# -- posts ------------------------------------------------------------------------------------------------


def _posts(
    actor: Actor, context: AppContext, source_id: int | None, case_id: int | None, limit: int, offset: int
) -> tuple[list[StoredPost], int]:
    """Your organisation's posts, or those of one case it may read (another's case is "not found")."""
    if case_id is not None:
        context.cases.get(actor, case_id)
    return context.post_store.find(actor.organisation_id, source_id, limit, offset, case_id=case_id)


@router.get("/posts", tags=["monitoring"])
def list_posts(
    actor: Reader,
    context: ContextDep,
    source_id: int | None = None,
    case_id: int | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Your organisation's posts (its sources'), newest first; one source's with `source_id`. With `case_id`:
    the posts appearing in that case, which your organisation owns or which is shared with it."""
    found, total = _posts(actor, context, source_id, case_id, limit, offset)
    return {"total": total, "items": [{**p.as_json(), "source_id": p.source_id} for p in found]}


@router.get("/posts.csv", tags=["exports"])
def posts_csv(
    actor: Reader,
    context: ContextDep,
    source_id: int | None = None,
    case_id: int | None = None,
    limit: int = Query(MAX_EXPORT_ROWS, ge=1, le=MAX_EXPORT_ROWS),
    offset: int = Query(0, ge=0),
) -> Response:
    """GET /api/v1/posts as CSV, with the same filters."""
    found, _total = _posts(actor, context, source_id, case_id, limit, offset)
    rows = ({**p.as_json(), "source_id": p.source_id, "fetched_at": p.fetched_at} for p in found)
    return _csv(POST_COLUMNS, rows, "posts.csv")

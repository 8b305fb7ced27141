"""Trends over the web: a narrative's trend (API), the numbers behind its chart (CSV), and the /trends
dashboard (page and API). All read-only and the caller's organisation's (another's narrative is "not
found"); the same service results feed the page, the API and the CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from kiemchung.domain.accounts import READ, Actor
from kiemchung.errors import InputError
from kiemchung.reporting.charts import TrendLegend
from kiemchung.services.narrative_trends import WINDOWS, NarrativeTrend, TrendBoard, TrendRow
from kiemchung.web.auth import needs
from kiemchung.web.deps import ContextDep
from kiemchung.web.i18n import translator
from kiemchung.web.pages import language_of, render

api = APIRouter(tags=["narratives"])
pages = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(needs(READ))]
STEPS = ("day", "hour")


def _step(step: str) -> str:
    if step not in STEPS:
        raise InputError("step must be day or hour")
    return step


def trend_charts(request: Request, trend: NarrativeTrend) -> dict[str, Markup]:
    """The narrative's charts by day and by hour, in the page's language (our own SVG: no user markup in
    it but escaped labels)."""
    t = translator(language_of(request))
    legend = TrendLegend(t["posts"], t["trend_sources"], t["trend_forecast_band"])
    return {step: Markup(trend.chart(step, legend, t[f"trend_chart_{step}"])) for step in STEPS}  # noqa: S704


def _row_json(row: TrendRow) -> dict[str, Any]:
    f = row.forecast
    return {
        "id": row.narrative.id, "label": row.narrative.label, "posts": row.posts, "sources": row.sources,
        "bursting": row.state.bursting, "last_burst": row.state.last.start.isoformat() if row.state.last else None,
        "forecast_24h": {"median": f.next_24h.median, "lower": f.next_24h.lower, "upper": f.next_24h.upper},
        "growing": f.growing, "verdict": row.verdict, "topic": row.topic,
    }  # fmt: skip


def _board_json(board: TrendBoard) -> dict[str, Any]:
    return {"now": board.now.isoformat(), "window": board.window, "verdict": board.verdict, "topic": board.topic,
            "narratives": [_row_json(row) for row in board.rows]}  # fmt: skip


@api.get("/narratives/{narrative_id}/trend")
def get_trend(narrative_id: int, actor: Reader, context: ContextDep) -> dict[str, Any]:
    """The narrative's timeline by day and hour (posts, distinct sources), its bursts, whether it is bursting,
    and its forecast: the next 24 hours and 7 days with the 80 % interval, and P(still growing)."""
    return context.trends.trend(actor, narrative_id).as_json()


@api.get("/trends")
def get_trends(actor: Reader, context: ContextDep, window: str = "24h", verdict: str = "", topic: str = "") -> Any:
    """The top narratives now: the most posts in the window (24h, 7d, 30d), then the likeliest to grow."""
    return _board_json(context.trends.board(actor, window, verdict or None, topic or None))


@pages.get("/narratives/{narrative_id}/trend.csv")
def trend_csv(narrative_id: int, actor: Reader, context: ContextDep, step: str = "day") -> Response:
    """The numbers behind the narrative's chart: one row per day (or hour), then the forecast's rows."""
    body = context.trends.trend(actor, narrative_id).csv(_step(step))
    disposition = f'attachment; filename="narrative-{narrative_id}-{step}.csv"'
    return Response(body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})


@pages.get("/trends", response_class=HTMLResponse)
def trends_page(request: Request, actor: Reader, context: ContextDep) -> Response:
    query = request.query_params
    window = query.get("window") or "24h"
    board = context.trends.board(actor, window, query.get("verdict") or None, query.get("topic") or None)
    return render(request, "trends.html", board=board, windows=list(WINDOWS))

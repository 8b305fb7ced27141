"""Trend use cases of narratives: burst alerts as posts are stored, a narrative's trend (timeline, bursts,
forecast, chart, CSV) and the /trends dashboard. One service result feeds the page, the API and the CSV.

Burst alerts run inside the pipeline's write transaction (the posts, their narrative memberships and the
alerts they raise are stored together) and go out through the alert channels like every alert, once per
burst (dedupe key: the narrative and the burst's first hour). Pages and the API look at the clock's `now`;
the export contract at the narrative's latest post (domain/narrative_trends.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from kiemchung.domain import trends
from kiemchung.domain.accounts import READ, Actor
from kiemchung.domain.narrative_trends import (
    Bucket,
    BurstState,
    Timeline,
    buckets,
    burst_state,
    new_bursts,
    starts_burst,
)
from kiemchung.domain.narratives import Narrative
from kiemchung.errors import InputError, NotFoundError
from kiemchung.reporting.charts import TrendLegend, TrendPoint, sparkline, trend_chart, trend_csv
from kiemchung.store import narrative_timelines
from kiemchung.store.alerts import NewAlert
from kiemchung.store.database import Database
from kiemchung.store.narrative_timelines import TimelineStore
from kiemchung.store.narratives import NarrativeStore

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
CHART_DAYS = 60  # the daily chart: the narrative's life, the last 60 days at most
CHART_HOURS = 72  # the hourly chart: the last three days
BOARD_SIZE = 30


def _owner(actor: Actor) -> int | None:
    return actor.organisation_id or None


def _points(found: Sequence[Bucket]) -> list[TrendPoint]:
    return [TrendPoint(b.start, b.posts, b.sources) for b in found]


def _forecast_json(point: trends.Point) -> dict[str, Any]:
    return {"start": point.start.isoformat(), "median": point.median, "lower": point.lower, "upper": point.upper}


def _burst_json(burst: trends.Burst) -> dict[str, Any]:
    return {"start": burst.start.isoformat(), "end": burst.end.isoformat(), "posts": burst.posts,
            "peak": burst.peak.isoformat(), "fired": burst.fired.isoformat() if burst.fired else None}  # fmt: skip


@dataclass(frozen=True)
class NarrativeTrend:
    """A narrative's trend at `now`: its timeline by day and by hour, its bursts, state and forecast."""

    narrative: Narrative
    now: datetime
    daily: list[Bucket]
    hourly: list[Bucket]
    bursts: list[trends.Burst]
    state: BurstState
    forecast: trends.Forecast

    def chart(self, step: str, legend: TrendLegend, title: str) -> str:
        if step == "hour":
            return trend_chart(_points(self.hourly), self.forecast.hours, title, legend)
        return trend_chart(_points(self.daily), self.forecast.days, title, legend)

    def csv(self, step: str) -> str:
        if step == "hour":
            return trend_csv(_points(self.hourly), self.forecast.hours)
        return trend_csv(_points(self.daily), self.forecast.days)

    def as_json(self) -> dict[str, Any]:
        f = self.forecast
        return {
            "id": self.narrative.id, "now": self.now.isoformat(),
            "forecast": {"next_24h": _forecast_json(f.next_24h), "next_7_days": _forecast_json(f.next_7_days),
                         "growing": f.growing, "interval": 0.8},
            "bursting": self.state.bursting, "bursts": [_burst_json(b) for b in self.bursts],
            "daily": [{"start": b.start.isoformat(), "posts": b.posts, "sources": b.sources} for b in self.daily],
            "hourly": [{"start": b.start.isoformat(), "posts": b.posts, "sources": b.sources} for b in self.hourly],
        }  # fmt: skip


@dataclass(frozen=True)
class TrendRow:
    """One narrative on the dashboard."""

    narrative: Narrative
    posts: int  # in the window
    sources: int  # distinct, in the window
    sparkline: str
    state: BurstState
    forecast: trends.Forecast
    verdict: str | None
    topic: str | None


@dataclass(frozen=True)
class TrendBoard:
    now: datetime
    window: str
    verdict: str | None
    topic: str | None
    rows: list[TrendRow]
    verdicts: list[str]  # the filters' choices
    topics: list[str]


class TrendService:
    def __init__(self, database: Database, clock: Callable[[], datetime] | None = None) -> None:
        self.database = database
        self.store = TimelineStore(database)
        self.narratives = NarrativeStore(database)
        self.clock = clock or (lambda: datetime.now(UTC))

    # -- burst alerts (inside the pipeline's transaction) ---------------------------------------------------

    @staticmethod
    def burst_alerts(connection: Connection, post_ids: Sequence[str]) -> list[NewAlert]:
        """A `burst` alert for every burst the narratives of these just-stored posts start (see the module
        docstring); the store keeps one per dedupe key."""
        since = narrative_timelines.narratives_of_posts(connection, post_ids)
        moments = narrative_timelines.times(connection, sorted(since))
        starting = sorted(number for number, times in moments.items() if starts_burst(times, since[number]))
        if not starting:
            return []
        found = narrative_timelines.timelines(connection, starting)
        names = narrative_timelines.labels(connection, starting)
        alerts = []
        for number, timeline in found.items():
            for evidence in new_bursts(timeline, since[number]):
                first = evidence.first_posts[0][0] if evidence.first_posts else None
                alerts.append(NewAlert("burst", evidence.key, first, None, names.get(number, ""),
                                       float(evidence.hour_posts), evidence.sources, evidence.as_json()))  # fmt: skip
        return alerts

    # -- one narrative ------------------------------------------------------------------------------------

    def trend(self, actor: Actor, narrative_id: int, now: datetime | None = None) -> NarrativeTrend:
        """The narrative's trend; NotFoundError when the caller's organisation does not own it."""
        actor.require(READ)
        narrative = self.narratives.get(_owner(actor), narrative_id)
        if narrative is None:
            raise NotFoundError(f"no narrative {narrative_id}")
        moment = now or self.clock()
        timeline = self.store.timelines([narrative_id])[narrative_id]
        return self._trend(narrative, timeline, moment)

    @staticmethod
    def _trend(narrative: Narrative, timeline: Timeline, now: datetime) -> NarrativeTrend:
        times = timeline.times()
        first = min(times, default=now)
        daily = buckets(timeline, "day", start=max(first, now - timedelta(days=CHART_DAYS)), end=now)
        hourly = buckets(timeline, "hour", start=now - timedelta(hours=CHART_HOURS - 1), end=now)
        found = trends.bursts_for(times, now)
        state = burst_state(timeline, now, now - timedelta(days=CHART_DAYS))
        return NarrativeTrend(narrative, now, daily, hourly, found, state, trends.forecast_for(times, now))

    # -- the dashboard ------------------------------------------------------------------------------------------

    def board(self, actor: Actor, window: str = "24h", verdict: str | None = None, topic: str | None = None,
              now: datetime | None = None) -> TrendBoard:  # fmt: skip
        """The organisation's narratives active in the window, the most posts in it first, then the likeliest
        to keep growing; filtered by verdict (the pinned or linked fact-check's rating) and topic."""
        actor.require(READ)
        if window not in WINDOWS:
            raise InputError(f"window must be one of {', '.join(WINDOWS)}")
        moment = now or self.clock()
        since = moment - WINDOWS[window]
        active = [n for n in self.narratives.of_organisation(_owner(actor)) if n.last_seen and n.last_seen >= since]
        numbers = [n.id for n in active]
        verdicts, topics = self.store.verdicts(numbers), self.store.topics(numbers)
        chosen = [n for n in active if (not verdict or verdicts.get(n.id) == verdict)
                  and (not topic or topics.get(n.id) == topic)]  # fmt: skip
        timelines = self.store.timelines([n.id for n in chosen])
        rows = [self._row(n, timelines[n.id], window, moment, verdicts.get(n.id), topics.get(n.id)) for n in chosen]
        rows = [row for row in rows if row.posts]
        rows.sort(key=lambda r: (-r.posts, -r.forecast.growing, r.narrative.id))
        return TrendBoard(moment, window, verdict, topic, rows[:BOARD_SIZE], sorted(set(verdicts.values())),
                          sorted(set(topics.values())))  # fmt: skip

    @staticmethod
    def _row(narrative: Narrative, timeline: Timeline, window: str, now: datetime, verdict: str | None,
             topic: str | None) -> TrendRow:  # fmt: skip
        since = now - WINDOWS[window]
        step: trends.Step = "day" if window == "30d" else "hour"
        first = since + (timedelta(days=1) if step == "day" else timedelta(hours=1))
        shown = buckets(timeline, step, start=first, end=now)
        inside = [p for p in timeline.posts if since < p.published <= now]
        title = f"#{narrative.id}: {len(inside)}"
        return TrendRow(
            narrative, len(inside), len({p.source for p in inside}), sparkline([b.posts for b in shown], title),
            burst_state(timeline, now, since), trends.forecast_for(timeline.times(), now), verdict, topic,
        )  # fmt: skip

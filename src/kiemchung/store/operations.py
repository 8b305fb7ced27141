"""Operational figures read from the database, for /metrics and /healthz: counts, ages and times only —
never a post's or a claim's text, never a person.

Read from the database (not from the process), so a server reports the pipeline that a separate
`kiemchung run` process drives. /healthz uses only the cheap, indexed reads (`health_facts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from kiemchung.store.database import Database, aware
from kiemchung.store.inbox import STATES
from kiemchung.store.schema import alert_deliveries, alerts, inbox, matches, posts, sources

RECENT_POSTS = 1000  # the lag from publication to storage is measured over this many newest stored posts


@dataclass(frozen=True)
class SourceHealth:
    name: str
    kind: str
    enabled: bool
    last_success_at: datetime | None
    last_error_at: datetime | None
    failures: int  # failed fetches in a row
    items_total: int


@dataclass(frozen=True)
class PipelineFigures:
    inbox: dict[str, int]  # entries by state
    oldest_pending_at: datetime | None
    stages: dict[str, int]  # items that passed each stage, in total
    lags_s: list[float]  # publication → storage, seconds, of the newest stored posts that carry a date
    sources: list[SourceHealth]


@dataclass(frozen=True)
class HealthFacts:
    failing_sources: int  # enabled sources whose last `threshold` fetches or more failed
    oldest_pending_at: datetime | None


def _oldest_pending(connection: Connection) -> datetime | None:
    """The oldest pending inbox item's arrival (the lowest id: the (state, id) index answers it)."""
    query = select(inbox.c.received_at).where(inbox.c.state == "pending").order_by(inbox.c.id).limit(1)
    return aware(connection.execute(query).scalar())


def _count(connection: Connection, table: object) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


class OperationsStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def health_facts(self, failures_threshold: int) -> HealthFacts:
        failing = (
            select(func.count())
            .select_from(sources)
            .where(sources.c.enabled.is_(True), sources.c.failures >= failures_threshold)
        )
        with self.database.read() as connection:
            return HealthFacts(int(connection.execute(failing).scalar_one()), _oldest_pending(connection))

    def figures(self) -> PipelineFigures:
        with self.database.read() as connection:
            return PipelineFigures(
                self._inbox(connection), _oldest_pending(connection), self._stages(connection),
                self._lags(connection), self._sources(connection),
            )  # fmt: skip

    @staticmethod
    def _inbox(connection: Connection) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        rows = connection.execute(select(inbox.c.state, func.count()).group_by(inbox.c.state))
        counts.update({state: int(n) for state, n in rows})
        return counts

    @staticmethod
    def _stages(connection: Connection) -> dict[str, int]:
        return {
            "collected": _count(connection, inbox),
            "stored": _count(connection, posts),
            "matched": _count(connection, matches),
            "alerted": _count(connection, alerts),
            "delivered": _count(connection, alert_deliveries),
        }

    @staticmethod
    def _lags(connection: Connection) -> list[float]:
        query = (
            select(inbox.c.processed_at, posts.c.published_at)
            .join(posts, posts.c.id == inbox.c.post_id)
            .where(inbox.c.state == "done", posts.c.published_at.is_not(None), inbox.c.processed_at.is_not(None))
            .order_by(inbox.c.id.desc())
            .limit(RECENT_POSTS)
        )
        lags = []
        for stored, published in connection.execute(query):
            lags.append(max(0.0, (aware(stored) - aware(published)).total_seconds()))
        return lags

    @staticmethod
    def _sources(connection: Connection) -> list[SourceHealth]:
        c = sources.c
        query = select(c.name, c.kind, c.enabled, c.last_success_at, c.last_error_at, c.failures, c.items_total)
        query = query.order_by(c.name)
        return [
            SourceHealth(
                r.name,
                r.kind,
                bool(r.enabled),
                aware(r.last_success_at),
                aware(r.last_error_at),
                int(r.failures),
                int(r.items_total),
            )  # fmt: skip
            for r in connection.execute(query)
        ]

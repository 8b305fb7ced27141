"""Alert repository: alerts (once per dedupe key) and which channel has delivered which.

An alert belongs to its post's owner (the post's source's organisation) and to the owner of the case it
becomes (the workbench's intake rule: the fact-check's organisation, a subscription's, else the source's); an
alert of no one belongs to the instance's first organisation (store/organisations.py: `owner_of`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kiemchung.domain.alert_groups import alert_group_key
from kiemchung.store.database import Database, aware
from kiemchung.store.organisations import owner_of
from kiemchung.store.schema import alert_deliveries, alerts, factchecks, posts, sources, subscriptions


@dataclass(frozen=True)
class NewAlert:
    kind: str  # "repeat": a post repeats a fact-checked claim; "spread": a new claim in many sources; "burst"
    dedupe_key: str
    post_id: str | None
    factcheck_id: str | None
    sentence: str
    score: float
    source_count: int = 1
    evidence: dict[str, Any] | None = None  # a burst's (domain/narrative_trends.py: BurstEvidence.as_json)


@dataclass(frozen=True)
class Alert:
    id: int
    kind: str
    post_id: str | None
    post_url: str | None
    post_title: str | None
    factcheck_id: str | None
    factcheck_claim: str | None
    factcheck_rating: str | None
    factcheck_url: str | None
    sentence: str
    score: float
    source_count: int
    created_at: datetime
    read_at: datetime | None
    evidence: dict[str, Any] | None = None

    def as_json(self, base_url: str) -> dict[str, Any]:
        base = base_url.rstrip("/")
        return {
            "id": self.id,
            "kind": self.kind,
            "sentence": self.sentence,
            "score": self.score,
            "source_count": self.source_count,
            "created_at": self.created_at.isoformat(),
            "link": f"{base}/alerts#alert-{self.id}",
            "post": {"id": self.post_id, "url": self.post_url, "title": self.post_title} if self.post_id else None,
            "factcheck": {
                "id": self.factcheck_id,
                "claim": self.factcheck_claim,
                "rating": self.factcheck_rating,
                "url": self.factcheck_url,
                "link": f"{base}/factchecks/{quote(self.factcheck_id, safe='')}",
            }
            if self.factcheck_id
            else None,
            **_burst_json(self.evidence, base),
        }


def _burst_json(evidence: dict[str, Any] | None, base: str) -> dict[str, Any]:
    """A burst alert's evidence and its narrative's page (nothing for the other kinds)."""
    if not evidence:
        return {}
    narrative = evidence.get("narrative_id")
    return {"evidence": evidence, "narrative": {"id": narrative, "link": f"{base}/narratives/{narrative}"}}


_OWNED = (
    alerts.outerjoin(posts, posts.c.id == alerts.c.post_id)
    .outerjoin(factchecks, factchecks.c.id == alerts.c.factcheck_id)
    .outerjoin(sources, sources.c.id == posts.c.source_id)
    .outerjoin(subscriptions, subscriptions.c.id == factchecks.c.subscription_id)
)


def _owned_by(organisation_id: int) -> ColumnElement[bool]:
    """The alerts the organisation owns: its post's, or its case's (see the module docstring); use over _OWNED."""
    case_owner = func.coalesce(factchecks.c.organisation_id, subscriptions.c.organisation_id, sources.c.organisation_id)
    return or_(owner_of(sources.c.organisation_id) == organisation_id, owner_of(case_owner) == organisation_id)


_SELECT = select(
    alerts,
    posts.c.url.label("post_url"),
    posts.c.title.label("post_title"),
    factchecks.c.claim.label("factcheck_claim"),
    factchecks.c.rating_label.label("factcheck_rating"),
    factchecks.c.url.label("factcheck_url"),
).select_from(_OWNED)


def _from_row(row: Any) -> Alert:
    return Alert(
        row.id, row.kind, row.post_id, row.post_url, row.post_title, row.factcheck_id, row.factcheck_claim,
        row.factcheck_rating, row.factcheck_url, row.sentence, row.score, row.source_count, aware(row.created_at),
        aware(row.read_at), row.evidence,
    )  # fmt: skip


class AlertStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def add(connection: Connection, new: Sequence[NewAlert]) -> int:
        """Insert alerts; one whose dedupe key exists already is not raised twice. New count."""
        if not new:
            return 0
        now = datetime.now(UTC)
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(alerts).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(alerts.c.id)
        result = connection.execute(
            statement,
            [{"kind": a.kind, "dedupe_key": a.dedupe_key[:300], "post_id": a.post_id, "factcheck_id": a.factcheck_id,
              "sentence": a.sentence, "score": a.score, "source_count": a.source_count, "created_at": now,
              "evidence": a.evidence, "group_key": alert_group_key(a.kind, a.factcheck_id, a.dedupe_key[:300], now)}
             for a in new],
        )  # fmt: skip
        return len(result.all())

    def recent(self, limit: int = 100, kind: str | None = None, *, organisation_id: int | None = None) -> list[Alert]:
        """The newest alerts: the organisation's, or the whole installation's (None: the command line's)."""
        query = _SELECT.order_by(alerts.c.id.desc()).limit(limit)
        if kind:
            query = query.where(alerts.c.kind == kind)
        if organisation_id is not None:
            query = query.where(_owned_by(organisation_id))
        with self.database.read() as connection:
            return [_from_row(r) for r in connection.execute(query).all()]

    def count(self, *, organisation_id: int | None = None) -> int:
        """How many alerts the organisation owns (None: in the whole installation)."""
        query = select(func.count()).select_from(_OWNED)
        if organisation_id is not None:
            query = query.where(_owned_by(organisation_id))
        with self.database.read() as connection:
            return int(connection.execute(query).scalar_one())

    def undelivered(self, channel: str, limit: int) -> list[Alert]:
        delivered = exists().where(
            and_(alert_deliveries.c.alert_id == alerts.c.id, alert_deliveries.c.channel == channel)
        )
        query = _SELECT.where(~delivered).order_by(alerts.c.id).limit(limit)
        with self.database.read() as connection:
            return [_from_row(r) for r in connection.execute(query).all()]

    def mark_delivered(self, channel: str, alert_ids: Sequence[int]) -> None:
        now = datetime.now(UTC)
        with self.database.write() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            connection.execute(
                dialect.insert(alert_deliveries).on_conflict_do_nothing(index_elements=["alert_id", "channel"]),
                [{"alert_id": i, "channel": channel, "delivered_at": now} for i in alert_ids],
            )

    def last_delivery(self, channel: str) -> datetime | None:
        with self.database.read() as connection:
            moment = connection.execute(
                select(func.max(alert_deliveries.c.delivered_at)).where(alert_deliveries.c.channel == channel)
            ).scalar_one()
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment

    def mark_read(self, alert_id: int) -> bool:
        with self.database.write() as connection:
            result = connection.execute(
                update(alerts)
                .where(alerts.c.id == alert_id, alerts.c.read_at.is_(None))
                .values(read_at=datetime.now(UTC))
            )
        return result.rowcount == 1

"""What a period report counts, for one organisation: the only SQL of the reports.

Each object is counted for the organisation that owns it, by the rules the workbench uses (see
`store/organisations.py`): posts by their source's owner, suggested matches as the queue's intake assigns
them, cases, corrections and sources by their owner, received fact-checks by the subscription's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, select

from kiemchung.reporting.figures import PeriodNumbers, Snapshot, SourceHealth
from kiemchung.store.database import Database, aware
from kiemchung.store.organisations import owner_of
from kiemchung.store.schema import (
    cases,
    claims,
    factcheck_versions,
    factchecks,
    matches,
    posts,
    sources,
    subscriptions,
)


class ReportStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def numbers(self, organisation_id: int, begin: datetime, end: datetime, checkworthy: float) -> PeriodNumbers:
        """Everything counted in [begin, end) for the organisation, in one read transaction."""
        with self.database.read() as connection:
            collected, worthy = _posts(connection, organisation_id, begin, end, checkworthy)
            matched, confirmed = _repeats(connection, organisation_id, begin, end)
            published = _published(connection, organisation_id, begin, end)
            return PeriodNumbers(
                posts_collected=collected, posts_checkworthy=worthy, repeats_matched=matched,
                repeats_confirmed=confirmed, published_by_verdict=_count_by(published, "rating_label"),
                published_by_topic=_count_by(published, "topic"),
                corrections=_corrections(connection, organisation_id, begin, end),
                delays_s=tuple((aware(r.published_at) - aware(r.first_detected_at)).total_seconds() for r in published),
                cases_by_stage=_stages(connection, organisation_id, begin, end),
                factchecks_received=_received(connection, organisation_id, begin, end),
            )  # fmt: skip

    def snapshot(self, organisation_id: int) -> Snapshot:
        """The organisation's sources and subscriptions as they are now."""
        with self.database.read() as connection:
            rows = connection.execute(
                select(sources).where(owner_of(sources.c.organisation_id) == organisation_id).order_by(sources.c.name)
            ).all()
            count = connection.execute(
                select(func.count())
                .select_from(subscriptions)
                .where(subscriptions.c.organisation_id == organisation_id)
            ).scalar_one()
        health = tuple(
            SourceHealth(r.name, bool(r.enabled), aware(r.last_success_at), aware(r.last_error_at), r.last_error,
                         int(r.failures or 0))
            for r in rows
        )  # fmt: skip
        return Snapshot(health, int(count))


def _between(column: Any, begin: datetime, end: datetime) -> Any:
    return and_(column >= begin, column < end)


def _posts(connection: Connection, org: int, begin: datetime, end: datetime, threshold: float) -> tuple[int, int]:
    worthy = exists().where(claims.c.post_id == posts.c.id, claims.c.checkworthiness >= threshold)
    row = connection.execute(
        select(func.count(), func.count().filter(worthy))
        .select_from(posts.outerjoin(sources, sources.c.id == posts.c.source_id))
        .where(owner_of(sources.c.organisation_id) == org, _between(posts.c.fetched_at, begin, end))
    ).one()
    return int(row[0]), int(row[1])


def _repeats(connection: Connection, org: int, begin: datetime, end: datetime) -> tuple[int, int]:
    owner = owner_of(func.coalesce(factchecks.c.organisation_id, subscriptions.c.organisation_id,
                                   sources.c.organisation_id))  # fmt: skip  # as the queue's intake assigns
    row = connection.execute(
        select(func.count(), func.count().filter(matches.c.feedback == "accepted"))
        .select_from(
            matches.join(factchecks, factchecks.c.id == matches.c.factcheck_id)
            .outerjoin(subscriptions, subscriptions.c.id == factchecks.c.subscription_id)
            .outerjoin(posts, posts.c.id == matches.c.post_id)
            .outerjoin(sources, sources.c.id == posts.c.source_id)
        )
        .where(matches.c.decision.is_(True), owner == org, _between(matches.c.created_at, begin, end))
    ).one()
    return int(row[0]), int(row[1])


def _published(connection: Connection, org: int, begin: datetime, end: datetime) -> list[Any]:
    return list(connection.execute(
        select(cases.c.rating_label, cases.c.topic, cases.c.first_detected_at, cases.c.published_at).where(
            owner_of(cases.c.organisation_id) == org, cases.c.factcheck_id.is_not(None),
            _between(cases.c.published_at, begin, end),
        )
    ).all())  # fmt: skip


def _count_by(rows: list[Any], column: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        key = getattr(row, column) or ""
        counts[key] = counts.get(key, 0) + 1
    return counts


def _corrections(connection: Connection, org: int, begin: datetime, end: datetime) -> int:
    return int(connection.execute(
        select(func.count())
        .select_from(factcheck_versions.join(factchecks, factchecks.c.id == factcheck_versions.c.factcheck_id))
        .where(factchecks.c.organisation_id == org, factcheck_versions.c.version > 1,
               _between(factcheck_versions.c.published_at, begin, end))
    ).scalar_one())  # fmt: skip


def _stages(connection: Connection, org: int, begin: datetime, end: datetime) -> dict[str, int]:
    rows = connection.execute(
        select(cases.c.status, func.count())
        .where(owner_of(cases.c.organisation_id) == org, _between(cases.c.created_at, begin, end))
        .group_by(cases.c.status)
    ).all()
    return {str(status): int(count) for status, count in rows}


def _received(connection: Connection, org: int, begin: datetime, end: datetime) -> int:
    return int(connection.execute(
        select(func.count())
        .select_from(factchecks.join(subscriptions, subscriptions.c.id == factchecks.c.subscription_id))
        .where(subscriptions.c.organisation_id == org, _between(factchecks.c.created_at, begin, end))
    ).scalar_one())  # fmt: skip

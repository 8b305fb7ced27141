"""Alert groups (domain/alert_groups.py): one row per kind, subject and day, counted in SQL over the alerts an
organisation owns (store/alerts.py), newest group first, a page at a time; and each organisation's state of a
group (acknowledged, handled), written in the caller's transaction beside its audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, select

from kiemchung.domain.alert_groups import case_key_of
from kiemchung.store.alerts import _OWNED, _SELECT, Alert, _from_row, _owned_by
from kiemchung.store.cases import visible_to
from kiemchung.store.database import Database, aware
from kiemchung.store.schema import alert_group_states, alerts, cases, posts, users


@dataclass(frozen=True)
class AlertGroup:
    key: str
    kind: str
    alert_count: int
    post_count: int
    source_count: int
    since: datetime  # the group's first alert
    last: datetime  # its newest
    top_score: float
    latest: Alert  # the newest alert: its sentence, post, fact-check (or a burst's evidence)
    state: str = "open"  # acknowledged | handled, by this organisation (domain/alert_groups.py: GROUP_STATES)
    state_by: str | None = None
    state_at: datetime | None = None
    new_since_state: int = 0  # alerts raised after the group was acknowledged or handled
    case_id: int | None = None  # the case its alerts became, when the organisation may read it

    def as_json(self, base_url: str) -> dict[str, Any]:
        base = base_url.rstrip("/")
        return {
            "key": self.key, "kind": self.kind, "alerts": self.alert_count, "posts": self.post_count,
            "sources": self.source_count, "since": self.since.isoformat(), "last": self.last.isoformat(),
            "top_score": self.top_score, "state": self.state, "state_by": self.state_by,
            "state_at": self.state_at.isoformat() if self.state_at else None, "new_since_state": self.new_since_state,
            "case": {"id": self.case_id, "link": f"{base}/cases/{self.case_id}"} if self.case_id else None,
            "latest": self.latest.as_json(base_url),
        }  # fmt: skip


@dataclass(frozen=True)
class _Counts:
    key: str
    kind: str
    factcheck_id: str | None
    dedupe_key: str
    alert_count: int
    post_count: int
    source_count: int
    since: datetime
    last: datetime
    top_score: float
    latest_id: int


def _counts(organisation_id: int) -> Any:
    """Each group's counts over the organisation's alerts, newest group first."""
    return (
        select(
            alerts.c.group_key,
            func.min(alerts.c.kind).label("kind"),
            func.min(alerts.c.factcheck_id).label("factcheck_id"),
            func.min(alerts.c.dedupe_key).label("dedupe_key"),
            func.count().label("alert_count"),
            func.count(func.distinct(alerts.c.post_id)).label("post_count"),
            func.count(func.distinct(posts.c.source_id)).label("distinct_sources"),
            func.max(alerts.c.source_count).label("reported_sources"),
            func.min(alerts.c.created_at).label("since"),
            func.max(alerts.c.created_at).label("last"),
            func.max(alerts.c.score).label("top_score"),
            func.max(alerts.c.id).label("latest_id"),
        )  # fmt: skip
        .select_from(_OWNED)
        .where(_owned_by(organisation_id), alerts.c.group_key.is_not(None))
        .group_by(alerts.c.group_key)
        .order_by(func.max(alerts.c.id).desc())
    )


def _from_counts(row: Any) -> _Counts:
    sources = max(int(row.distinct_sources), int(row.reported_sources or 0))  # a spread alert counts its sources
    return _Counts(
        row.group_key, row.kind, row.factcheck_id, row.dedupe_key, int(row.alert_count), int(row.post_count),
        sources, aware(row.since), aware(row.last), float(row.top_score), int(row.latest_id),
    )  # fmt: skip


class AlertGroupStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def page(self, organisation_id: int, limit: int, offset: int) -> tuple[list[AlertGroup], int]:
        """One page of the organisation's alert groups, newest first, and how many groups there are."""
        with self.database.read() as connection:
            total = connection.execute(
                select(func.count(func.distinct(alerts.c.group_key)))
                .select_from(_OWNED)
                .where(_owned_by(organisation_id), alerts.c.group_key.is_not(None))
            ).scalar_one()
            counts = [_from_counts(r) for r in connection.execute(_counts(organisation_id).limit(limit).offset(offset))]
            latest = _latest(connection, [c.latest_id for c in counts])
            states = _states(connection, organisation_id, [c.key for c in counts])
            fresh = _new_since_state(connection, organisation_id, [c.key for c in counts])
            found = _cases(connection, organisation_id, counts)
        return [_group(c, latest[c.latest_id], states.get(c.key), fresh.get(c.key, 0), found) for c in counts], int(
            total
        )

    def exists(self, organisation_id: int, group_key: str) -> bool:
        """Whether the organisation owns an alert of the group (another's group is "not found")."""
        query = (
            select(alerts.c.id).select_from(_OWNED).where(_owned_by(organisation_id), alerts.c.group_key == group_key)
        )
        with self.database.read() as connection:
            return connection.execute(query.limit(1)).first() is not None

    @staticmethod
    def set_state(
        connection: Connection, organisation_id: int, group_key: str, state: str, user_id: int | None
    ) -> None:
        """Record the organisation's state of the group ("open" forgets it), in the caller's transaction."""
        connection.execute(
            delete(alert_group_states).where(
                alert_group_states.c.organisation_id == organisation_id, alert_group_states.c.group_key == group_key
            )
        )
        if state != "open":
            connection.execute(
                alert_group_states.insert().values(organisation_id=organisation_id, group_key=group_key, state=state,
                                                   changed_by=user_id, changed_at=datetime.now(UTC))
            )  # fmt: skip


def _group(counts: _Counts, latest: Alert, state: Any, fresh: int, found: dict[str, int]) -> AlertGroup:
    case_key = case_key_of(counts.kind, counts.factcheck_id, counts.dedupe_key)
    return AlertGroup(
        counts.key, counts.kind, counts.alert_count, counts.post_count, counts.source_count, counts.since,
        counts.last, counts.top_score, latest, state.state if state else "open", state.display_name if state else None,
        aware(state.changed_at) if state else None, fresh, found.get(case_key) if case_key else None,
    )  # fmt: skip


def _latest(connection: Connection, ids: Sequence[int]) -> dict[int, Alert]:
    if not ids:
        return {}
    return {a.id: a for a in (_from_row(r) for r in connection.execute(_SELECT.where(alerts.c.id.in_(list(ids)))))}


def _states(connection: Connection, organisation_id: int, keys: Sequence[str]) -> dict[str, Any]:
    if not keys:
        return {}
    rows = connection.execute(
        select(alert_group_states, users.c.display_name)
        .outerjoin(users, users.c.id == alert_group_states.c.changed_by)
        .where(alert_group_states.c.organisation_id == organisation_id, alert_group_states.c.group_key.in_(list(keys)))
    ).all()
    return {r.group_key: r for r in rows}


def _new_since_state(connection: Connection, organisation_id: int, keys: Sequence[str]) -> dict[str, int]:
    """Per group: its alerts raised after the organisation acknowledged or handled it."""
    if not keys:
        return {}
    states = alert_group_states
    rows = connection.execute(
        select(alerts.c.group_key, func.count())
        .select_from(
            _OWNED.join(
                states, and_(states.c.group_key == alerts.c.group_key, states.c.organisation_id == organisation_id)
            )
        )  # fmt: skip
        .where(
            _owned_by(organisation_id), alerts.c.group_key.in_(list(keys)), alerts.c.created_at > states.c.changed_at
        )
        .group_by(alerts.c.group_key)
    ).all()
    return {r[0]: int(r[1]) for r in rows}


def _cases(connection: Connection, organisation_id: int, counts: Sequence[_Counts]) -> dict[str, int]:
    """The case of each group's case key, among those the organisation may read."""
    keys = {k for k in (case_key_of(c.kind, c.factcheck_id, c.dedupe_key) for c in counts) if k}
    if not keys:
        return {}
    rows = connection.execute(
        select(cases.c.group_key, cases.c.id).where(cases.c.group_key.in_(list(keys)), visible_to(organisation_id))
    ).all()
    return {r.group_key: r.id for r in rows}

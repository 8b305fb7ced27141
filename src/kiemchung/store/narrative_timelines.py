"""Narratives' timelines (domain/narrative_trends.py says what is counted): ONE query for any number of
narratives — their member posts, and the copies folded into them that are no member themselves — and the
narratives' verdicts and topics for the trends dashboard. Reads take the caller's connection or open one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, and_, exists, func, literal, select, union_all

from kiemchung.domain.narrative_trends import Timeline, TimelinePost, timeline_of
from kiemchung.store.database import Database, aware
from kiemchung.store.schema import case_items, cases, factchecks, narrative_members, narratives, posts

_copy = posts.alias("copy")
_member = narrative_members.alias("member")


def _source_key(url: str | None, source_id: int | None) -> str:
    host = urlsplit(url).hostname if url else None
    return host or f"source:{source_id}"


def _query(narrative_ids: Sequence[int]) -> Any:
    wanted = narrative_members.c.narrative_id.in_(list(narrative_ids))
    members = (
        select(
            narrative_members.c.narrative_id, posts.c.id.label("post_id"),
            func.coalesce(narrative_members.c.published_at, posts.c.published_at, posts.c.fetched_at).label("at"),
            narrative_members.c.sentence, posts.c.source_id, posts.c.canonical_url, literal(0).label("folded"),
        )
        .join(posts, posts.c.id == narrative_members.c.post_id)
        .where(wanted)
    )  # fmt: skip
    folded = (
        select(
            narrative_members.c.narrative_id, _copy.c.id.label("post_id"),
            func.coalesce(_copy.c.published_at, _copy.c.fetched_at).label("at"), narrative_members.c.sentence,
            _copy.c.source_id, _copy.c.canonical_url, literal(1).label("folded"),
        )
        .join(_copy, _copy.c.copy_of == narrative_members.c.post_id)
        .where(wanted, ~exists().where(_member.c.post_id == _copy.c.id))
    )  # fmt: skip
    return union_all(members, folded)


def times(connection: Connection, narrative_ids: Sequence[int]) -> dict[int, list[datetime]]:
    """narrative id → the published times of its timeline's posts (the same posts as `timelines`), unsorted:
    the pipeline's cheap look before it reads the posts of a narrative that starts a burst."""
    found: dict[int, list[datetime]] = {number: [] for number in narrative_ids}
    if not narrative_ids:
        return {}
    timeline = _query(narrative_ids).subquery()
    for row in connection.execute(select(timeline.c.narrative_id, timeline.c.at)):
        found[row.narrative_id].append(aware(row.at))
    return found


def timelines(connection: Connection, narrative_ids: Sequence[int]) -> dict[int, Timeline]:
    """narrative id → its timeline (an empty one for a narrative without posts)."""
    found: dict[int, list[TimelinePost]] = {number: [] for number in narrative_ids}
    if not narrative_ids:
        return {}
    for row in connection.execute(_query(narrative_ids)):
        published = aware(row.at)
        assert published is not None  # fetched_at is never null
        found[row.narrative_id].append(
            TimelinePost(row.post_id, published, _source_key(row.canonical_url, row.source_id), row.sentence,
                         bool(row.folded))
        )  # fmt: skip
    return {number: timeline_of(number, listed) for number, listed in found.items()}


def narratives_of_posts(connection: Connection, post_ids: Sequence[str]) -> dict[int, datetime]:
    """narrative id → the earliest published time among these posts (those in a narrative)."""
    if not post_ids:
        return {}
    query = (
        select(narrative_members.c.narrative_id, func.min(narrative_members.c.published_at))
        .where(narrative_members.c.post_id.in_(list(post_ids)))
        .group_by(narrative_members.c.narrative_id)
    )
    return {row[0]: moment for row in connection.execute(query) if (moment := aware(row[1])) is not None}


class TimelineStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def timelines(self, narrative_ids: Sequence[int]) -> dict[int, Timeline]:
        with self.database.read() as connection:
            return timelines(connection, narrative_ids)

    def verdicts(self, narrative_ids: Sequence[int]) -> dict[int, str]:
        """narrative id → the rating of its pinned fact-check, else of the first linked one."""
        if not narrative_ids:
            return {}
        linked = (
            select(narrative_members.c.narrative_id, func.min(narrative_members.c.factcheck_id).label("factcheck"))
            .where(narrative_members.c.factcheck_id.is_not(None))
            .group_by(narrative_members.c.narrative_id)
            .subquery()
        )
        chosen = func.coalesce(narratives.c.pinned_factcheck_id, linked.c.factcheck)
        query = (
            select(narratives.c.id, factchecks.c.rating_label)
            .outerjoin(linked, linked.c.narrative_id == narratives.c.id)
            .join(factchecks, factchecks.c.id == chosen)
            .where(narratives.c.id.in_(list(narrative_ids)))
        )
        with self.database.read() as connection:
            return {row.id: row.rating_label for row in connection.execute(query)}

    def topics(self, narrative_ids: Sequence[int]) -> dict[int, str]:
        """narrative id → the topic most of the cases holding its posts were given (when any was)."""
        if not narrative_ids:
            return {}
        query = (
            select(narrative_members.c.narrative_id, cases.c.topic, func.count().label("n"))
            .join(case_items, case_items.c.post_id == narrative_members.c.post_id)
            .join(cases, and_(cases.c.id == case_items.c.case_id, cases.c.topic.is_not(None)))
            .where(narrative_members.c.narrative_id.in_(list(narrative_ids)))
            .group_by(narrative_members.c.narrative_id, cases.c.topic)
        )
        best: dict[int, tuple[int, str]] = {}
        with self.database.read() as connection:
            for row in connection.execute(query):
                if row.topic and (row.narrative_id not in best or (row.n, row.topic) > best[row.narrative_id]):
                    best[row.narrative_id] = (row.n, row.topic)
        return {number: topic for number, (_, topic) in best.items()}


def labels(connection: Connection, narrative_ids: Sequence[int]) -> dict[int, str]:
    query = select(narratives.c.id, narratives.c.label).where(narratives.c.id.in_(list(narrative_ids)))
    return {row.id: row.label for row in connection.execute(query)}

"""Narratives and their members, per organisation. Writes take the caller's connection (one transaction with
the change that causes them and its audit entry); reads open their own."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Connection, and_, func, select, true, update

from kiemchung.domain.narratives import Member, Narrative, post_claim
from kiemchung.store.database import Database, aware
from kiemchung.store.organisations import owner_of
from kiemchung.store.posts import post_owned_by  # the one definition of who owns a post
from kiemchung.store.schema import (
    case_items,
    claims,
    factchecks,
    narrative_members,
    narratives,
    organisations,
    posts,
    sources,
)


@dataclass(frozen=True)
class CarriedVerdict:
    """The verdict a post inherits from its narrative (shown in the queue)."""

    narrative_id: int
    factcheck_id: str
    rating: str


@dataclass(frozen=True)
class NewMember:
    organisation_id: int | None
    sentence: str
    published: datetime | None
    vector: np.ndarray
    post_id: str | None = None
    factcheck_id: str | None = None
    assigned_by: str = "auto"


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float16).tobytes()


def vector_of(data: bytes | None, dimension: int) -> np.ndarray | None:
    if not data or len(data) != 2 * dimension:
        return None  # none stored, or one from an embedder of another size: re-embedded by the caller
    return np.frombuffer(data, dtype=np.float16).astype(np.float32)


def _midnight(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def _of(column: Any, organisation_id: int | None) -> ColumnElement[bool]:
    """Rows of this organisation (a None owner is the first's); with None, the rows of no organisation (an
    install that has none yet)."""
    if organisation_id is None:
        return column.is_(None)
    return owner_of(column) == organisation_id


def _posts_of(organisation_id: int | None) -> ColumnElement[bool]:
    return true() if organisation_id is None else post_owned_by(organisation_id)


def first_organisation(connection: Connection) -> int | None:
    return connection.execute(select(func.min(organisations.c.id))).scalar()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_POSTS = func.count(narrative_members.c.post_id)
_FACTCHECKS = func.count(narrative_members.c.factcheck_id)


def _narrative(row: Any) -> Narrative:
    return Narrative(
        row.id, row.organisation_id, row.label, bool(row.label_locked), row.risk_level, row.pinned_factcheck_id,
        aware(row.created_at), aware(row.updated_at), aware(row.first_seen), aware(row.last_seen),
        bool(row.editor_touched), int(row.posts or 0), int(row.factchecks or 0),
    )  # fmt: skip


class NarrativeStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # -- reads --------------------------------------------------------------------------------------------

    def _listing(self) -> Any:
        counts = (
            select(narrative_members.c.narrative_id, _POSTS.label("posts"), _FACTCHECKS.label("factchecks"))
            .group_by(narrative_members.c.narrative_id)
            .subquery()
        )
        return select(narratives, counts.c.posts, counts.c.factchecks).outerjoin(
            counts, counts.c.narrative_id == narratives.c.id
        )

    def of_organisation(self, organisation_id: int | None, limit: int | None = None) -> list[Narrative]:
        """The organisation's narratives with members, the largest and most recent first."""
        query = self._listing().where(_of(narratives.c.organisation_id, organisation_id))
        with self.database.read() as connection:
            found = [_narrative(row) for row in connection.execute(query)]
        found.sort(key=lambda n: (-n.posts, -(n.last_seen or _EPOCH).timestamp(), n.id))
        return found[:limit]

    def get(self, organisation_id: int | None, narrative_id: int) -> Narrative | None:
        """The narrative if this organisation owns it (None otherwise, as if it did not exist)."""
        query = self._listing().where(
            narratives.c.id == narrative_id, _of(narratives.c.organisation_id, organisation_id)
        )
        with self.database.read() as connection:
            row = connection.execute(query).first()
        return _narrative(row) if row else None

    def members(self, narrative_id: int) -> list[Member]:
        query = (
            select(narrative_members, sources.c.name.label("source"), posts.c.language)
            .outerjoin(posts, posts.c.id == narrative_members.c.post_id)
            .outerjoin(sources, sources.c.id == posts.c.source_id)
            .where(narrative_members.c.narrative_id == narrative_id)
            .order_by(narrative_members.c.published_at, narrative_members.c.id)
        )
        with self.database.read() as connection:
            return [
                Member(row.narrative_id, row.post_id, row.factcheck_id, row.sentence, aware(row.published_at),
                       row.assigned_by, row.source, row.language)
                for row in connection.execute(query)
            ]  # fmt: skip

    def iter_vectors(self, organisation_id: int | None) -> Iterator[tuple[int, str, str, bytes | None, bool]]:
        """(narrative id, member key, sentence, vector bytes, editor-touched narrative) in assignment order:
        by published time (fact-checks and undated members first), then id."""
        query = (
            select(
                narrative_members.c.narrative_id, narrative_members.c.post_id, narrative_members.c.factcheck_id,
                narrative_members.c.sentence, narrative_members.c.vector, narratives.c.editor_touched,
            )
            .join(narratives, narratives.c.id == narrative_members.c.narrative_id)
            .where(_of(narrative_members.c.organisation_id, organisation_id))
            .order_by(narrative_members.c.published_at.is_not(None), narrative_members.c.published_at,
                      narrative_members.c.id)
        )  # fmt: skip
        with self.database.read() as connection:
            for row in connection.execute(query):
                key = f"post:{row.post_id}" if row.post_id else f"factcheck:{row.factcheck_id}"
                yield row.narrative_id, key, row.sentence, row.vector, bool(row.editor_touched)

    def narrative_of_factchecks(self, organisation_id: int | None, factcheck_ids: Sequence[str]) -> dict[str, int]:
        if not factcheck_ids:
            return {}
        query = select(narrative_members.c.factcheck_id, narrative_members.c.narrative_id).where(
            _of(narrative_members.c.organisation_id, organisation_id),
            narrative_members.c.factcheck_id.in_(list(factcheck_ids)),
        )
        with self.database.read() as connection:
            return {row.factcheck_id: row.narrative_id for row in connection.execute(query)}

    def claim_sentences(self, post_ids: Sequence[str], threshold: float) -> dict[str, str]:
        """post id → its claim (domain.narratives.post_claim over its stored sentences)."""
        if not post_ids:
            return {}
        query = select(claims.c.post_id, claims.c.position, claims.c.text, claims.c.checkworthiness).where(
            claims.c.post_id.in_(list(post_ids))
        )
        scored: dict[str, list[tuple[int, str, float]]] = {}
        with self.database.read() as connection:
            for row in connection.execute(query):
                scored.setdefault(row.post_id, []).append((row.position, row.text, row.checkworthiness or 0.0))
        found = {post_id: post_claim(sentences, threshold) for post_id, sentences in scored.items()}
        return {post_id: claim for post_id, claim in found.items() if claim}

    @staticmethod
    def narrative_of_factcheck(connection: Connection, organisation_id: int | None, factcheck_id: str) -> int | None:
        return connection.execute(
            select(narrative_members.c.narrative_id).where(
                _of(narrative_members.c.organisation_id, organisation_id),
                narrative_members.c.factcheck_id == factcheck_id,
            )
        ).scalar()

    def verdicts_of_cases(self, case_ids: Sequence[int], organisation_id: int) -> dict[int, CarriedVerdict]:
        """case id → the verdict a narrative of one of its posts carries (pinned, else the first linked); only
        the organisation's own narratives (a partner reading a shared case sees none of the owner's)."""
        carried = self.verdicts_of_posts_by_case(case_ids, organisation_id)
        wanted = {factcheck_id for _, factcheck_id in carried.values()}
        if not wanted:
            return {}
        with self.database.read() as connection:
            query = select(factchecks.c.id, factchecks.c.rating_label).where(factchecks.c.id.in_(wanted))
            ratings = {row.id: row.rating_label for row in connection.execute(query)}
        return {case_id: CarriedVerdict(narrative_id, factcheck_id, ratings.get(factcheck_id, ""))
                for case_id, (narrative_id, factcheck_id) in carried.items()}  # fmt: skip

    def verdicts_of_posts_by_case(self, case_ids: Sequence[int], organisation_id: int) -> dict[int, tuple[int, str]]:
        if not case_ids:
            return {}
        linked = (
            select(narrative_members.c.narrative_id, func.min(narrative_members.c.factcheck_id).label("factcheck"))
            .where(narrative_members.c.factcheck_id.is_not(None))
            .group_by(narrative_members.c.narrative_id)
            .subquery()
        )
        query = (
            select(case_items.c.case_id, narratives.c.id, narratives.c.pinned_factcheck_id, linked.c.factcheck)
            .join(narrative_members, narrative_members.c.post_id == case_items.c.post_id)
            .join(narratives, narratives.c.id == narrative_members.c.narrative_id)
            .outerjoin(linked, linked.c.narrative_id == narratives.c.id)
            .where(case_items.c.case_id.in_(list(case_ids)), owner_of(narratives.c.organisation_id) == organisation_id)
            .order_by(case_items.c.case_id, case_items.c.id)
        )
        found: dict[int, tuple[int, str]] = {}
        with self.database.read() as connection:
            for row in connection.execute(query):
                factcheck_id = row.pinned_factcheck_id or row.factcheck
                if factcheck_id and row.case_id not in found:
                    found[row.case_id] = (row.id, factcheck_id)
        return found

    def unassigned_posts(self, organisation_id: int | None, threshold: float) -> list[tuple[str, datetime | None]]:
        """(post id, published ISO) of the organisation's posts with a check-worthy claim and no narrative."""
        worthy = select(claims.c.post_id).where(claims.c.checkworthiness >= threshold)
        assigned = select(narrative_members.c.post_id).where(narrative_members.c.post_id.is_not(None))
        query = (
            select(posts.c.id, posts.c.published_at)
            .where(_posts_of(organisation_id), posts.c.id.in_(worthy), posts.c.id.not_in(assigned))
            .order_by(posts.c.published_at.is_not(None), posts.c.published_at, posts.c.id)
        )
        with self.database.read() as connection:
            return [(r.id, aware(r.published_at)) for r in connection.execute(query)]

    def unassigned_factchecks(self, organisation_id: int | None) -> list[tuple[str, str, datetime | None]]:
        """(id, claim, published) of the organisation's fact-checks (its own, or unowned for the first one)
        that no narrative of it holds yet."""
        assigned = select(narrative_members.c.factcheck_id).where(
            _of(narrative_members.c.organisation_id, organisation_id), narrative_members.c.factcheck_id.is_not(None)
        )
        query = (
            select(factchecks.c.id, factchecks.c.claim, factchecks.c.published)
            .where(_of(factchecks.c.organisation_id, organisation_id), factchecks.c.id.not_in(assigned))
            .order_by(factchecks.c.id)
        )
        with self.database.read() as connection:
            return [(r.id, r.claim, _midnight(r.published)) for r in connection.execute(query)]

    def organisations(self) -> list[int]:
        with self.database.read() as connection:
            return [r.id for r in connection.execute(select(organisations.c.id).order_by(organisations.c.id))]

    # -- writes (inside the caller's transaction) ------------------------------------------------------------

    @staticmethod
    def create(connection: Connection, organisation_id: int | None, label: str) -> int:
        now = datetime.now(UTC)
        result = connection.execute(
            narratives.insert().values(
                organisation_id=organisation_id,
                label=label[:2000],
                label_locked=False,
                risk_level="unset",
                editor_touched=False,
                created_at=now,
                updated_at=now,
            )  # fmt: skip
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    @staticmethod
    def add_member(connection: Connection, narrative_id: int, member: NewMember) -> None:
        connection.execute(
            narrative_members.insert().values(
                narrative_id=narrative_id,
                organisation_id=member.organisation_id,
                post_id=member.post_id,
                factcheck_id=member.factcheck_id,
                sentence=member.sentence[:5000],
                published_at=member.published,
                assigned_by=member.assigned_by,
                vector=vector_bytes(member.vector),
            )  # fmt: skip
        )
        NarrativeStore.refresh(connection, narrative_id)

    @staticmethod
    def refresh(connection: Connection, narrative_id: int, label: str | None = None) -> None:
        """first/last seen from the members; the label too unless an editor locked it."""
        seen = connection.execute(
            select(func.min(narrative_members.c.published_at), func.max(narrative_members.c.published_at)).where(
                narrative_members.c.narrative_id == narrative_id
            )
        ).one()
        values: dict[str, Any] = {"first_seen": seen[0], "last_seen": seen[1], "updated_at": datetime.now(UTC)}
        statement = update(narratives).where(narratives.c.id == narrative_id)
        connection.execute(statement.values(**values))
        if label:
            connection.execute(statement.where(narratives.c.label_locked.is_(False)).values(label=label[:2000]))

    @staticmethod
    def change(connection: Connection, narrative_id: int, **values: Any) -> None:
        values["updated_at"] = datetime.now(UTC)
        connection.execute(update(narratives).where(narratives.c.id == narrative_id).values(**values))

    @staticmethod
    def move_members(
        connection: Connection, source_id: int, target_id: int, post_ids: Sequence[str] | None = None
    ) -> int:
        """Move members (all, or these posts) to another narrative, as an editor's assignment."""
        condition = narrative_members.c.narrative_id == source_id
        if post_ids is not None:
            condition = and_(condition, narrative_members.c.post_id.in_(list(post_ids)))
        result = connection.execute(
            update(narrative_members).where(condition).values(narrative_id=target_id, assigned_by="editor")
        )
        return int(result.rowcount or 0)

    @staticmethod
    def reassign(connection: Connection, organisation_id: int | None, moves: dict[str, int]) -> None:
        """Re-clustering: member key → narrative id, for auto-assigned members."""
        for key, narrative_id in moves.items():
            kind, _, value = key.partition(":")
            column = narrative_members.c.post_id if kind == "post" else narrative_members.c.factcheck_id
            connection.execute(
                update(narrative_members)
                .where(_of(narrative_members.c.organisation_id, organisation_id), column == value)
                .values(narrative_id=narrative_id)
            )

    @staticmethod
    def delete(connection: Connection, narrative_id: int) -> None:
        connection.execute(narratives.delete().where(narratives.c.id == narrative_id))

    @staticmethod
    def delete_empty(connection: Connection, organisation_id: int | None) -> int:
        """Drop the organisation's narratives left without members (not those an editor touched)."""
        held = select(narrative_members.c.narrative_id).distinct()
        result = connection.execute(
            narratives.delete().where(
                _of(narratives.c.organisation_id, organisation_id),
                narratives.c.id.not_in(held),
                narratives.c.editor_touched.is_(False),
            )
        )
        return int(result.rowcount or 0)

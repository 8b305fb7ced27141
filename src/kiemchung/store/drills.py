"""Drill repository: the only place that writes SQL about training drills, and the archive reads that drill
assembly draws on (an organisation's fact-checks, their confirmed appearances, the evidence on its cases).

Everything here is scoped by the caller: a drill is fetched together with its organisation, and the service
refuses (as "not found") one that is not the caller's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from kiemchung.domain.models import FactCheck
from kiemchung.errors import ConflictError
from kiemchung.store.database import Database, aware
from kiemchung.store.factchecks import _from_row as factcheck_from_row
from kiemchung.store.posts import post_owned_by
from kiemchung.store.schema import (
    cases,
    drill_answers,
    drill_attempts,
    drill_items,
    drills,
    evidence,
    factchecks,
    matches,
    posts,
    users,
)

APPEARANCE_MAX_CHARS = 400  # a post longer than this is not a drill item (a trainee reads one claim, not an article)


@dataclass(frozen=True)
class DrillItem:
    id: int
    position: int
    text: str
    origin: str  # claim | appearance | variant | true_claim | evidence
    variant: str | None
    is_signal: bool
    rating_label: str
    technique: str | None
    factcheck_id: str | None
    factcheck_url: str | None
    case_id: int | None


@dataclass(frozen=True)
class Drill:
    id: int
    organisation_id: int
    title: str
    language: str
    topics: list[str]
    size: int
    status: str  # draft | ready
    created_at: datetime
    ready_at: datetime | None
    items: list[DrillItem] = field(default_factory=list)

    @property
    def true_share(self) -> float:
        return sum(not i.is_signal for i in self.items) / len(self.items) if self.items else 0.0


@dataclass(frozen=True)
class Answer:
    item_id: int
    verdict: str
    says_signal: bool
    confidence: int
    technique: str | None
    seconds: float


@dataclass(frozen=True)
class Attempt:
    id: int
    drill_id: int
    organisation_id: int
    user_id: int
    trainee: str
    started_at: datetime
    finished_at: datetime | None
    answers: list[Answer] = field(default_factory=list)


@dataclass(frozen=True)
class NewItem:
    """An item assembly proposes (stored with the drill, reviewed by an editor before use)."""

    text: str
    origin: str
    is_signal: bool
    rating_label: str
    variant: str | None = None
    factcheck_id: str | None = None
    factcheck_url: str | None = None
    case_id: int | None = None


def _item(row: Any) -> DrillItem:
    return DrillItem(row.id, row.position, row.text, row.origin, row.variant, bool(row.is_signal), row.rating_label,
                     row.technique, row.factcheck_id, row.factcheck_url, row.case_id)  # fmt: skip


def _drill(row: Any, items: list[DrillItem]) -> Drill:
    return Drill(row.id, row.organisation_id, row.title, row.language, list(row.topics or []), row.size, row.status,
                 aware(row.created_at), aware(row.ready_at), items)  # fmt: skip


def _answer(row: Any) -> Answer:
    return Answer(row.item_id, row.verdict, bool(row.says_signal), row.confidence, row.technique, row.seconds)


class DrillStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # -- drills and their items ------------------------------------------------------------------------------

    @staticmethod
    def create(connection: Connection, values: dict[str, Any], items: Sequence[NewItem]) -> int:
        drill_id = int(connection.execute(drills.insert().values(**values).returning(drills.c.id)).scalar_one())
        rows = [{"drill_id": drill_id, "position": position, **vars(item)} for position, item in enumerate(items, 1)]
        if rows:
            connection.execute(drill_items.insert(), rows)
        return drill_id

    def get(self, drill_id: int) -> Drill | None:
        with self.database.read() as connection:
            row = connection.execute(select(drills).where(drills.c.id == drill_id)).first()
            if row is None:
                return None
            items = connection.execute(
                select(drill_items).where(drill_items.c.drill_id == drill_id).order_by(drill_items.c.position)
            ).all()
        return _drill(row, [_item(i) for i in items])

    def of_organisation(self, organisation_id: int, ready_only: bool) -> list[Drill]:
        query = select(drills).where(drills.c.organisation_id == organisation_id).order_by(drills.c.id.desc())
        if ready_only:
            query = query.where(drills.c.status == "ready")
        with self.database.read() as connection:
            return [_drill(row, []) for row in connection.execute(query).all()]

    @staticmethod
    def remove_item(connection: Connection, drill_id: int, item_id: int) -> bool:
        removed = connection.execute(
            delete(drill_items).where(drill_items.c.id == item_id, drill_items.c.drill_id == drill_id)
        )
        return bool(removed.rowcount)

    @staticmethod
    def set_technique(connection: Connection, drill_id: int, item_id: int, technique: str | None) -> bool:
        changed = connection.execute(
            update(drill_items)
            .where(drill_items.c.id == item_id, drill_items.c.drill_id == drill_id)
            .values(technique=technique)
        )
        return bool(changed.rowcount)

    @staticmethod
    def mark_ready(connection: Connection, drill_id: int, user_id: int | None, now: datetime) -> bool:
        changed = connection.execute(
            update(drills)
            .where(drills.c.id == drill_id, drills.c.status == "draft")
            .values(status="ready", ready_by=user_id, ready_at=now)
        )
        return bool(changed.rowcount)

    # -- attempts and answers --------------------------------------------------------------------------------

    @staticmethod
    def start_attempt(connection: Connection, drill_id: int, organisation_id: int, user_id: int, now: datetime) -> int:
        inserted = drill_attempts.insert().values(drill_id=drill_id, organisation_id=organisation_id, user_id=user_id,
                                                  started_at=now).returning(drill_attempts.c.id)  # fmt: skip
        return int(connection.execute(inserted).scalar_one())

    @staticmethod
    def add_answer(connection: Connection, attempt_id: int, answer: Answer, now: datetime) -> int:
        """Store the answer; how many answers the attempt now has (counted in the same transaction, so two
        answers sent at once both see each other). An item answered twice raises ConflictError."""
        lock = select(drill_attempts.c.id).where(drill_attempts.c.id == attempt_id).with_for_update()
        connection.execute(lock)  # PostgreSQL: answers to one attempt are stored one after another
        try:
            with connection.begin_nested():
                connection.execute(drill_answers.insert().values(attempt_id=attempt_id, answered_at=now,
                                                                 **vars(answer)))  # fmt: skip
        except IntegrityError:
            raise ConflictError("this item is already answered") from None
        counted = select(func.count()).select_from(drill_answers).where(drill_answers.c.attempt_id == attempt_id)
        return int(connection.execute(counted).scalar_one())

    @staticmethod
    def finish_attempt(connection: Connection, attempt_id: int, now: datetime) -> None:
        connection.execute(update(drill_attempts).where(drill_attempts.c.id == attempt_id).values(finished_at=now))

    def attempts(self, drill_id: int, user_id: int | None = None) -> list[Attempt]:
        """The drill's attempts (one person's if given), oldest first, with their answers."""
        query = (
            select(drill_attempts, users.c.display_name)
            .join(users, users.c.id == drill_attempts.c.user_id)
            .where(drill_attempts.c.drill_id == drill_id)
            .order_by(drill_attempts.c.id)
        )
        if user_id is not None:
            query = query.where(drill_attempts.c.user_id == user_id)
        with self.database.read() as connection:
            rows = connection.execute(query).all()
            ids = [r.id for r in rows]
            answers = connection.execute(
                select(drill_answers).where(drill_answers.c.attempt_id.in_(ids)).order_by(drill_answers.c.id)
            ).all() if ids else []  # fmt: skip
        by_attempt: dict[int, list[Answer]] = {}
        for a in answers:
            by_attempt.setdefault(a.attempt_id, []).append(_answer(a))
        return [Attempt(r.id, r.drill_id, r.organisation_id, r.user_id, r.display_name, aware(r.started_at),
                        aware(r.finished_at), by_attempt.get(r.id, [])) for r in rows]  # fmt: skip

    # -- what assembly draws on ------------------------------------------------------------------------------

    def organisation_factchecks(self, organisation_id: int) -> list[FactCheck]:
        """The organisation's own published fact-checks (not those a subscription imported)."""
        query = select(factchecks).where(
            factchecks.c.organisation_id == organisation_id, factchecks.c.subscription_id.is_(None)
        )
        with self.database.read() as connection:
            rows = connection.execute(query.order_by(factchecks.c.id)).all()
        return [factcheck_from_row(r) for r in rows]

    def appearances(self, factcheck_ids: Sequence[str], organisation_id: int) -> dict[str, list[str]]:
        """The organisation's own posts matched to these fact-checks and not rejected by a reviewer (short ones
        only), per fact-check. Another organisation's posts and queries that stored no post are never drawn."""
        if not factcheck_ids:
            return {}
        kept = or_(matches.c.feedback == "accepted", (matches.c.feedback.is_(None)) & matches.c.decision)
        query = (
            select(matches.c.factcheck_id, matches.c.query_text)
            .join(posts, posts.c.id == matches.c.post_id)
            .where(matches.c.factcheck_id.in_(list(factcheck_ids)), kept, post_owned_by(organisation_id))
            .where(func.length(matches.c.query_text) <= APPEARANCE_MAX_CHARS)
            .order_by(matches.c.id)
        )
        found: dict[str, list[str]] = {}
        with self.database.read() as connection:
            for row in connection.execute(query):
                texts = found.setdefault(row.factcheck_id, [])
                if row.query_text not in texts:
                    texts.append(row.query_text)
        return found

    def evidence_texts(self, organisation_id: int) -> list[tuple[int, str]]:
        """(case id, text) of the quotes a fact-checker took as evidence on the organisation's cases: a quote is
        a sentence someone chose because it states what is so. Not archived web pages (one may be the very page
        spreading the false claim) nor uploaded documents (they may be internal)."""
        query = (
            select(evidence.c.case_id, evidence.c.quote)
            .join(cases, cases.c.id == evidence.c.case_id)
            .where(cases.c.organisation_id == organisation_id, evidence.c.kind == "quote")
            .order_by(evidence.c.id)
        )
        with self.database.read() as connection:
            rows = connection.execute(query).all()
        return [(r.case_id, r.quote) for r in rows if r.quote]

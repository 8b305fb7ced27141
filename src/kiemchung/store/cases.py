"""Case repository: the queue's cases, their items (suggested matches, new claims), comments and evidence,
and the organisations a case is shared with. A case's `organisation_id` is its owner (see
store/organisations.py: `owner_of`); its comments and evidence belong to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, or_, select, update

from kiemchung.errors import ConflictError, NotFoundError
from kiemchung.store.database import Database, aware
from kiemchung.store.organisations import owner_of
from kiemchung.store.schema import (
    case_items,
    case_shares,
    cases,
    comments,
    evidence,
    matches,
    organisations,
    posts,
    sources,
    users,
)

STATUSES = ("new", "in_progress", "drafted", "published", "dismissed")
STANCES = ("repeats", "asks", "refutes")
SORTS = {
    "recent": cases.c.updated_at.desc(),
    "oldest": cases.c.first_detected_at.asc(),
    "priority": cases.c.priority.desc(),
    "spread": cases.c.spread.desc(),
}


@dataclass(frozen=True)
class CaseItem:
    id: int
    kind: str
    text: str
    post_id: str | None
    post_url: str | None
    source: str | None
    match_id: int | None
    factcheck_id: str | None
    score: float | None
    feedback: str | None
    created_at: datetime
    sentence: str | None = None  # the post's sentence the suggested match was found in
    stance: str | None = None  # the post toward the fact-checked claim: repeats | asks | refutes
    decision: bool | None = None  # whether the matcher took it for the same claim
    post_published_at: datetime | None = None  # when the post says it was published (the claim's appearance)
    copy_of: str | None = None  # the post this one copies (monitoring/copies.py): folded under it on the case page
    post_fetched_at: datetime | None = None  # when the post was collected

    @property
    def seen_at(self) -> datetime:
        """When the post appeared: as it says, else when it was collected, else when it joined the case."""
        return self.post_published_at or self.post_fetched_at or self.created_at

    @property
    def closeness(self) -> str | None:
        return None if self.decision is None else closeness_of(self.decision)


@dataclass(frozen=True)
class PendingMatch:
    """A case's first suggested match nobody has reviewed yet: what the queue shows for one-key triage."""

    match_id: int
    sentence: str
    score: float
    stance: str  # repeats | asks | refutes
    decision: bool

    @property
    def closeness(self) -> str:
        return closeness_of(self.decision)


@dataclass(frozen=True)
class CaseSpread:
    """What a queue row counts of a case, and the post sentence that raised it (its first item)."""

    posts: int
    sources: int
    sentence: str
    score: float | None  # None: a new claim, not a suggested match
    decision: bool | None

    @property
    def closeness(self) -> str | None:
        return None if self.decision is None else closeness_of(self.decision)


def stance_of(features: dict[str, Any] | None) -> str:
    """The stance stored with a suggestion; rows written before stances were recorded repeat the claim."""
    stance = (features or {}).get("stance")
    return stance if stance in STANCES else "repeats"


def closeness_of(decision: bool) -> str:
    """A stored suggestion's closeness in the words the match page uses: matched → "same", else "possible"
    (only suggestions worth a look are stored)."""
    return "same" if decision else "possible"


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class Evidence:
    id: int
    kind: str
    title: str | None
    url: str | None
    snapshot: str | None
    file_name: str | None
    file_sha256: str | None
    content_type: str | None
    quote: str | None
    quote_source: str | None
    added_by: str
    created_at: datetime

    @property
    def archiving(self) -> bool:
        """A URL whose snapshot is still being taken (store/evidence.py: it has no title until then)."""
        return self.kind == "url" and self.title is None


@dataclass(frozen=True)
class CaseShare:
    """Another organisation that may read the case and comment on it."""

    organisation_id: int
    organisation: str
    shared_at: datetime


@dataclass(frozen=True)
class Case:
    id: int
    organisation_id: int | None
    claim: str
    group_key: str
    status: str
    priority: int
    topic: str | None
    assignee_id: int | None
    assignee: str | None
    spread: int
    first_detected_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int
    rating_label: str | None
    rebuttal: list[dict[str, Any]]
    summary: str | None
    drafted_by: int | None
    needs_second_review: bool
    signed_off_by: int | None
    signed_off_at: datetime | None
    factcheck_id: str | None
    published_at: datetime | None
    items: list[CaseItem] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    shared_with: list[CaseShare] = field(default_factory=list)

    @property
    def time_to_publication_s(self) -> float | None:
        if self.published_at is None:
            return None
        return (self.published_at - self.first_detected_at).total_seconds()


_CASE = select(
    *(column for column in cases.c if column.name != "organisation_id"),
    owner_of(cases.c.organisation_id).label("organisation_id"),
    users.c.display_name.label("assignee"),
).outerjoin(users, users.c.id == cases.c.assignee_id)


def visible_to(organisation_id: int) -> ColumnElement[bool]:
    """The cases an organisation may see: its own and those shared with it."""
    shared = select(case_shares.c.case_id).where(case_shares.c.organisation_id == organisation_id)
    return or_(owner_of(cases.c.organisation_id) == organisation_id, cases.c.id.in_(shared))


def _case(row: Any) -> Case:
    return Case(
        row.id, row.organisation_id, row.claim, row.group_key, row.status, row.priority, row.topic, row.assignee_id,
        row.assignee, row.spread, aware(row.first_detected_at), aware(row.created_at), aware(row.updated_at),
        row.version, row.rating_label, list(row.rebuttal or []), row.summary, row.drafted_by,
        bool(row.needs_second_review), row.signed_off_by, aware(row.signed_off_at), row.factcheck_id,
        aware(row.published_at),
    )  # fmt: skip


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    priority: int | None = None
    source_id: int | None = None
    topic: str | None = None
    assignee_id: int | None = None
    q: str = ""
    sort: str = "recent"
    limit: int = 100
    offset: int = 0


class CaseStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # -- reading ----------------------------------------------------------------------------------------

    def find(self, filters: CaseFilter, organisation_id: int | None = None) -> tuple[list[Case], int]:
        """The cases matching `filters`; only those `organisation_id` may see when given."""
        query = _CASE
        conditions = [] if organisation_id is None else [visible_to(organisation_id)]
        if filters.status:
            conditions.append(cases.c.status == filters.status)
        if filters.priority is not None:
            conditions.append(cases.c.priority == filters.priority)
        if filters.topic:
            conditions.append(cases.c.topic == filters.topic)
        if filters.assignee_id is not None:
            conditions.append(cases.c.assignee_id == filters.assignee_id)
        if filters.source_id is not None:
            conditions.append(
                cases.c.id.in_(select(case_items.c.case_id).where(case_items.c.source_id == filters.source_id))
            )
        if filters.q:
            conditions.append(cases.c.claim.icontains(filters.q, autoescape=True))  # % and _ are literal
        for condition in conditions:
            query = query.where(condition)
        with self.database.read() as connection:
            total = connection.execute(
                select(func.count()).select_from(cases).where(*conditions) if conditions else
                select(func.count()).select_from(cases)
            ).scalar_one()  # fmt: skip
            rows = connection.execute(
                query.order_by(SORTS.get(filters.sort, SORTS["recent"]), cases.c.id.desc())
                .limit(filters.limit)
                .offset(filters.offset)
            ).all()
        return [_case(r) for r in rows], int(total)

    def get(self, case_id: int, details: bool = True) -> Case:
        with self.database.read() as connection:
            row = connection.execute(_CASE.where(cases.c.id == case_id)).first()
            if row is None:
                raise NotFoundError(f"no case with id {case_id}")
            case = _case(row)
            shares = connection.execute(
                select(case_shares.c.organisation_id, organisations.c.name, case_shares.c.created_at)
                .join(organisations, organisations.c.id == case_shares.c.organisation_id)
                .where(case_shares.c.case_id == case_id)
                .order_by(organisations.c.name)
            ).all()
            case = Case(**{**case.__dict__, "shared_with": [CaseShare(r[0], r[1], aware(r[2])) for r in shares]})
            if not details:
                return case
            items = connection.execute(
                select(case_items, posts.c.url.label("post_url"), posts.c.published_at.label("post_published_at"),
                       posts.c.copy_of, posts.c.fetched_at.label("post_fetched_at"), sources.c.name.label("source"),
                       matches.c.factcheck_id, matches.c.score, matches.c.feedback, matches.c.sentence,
                       matches.c.features, matches.c.decision)
                .outerjoin(posts, posts.c.id == case_items.c.post_id)
                .outerjoin(sources, sources.c.id == case_items.c.source_id)
                .outerjoin(matches, matches.c.id == case_items.c.match_id)
                .where(case_items.c.case_id == case_id)
                .order_by(case_items.c.id)
            ).all()  # fmt: skip
            notes = connection.execute(
                select(comments, users.c.display_name)
                .join(users, users.c.id == comments.c.user_id)
                .where(comments.c.case_id == case_id)
                .order_by(comments.c.id)
            ).all()
            proofs = connection.execute(
                select(evidence, users.c.display_name)
                .join(users, users.c.id == evidence.c.added_by)
                .where(evidence.c.case_id == case_id)
                .order_by(evidence.c.id)
            ).all()
        return Case(
            **{**case.__dict__,
               "items": [CaseItem(i.id, i.kind, i.text, i.post_id, i.post_url, i.source, i.match_id, i.factcheck_id,
                                  i.score, i.feedback, aware(i.created_at), i.sentence,
                                  stance_of(i.features) if i.match_id else None, i.decision,
                                  aware(i.post_published_at), i.copy_of, aware(i.post_fetched_at)) for i in items],
               "comments": [Comment(c.id, c.display_name, c.body, aware(c.created_at)) for c in notes],
               "evidence": [Evidence(e.id, e.kind, e.title, e.url, e.snapshot, e.file_name, e.file_sha256,
                                     e.content_type, e.quote, e.quote_source, e.display_name, aware(e.created_at))
                            for e in proofs]}
        )  # fmt: skip

    def first_unreviewed_matches(self, case_ids: list[int]) -> dict[int, PendingMatch]:
        """Each case's unreviewed suggestion with the lowest id, with what the queue shows of it (one query)."""
        if not case_ids:
            return {}
        first = (
            select(case_items.c.case_id, func.min(case_items.c.match_id).label("match_id"))
            .join(matches, matches.c.id == case_items.c.match_id)
            .where(case_items.c.case_id.in_(case_ids), matches.c.feedback.is_(None))
            .group_by(case_items.c.case_id)
            .subquery()
        )
        with self.database.read() as connection:
            rows = connection.execute(
                select(first.c.case_id, matches.c.id, matches.c.sentence, matches.c.score, matches.c.features,
                       matches.c.decision)
                .join(matches, matches.c.id == first.c.match_id)
            ).all()  # fmt: skip
        return {
            r.case_id: PendingMatch(r.id, r.sentence, r.score, stance_of(r.features), bool(r.decision)) for r in rows
        }

    def spreads(self, case_ids: list[int]) -> dict[int, CaseSpread]:
        """Per case: its posts, their distinct sources, and the sentence of its first item (two queries)."""
        if not case_ids:
            return {}
        counted = (
            select(case_items.c.case_id, func.count().label("posts"),
                   func.count(func.distinct(case_items.c.source_id)).label("sources"),
                   func.min(case_items.c.id).label("first_id"))
            .where(case_items.c.case_id.in_(case_ids))
            .group_by(case_items.c.case_id)
            .subquery()
        )  # fmt: skip
        with self.database.read() as connection:
            rows = connection.execute(
                select(counted, case_items.c.text, matches.c.sentence, matches.c.score, matches.c.decision)
                .join(case_items, case_items.c.id == counted.c.first_id)
                .outerjoin(matches, matches.c.id == case_items.c.match_id)
            ).all()
        return {r.case_id: CaseSpread(int(r.posts), int(r.sources), r.sentence or r.text, r.score,
                                      None if r.decision is None else bool(r.decision)) for r in rows}  # fmt: skip

    def topics(self, organisation_id: int | None = None) -> list[str]:
        """The topics of the cases `organisation_id` may see (all cases' when None)."""
        query = select(cases.c.topic).where(cases.c.topic.is_not(None)).distinct()
        if organisation_id is not None:
            query = query.where(visible_to(organisation_id))
        with self.database.read() as connection:
            rows = connection.execute(query).all()
        return sorted(r.topic for r in rows)

    def case_of_match(self, match_id: int) -> int | None:
        """The case a suggested match was put in (None before intake)."""
        with self.database.read() as connection:
            return connection.execute(
                select(case_items.c.case_id).where(case_items.c.match_id == match_id)
            ).scalar_one_or_none()

    def by_factcheck(self, factcheck_id: str) -> Case | None:
        with self.database.read() as connection:
            row = connection.execute(_CASE.where(cases.c.factcheck_id == factcheck_id)).first()
        return _case(row) if row else None

    # -- writing (inside the caller's transaction) -------------------------------------------------------

    @staticmethod
    def upsert_for_item(
        connection: Connection,
        group_key: str,
        claim: str,
        item: dict[str, Any],
        organisation_id: int | None,
        factcheck_id: str | None = None,
    ) -> int:
        """Add an item to the case of its group (created when new); the case's spread is recounted."""
        now = datetime.now(UTC)
        row = connection.execute(select(cases.c.id, cases.c.status).where(cases.c.group_key == group_key)).first()
        if row is None:
            result = connection.execute(
                cases.insert().values(
                    organisation_id=organisation_id,
                    claim=claim[:5000],
                    group_key=group_key,
                    status="new",
                    first_detected_at=item.get("created_at", now),
                    created_at=now,
                    updated_at=now,
                    rebuttal=[],
                    factcheck_id=factcheck_id,
                )  # fmt: skip
            )
            key = result.inserted_primary_key
            assert key is not None
            case_id = int(key[0])
        else:
            case_id = row.id
        connection.execute(case_items.insert().values(case_id=case_id, created_at=now, **item))
        spread = connection.execute(
            select(func.count(func.distinct(func.coalesce(case_items.c.source_id, -case_items.c.id)))).where(
                case_items.c.case_id == case_id
            )
        ).scalar_one()
        connection.execute(
            update(cases).where(cases.c.id == case_id).values(spread=max(int(spread), 1), updated_at=now)
        )
        return case_id

    @staticmethod
    def change(connection: Connection, case_id: int, expected_version: int | None, **values: Any) -> int:
        """Update a case, bumping its version; ConflictError if someone changed it since `expected_version`."""
        query = update(cases).where(cases.c.id == case_id)
        if expected_version is not None:
            query = query.where(cases.c.version == expected_version)
        result = connection.execute(query.values(version=cases.c.version + 1, updated_at=datetime.now(UTC), **values))
        if result.rowcount != 1:
            current = connection.execute(select(cases.c.version).where(cases.c.id == case_id)).first()
            if current is None:
                raise NotFoundError(f"no case with id {case_id}")
            raise ConflictError(
                f"case {case_id} was changed by someone else meanwhile (version {current.version}, you had "
                f"{expected_version}): reload it and apply your change again"
            )
        version = connection.execute(select(cases.c.version).where(cases.c.id == case_id)).scalar_one()
        return int(version)

    @staticmethod
    def add_comment(connection: Connection, case_id: int, user_id: int, body: str) -> int:
        result = connection.execute(
            comments.insert().values(case_id=case_id, user_id=user_id, body=body, created_at=datetime.now(UTC))
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    @staticmethod
    def add_evidence(connection: Connection, case_id: int, user_id: int, **values: Any) -> int:
        result = connection.execute(
            evidence.insert().values(case_id=case_id, added_by=user_id, created_at=datetime.now(UTC), **values)
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    @staticmethod
    def remove_evidence(connection: Connection, case_id: int, evidence_id: int) -> bool:
        """Delete a piece of the case's evidence; False when the case has no such piece."""
        result = connection.execute(delete(evidence).where(evidence.c.id == evidence_id, evidence.c.case_id == case_id))
        return bool(result.rowcount)

    @staticmethod
    def change_evidence(connection: Connection, case_id: int, evidence_id: int, **values: Any) -> bool:
        """Change a piece of the case's evidence; False when the case has no such piece."""
        result = connection.execute(
            update(evidence).where(evidence.c.id == evidence_id, evidence.c.case_id == case_id).values(**values)
        )
        return bool(result.rowcount)

    @staticmethod
    def add_share(connection: Connection, case_id: int, organisation_id: int, user_id: int | None) -> bool:
        """Share the case with an organisation; False when it was shared with it already."""
        shared = connection.execute(
            select(case_shares.c.id).where(case_shares.c.case_id == case_id,
                                           case_shares.c.organisation_id == organisation_id)
        ).first()  # fmt: skip
        if shared is not None:
            return False
        connection.execute(case_shares.insert().values(case_id=case_id, organisation_id=organisation_id,
                                                       shared_by=user_id, created_at=datetime.now(UTC)))  # fmt: skip
        return True

    @staticmethod
    def remove_share(connection: Connection, case_id: int, organisation_id: int) -> bool:
        result = connection.execute(
            delete(case_shares).where(
                case_shares.c.case_id == case_id, case_shares.c.organisation_id == organisation_id
            )
        )
        return result.rowcount == 1

    @staticmethod
    def known_matches(connection: Connection, match_ids: Sequence[int]) -> set[int]:
        if not match_ids:
            return set()
        rows = connection.execute(select(case_items.c.match_id).where(case_items.c.match_id.in_(list(match_ids))))
        return {r.match_id for r in rows}

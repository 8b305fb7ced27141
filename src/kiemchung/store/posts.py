"""Post repository: posts with their copy links, fingerprints, claims (sentences) and matches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, func, or_, select

from kiemchung.domain.models import SuggestedMatch
from kiemchung.store.database import Database, aware
from kiemchung.store.organisations import owner_of
from kiemchung.store.schema import case_items, case_shares, cases, claims, matches, post_fingerprints, posts, sources


@dataclass(frozen=True)
class NewClaim:
    position: int
    text: str
    checkworthiness: float


@dataclass(frozen=True)
class NewPost:
    id: str
    source_id: int
    text: str
    title: str | None
    url: str | None
    canonical_url: str | None
    language: str | None
    published_at: datetime | None
    content_hash: str
    copy_of: str | None
    copy_similarity: float | None
    fingerprint: bytes
    claims: Sequence[NewClaim] = ()
    matches: Sequence[SuggestedMatch] = field(default_factory=list)


@dataclass(frozen=True)
class StoredPost:
    id: str
    source_id: int | None
    text: str
    title: str | None
    url: str | None
    language: str | None
    published_at: datetime | None
    fetched_at: datetime
    copy_of: str | None
    copy_similarity: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "url": self.url,
            "title": self.title,
            "published": self.published_at.isoformat() if self.published_at else None,
            "language": self.language,
            "copy_of": self.copy_of,
            "copy_similarity": self.copy_similarity,
        }


def post_owner() -> ColumnElement[int | None]:
    """A post belongs to its source's organisation; one of no source, or of an unowned one, to the first."""
    source = select(sources.c.organisation_id).where(sources.c.id == posts.c.source_id)
    return owner_of(source.correlate(posts).scalar_subquery())  # the post of the query, however deep it sits


def post_owned_by(organisation_id: int) -> ColumnElement[bool]:
    """The posts the organisation owns (`post_owner`)."""
    return post_owner() == organisation_id


def in_case(case_id: int) -> ColumnElement[bool]:
    """The posts that appear in a case (as a suggested match or a new claim)."""
    return posts.c.id.in_(select(case_items.c.post_id).where(case_items.c.case_id == case_id))


def post_readable_by(organisation_id: int) -> ColumnElement[bool]:
    """The posts an organisation may read: its own (`post_owned_by`), and those of a case shared with it that
    the case's owner owns — a partner reads a shared case's posts as its owner does, nothing more (a post of a
    third organisation in the case stays that organisation's)."""
    shared = (
        select(case_items.c.post_id)
        .join(case_shares, case_shares.c.case_id == case_items.c.case_id)
        .join(cases, cases.c.id == case_items.c.case_id)
        .where(case_items.c.post_id == posts.c.id, case_shares.c.organisation_id == organisation_id)
        .where(owner_of(cases.c.organisation_id) == post_owner())
    )
    return or_(post_owned_by(organisation_id), exists(shared))


def _from_row(row: Any) -> StoredPost:
    return StoredPost(
        row.id, row.source_id, row.text, row.title, row.url, row.language, aware(row.published_at),
        aware(row.fetched_at), row.copy_of, row.copy_similarity,
    )  # fmt: skip


class PostStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def insert(connection: Connection, post: NewPost) -> None:
        """Insert a post with its fingerprint, claims and matches (inside the caller's transaction)."""
        now = datetime.now(UTC)
        connection.execute(
            posts.insert().values(
                id=post.id,
                source_id=post.source_id,
                text=post.text,
                title=post.title,
                url=post.url,
                canonical_url=post.canonical_url,
                language=post.language,
                published_at=post.published_at,
                fetched_at=now,
                content_hash=post.content_hash,
                copy_of=post.copy_of,
                copy_similarity=post.copy_similarity,
            )  # fmt: skip
        )
        connection.execute(post_fingerprints.insert().values(post_id=post.id, hashes=post.fingerprint))
        if post.claims:
            connection.execute(
                claims.insert(),
                [{"post_id": post.id, "position": c.position, "text": c.text, "checkworthiness": c.checkworthiness}
                 for c in post.claims],
            )  # fmt: skip
        for m in post.matches:
            connection.execute(
                matches.insert().values(
                    post_id=post.id,
                    factcheck_id=m.factcheck_id,
                    query_text=m.query_text[:20_000],
                    sentence=m.sentence,
                    score=m.score,
                    features=m.features,
                    decision=m.decision,
                    created_at=now,
                )  # fmt: skip
            )

    def existing(
        self, connection: Connection, ids: Sequence[str], urls: Sequence[str], hashes: Sequence[str]
    ) -> tuple[set[str], dict[str, str], dict[str, str]]:
        """Which of these ids, canonical URLs and content hashes are stored already (id of the holder)."""
        found_ids: set[str] = set()
        by_url: dict[str, str] = {}
        by_hash: dict[str, str] = {}
        if ids:
            found_ids = {r.id for r in connection.execute(select(posts.c.id).where(posts.c.id.in_(list(ids))))}
        if urls:
            for r in connection.execute(
                select(posts.c.id, posts.c.canonical_url).where(posts.c.canonical_url.in_(list(urls)))
            ):
                by_url.setdefault(r.canonical_url, r.id)
        if hashes:
            for r in connection.execute(
                select(posts.c.id, posts.c.content_hash)
                .where(posts.c.content_hash.in_(list(hashes)))
                .order_by(posts.c.fetched_at)
            ):
                by_hash.setdefault(r.content_hash, r.id)
        return found_ids, by_url, by_hash

    def get(self, post_id: str, *, organisation_id: int | None = None) -> StoredPost | None:
        """The post; with an organisation, only if that organisation may read it (`post_readable_by`; else None,
        as if it did not exist)."""
        query = select(posts).where(posts.c.id == post_id)
        if organisation_id is not None:
            query = query.where(post_readable_by(organisation_id))
        with self.database.read() as connection:
            row = connection.execute(query).first()
        return _from_row(row) if row else None

    def count(self, *, organisation_id: int | None = None) -> int:
        """How many posts the organisation owns (None: in the whole installation)."""
        query = select(func.count()).select_from(posts)
        if organisation_id is not None:
            query = query.where(post_owned_by(organisation_id))
        with self.database.read() as connection:
            return int(connection.execute(query).scalar_one())

    def iter_all(self, batch: int = 1000) -> Iterator[StoredPost]:
        """Every post in the order it was stored (fetched_at, then id), read in batches."""
        last: tuple[datetime, str] | None = None
        while True:
            query = select(posts).order_by(posts.c.fetched_at, posts.c.id).limit(batch)
            if last is not None:
                query = query.where(
                    (posts.c.fetched_at > last[0]) | ((posts.c.fetched_at == last[0]) & (posts.c.id > last[1]))
                )
            with self.database.read() as connection:
                rows = connection.execute(query).all()
            if not rows:
                return
            for row in rows:
                yield _from_row(row)
            last = (rows[-1].fetched_at, rows[-1].id)

    def iter_fingerprints(self, batch: int = 5000) -> Iterator[tuple[str, bytes]]:
        last = ""
        while True:
            with self.database.read() as connection:
                rows = connection.execute(
                    select(post_fingerprints.c.post_id, post_fingerprints.c.hashes)
                    .where(post_fingerprints.c.post_id > last)
                    .order_by(post_fingerprints.c.post_id)
                    .limit(batch)
                ).all()
            if not rows:
                return
            for row in rows:
                yield row.post_id, row.hashes
            last = rows[-1].post_id

    def find(
        self,
        organisation_id: int,
        source_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
        case_id: int | None = None,
    ) -> tuple[list[StoredPost], int]:
        """The organisation's posts (one source's if given), newest first, and how many there are in all. With a
        case: the posts appearing in it that the organisation may read (the caller checks it may read the case)."""
        if case_id is None:
            condition = post_owned_by(organisation_id)
        else:
            condition = post_readable_by(organisation_id) & in_case(case_id)
        if source_id is not None:
            condition = condition & (posts.c.source_id == source_id)
        query = select(posts).where(condition).order_by(posts.c.fetched_at.desc(), posts.c.id)
        with self.database.read() as connection:
            total = connection.execute(select(func.count()).select_from(posts).where(condition)).scalar_one()
            rows = connection.execute(query.limit(limit).offset(offset)).all()
        return [_from_row(r) for r in rows], int(total)

    def recent(self, limit: int = 50) -> list[StoredPost]:
        with self.database.read() as connection:
            rows = connection.execute(select(posts).order_by(posts.c.fetched_at.desc()).limit(limit)).all()
        return [_from_row(r) for r in rows]

    def claims_of(self, post_id: str) -> list[tuple[int, str, float | None]]:
        with self.database.read() as connection:
            rows = connection.execute(
                select(claims.c.position, claims.c.text, claims.c.checkworthiness)
                .where(claims.c.post_id == post_id)
                .order_by(claims.c.position)
            ).all()
        return [(r.position, r.text, r.checkworthiness) for r in rows]

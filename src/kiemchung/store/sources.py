"""Source repository: definitions, schedule and health.

A source's name is unique within its owner (store/organisations.py `owner_of`: a source of no organisation is
the first organisation's), not across the installation: two organisations may each name a source "tin-tuc".
A lookup by name therefore names the organisation too; `named` lists every source of a name (the operator's)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, delete, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from kiemchung.domain.sources import Source
from kiemchung.errors import ConflictError, NotFoundError
from kiemchung.store.database import Database, aware
from kiemchung.store.organisations import owner_of
from kiemchung.store.schema import inbox, posts, sources

MAX_BACKOFF_S = 6 * 3600


def _from_row(row: Any) -> Source:
    return Source(
        row.id,
        row.kind,
        row.name,
        row.url,
        dict(row.config or {}),
        bool(row.enabled),
        row.interval_s,
        row.etag,
        row.last_modified,
        aware(row.next_fetch_at),
        aware(row.last_fetch_at),
        aware(row.last_success_at),
        aware(row.last_error_at),
        row.last_error,
        row.failures,
        row.items_total,
        row.organisation_id,
        bool(row.evidence),
    )


def owned_like(organisation_id: int | None) -> ColumnElement[bool]:
    """The sources with the owner a source of `organisation_id` has (None: no organisation, so the first)."""
    owner = owner_of(literal(organisation_id, Integer))
    return owner_of(sources.c.organisation_id).is_not_distinct_from(owner)


def _name_taken(connection: Connection, name: str, organisation_id: int | None) -> bool:
    """Whether the owner a source of `organisation_id` would have has a source of this name already."""
    query = select(sources.c.id).where(sources.c.name == name, owned_like(organisation_id))
    return connection.execute(query).first() is not None


class SourceStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def add(
        self,
        kind: str,
        name: str,
        url: str | None,
        interval_s: int,
        config: dict[str, Any] | None = None,
        organisation_id: int | None = None,
        evidence: bool = False,
    ) -> Source:
        now = datetime.now(UTC)
        taken = ConflictError(f"your organisation has a source named {name!r} already")  # no other's name is said
        try:
            with self.database.write() as connection:
                if _name_taken(connection, name, organisation_id):
                    raise taken
                result = connection.execute(
                    sources.insert().values(
                        kind=kind,
                        name=name,
                        url=url,
                        interval_s=interval_s,
                        config=config or {},
                        organisation_id=organisation_id,
                        evidence=evidence,
                        created_at=now,
                        next_fetch_at=now,
                    )
                )
                key = result.inserted_primary_key
                assert key is not None
                source_id = int(key[0])
        except IntegrityError:
            raise taken from None
        return self.get(source_id)

    def get(self, source_id: int) -> Source:
        with self.database.read() as connection:
            row = connection.execute(select(sources).where(sources.c.id == source_id)).first()
        if row is None:
            raise NotFoundError(f"no source with id {source_id}")
        return _from_row(row)

    def by_name(self, name: str, organisation_id: int | None = None) -> Source | None:
        """The source of this name owned as a source of `organisation_id` is (None: the first organisation)."""
        with self.database.read() as connection:
            row = connection.execute(select(sources).where(sources.c.name == name, owned_like(organisation_id))).first()
        return _from_row(row) if row else None

    def named(self, name: str) -> list[Source]:
        """Every source of this name, whatever its organisation (the installation operator's view)."""
        with self.database.read() as connection:
            rows = connection.execute(select(sources).where(sources.c.name == name).order_by(sources.c.id)).all()
        return [_from_row(r) for r in rows]

    def find(self, name_or_id: str, organisation_id: int | None = None) -> Source:
        """The organisation's source of this name, else the source of this id (the caller checks its owner)."""
        source = self.by_name(name_or_id, organisation_id)
        if source is None and name_or_id.isascii() and name_or_id.isdigit():  # not '²', which int() refuses
            return self.get(int(name_or_id))
        if source is None:
            raise NotFoundError(f"no source named {name_or_id!r}")
        return source

    def all(self) -> list[Source]:
        with self.database.read() as connection:
            rows = connection.execute(select(sources).order_by(sources.c.id)).all()
        return [_from_row(r) for r in rows]

    def of_organisation(self, organisation_id: int) -> list[Source]:
        """The sources an organisation owns (store/organisations.py: `owner_of`)."""
        with self.database.read() as connection:
            rows = connection.execute(
                select(sources).where(owner_of(sources.c.organisation_id) == organisation_id).order_by(sources.c.id)
            ).all()
        return [_from_row(r) for r in rows]

    def owner(self, source_id: int) -> int | None:
        """The organisation owning the source (store/organisations.py: `owner_of`)."""
        with self.database.read() as connection:
            return connection.execute(
                select(owner_of(sources.c.organisation_id)).where(sources.c.id == source_id)
            ).scalar_one_or_none()

    def due(self, now: datetime, kinds: Sequence[str]) -> list[Source]:
        with self.database.read() as connection:
            rows = connection.execute(
                select(sources)
                .where(sources.c.enabled.is_(True), sources.c.kind.in_(kinds))
                .where(or_(sources.c.next_fetch_at.is_(None), sources.c.next_fetch_at <= now))
                .order_by(sources.c.next_fetch_at, sources.c.id)
            ).all()
        return [_from_row(r) for r in rows]

    def update(self, source_id: int, **values: Any) -> Source:
        with self.database.write() as connection:
            result = connection.execute(update(sources).where(sources.c.id == source_id).values(**values))
        if result.rowcount != 1:
            raise NotFoundError(f"no source with id {source_id}")
        return self.get(source_id)

    @staticmethod
    def remove(connection: Connection, source_id: int) -> tuple[int, int]:
        """Delete a source inside the caller's transaction, keeping the posts it collected (they are the record):
        their source becomes NULL. Its inbox goes with it (ON DELETE CASCADE), items not yet processed included.
        (posts kept, unprocessed items dropped)."""
        unprocessed = connection.execute(
            select(func.count()).select_from(inbox).where(inbox.c.source_id == source_id, inbox.c.state == "pending")
        ).scalar_one()
        kept = connection.execute(update(posts).where(posts.c.source_id == source_id).values(source_id=None)).rowcount
        result = connection.execute(delete(sources).where(sources.c.id == source_id))
        if result.rowcount != 1:
            raise NotFoundError(f"no source with id {source_id}")
        return kept, int(unprocessed)

    @staticmethod
    def record_success(
        connection: Connection,
        source: Source,
        now: datetime,
        items: int,
        etag: str | None,
        last_modified: str | None,
        note: str | None = None,
    ) -> None:
        """Written in the same transaction as the source's new items."""
        connection.execute(
            update(sources)
            .where(sources.c.id == source.id)
            .values(
                etag=etag,
                last_modified=last_modified,
                last_fetch_at=now,
                last_success_at=now,
                last_error=note,
                last_error_at=now if note else None,
                failures=0,
                items_total=sources.c.items_total + items,
                next_fetch_at=now + timedelta(seconds=source.interval_s),
            )
        )

    def record_failure(self, source: Source, now: datetime, reason: str) -> None:
        """Back off: the pause doubles with each failure in a row, up to MAX_BACKOFF_S."""
        failures = source.failures + 1
        pause = min(source.interval_s * 2 ** min(failures - 1, 10), MAX_BACKOFF_S)
        with self.database.write() as connection:
            connection.execute(
                update(sources)
                .where(sources.c.id == source.id)
                .values(
                    last_fetch_at=now,
                    last_error_at=now,
                    last_error=reason[:2000],
                    failures=failures,
                    next_fetch_at=now + timedelta(seconds=max(pause, 1)),
                )
            )

"""Fact-check repository: the only place that writes SQL about fact-checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kiemchung.domain.models import FactCheck, Page, Rating
from kiemchung.store.database import Database, aware
from kiemchung.store.schema import factcheck_versions, factchecks
from kiemchung.text import fold_diacritics, normalize_for_matching


def search_text(fc: FactCheck) -> str:
    """What the archive search looks in: claim and summary, normalised and folded."""
    return fold_diacritics(normalize_for_matching(f"{fc.claim} {fc.summary or ''} {fc.id}"))


def _row_values(fc: FactCheck, now: datetime) -> dict[str, Any]:
    return {
        "id": fc.id,
        "claim": fc.claim,
        "search_text": search_text(fc),
        "rating_label": fc.rating.label,
        "rating_value": fc.rating.value,
        "rating_best": fc.rating.best,
        "rating_worst": fc.rating.worst,
        "url": fc.url,
        "language": fc.language,
        "published": fc.published,
        "summary": fc.summary,
        "publisher": fc.publisher,
        "publisher_url": fc.publisher_url,
        "claim_author": fc.claim_author,
        "claim_date": fc.claim_date,
        "appearances": list(fc.appearances),
        "first_appearance": fc.first_appearance,
        "evidence_links": list(fc.evidence_links),
        "created_at": now,
        "updated_at": now,
    }


def _from_row(row: Any) -> FactCheck:
    return FactCheck(
        id=row.id,
        claim=row.claim,
        rating=Rating(row.rating_label, row.rating_value, row.rating_best, row.rating_worst),
        url=row.url,
        language=row.language,
        published=row.published,
        summary=row.summary,
        publisher=row.publisher,
        publisher_url=row.publisher_url,
        claim_author=row.claim_author,
        claim_date=row.claim_date,
        appearances=tuple(row.appearances or ()),
        first_appearance=row.first_appearance,
        evidence_links=tuple(row.evidence_links or ()),
        updated_at=row.updated_at,
        modified=aware(row._mapping.get("modified")),
    )


# When a fact-check was last corrected: its newest version after the first (NULL while it has only one).
_MODIFIED = (
    select(func.max(factcheck_versions.c.published_at))
    .where(factcheck_versions.c.factcheck_id == factchecks.c.id, factcheck_versions.c.version > 1)
    .scalar_subquery()
    .label("modified")
)
_WITH_MODIFIED = select(factchecks, _MODIFIED)


def _insert_for(connection: Connection) -> Any:
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


class FactCheckStore:
    """Reads and writes fact-checks through a Database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def upsert_many(self, items: Sequence[FactCheck]) -> list[str]:
        """Archive import, in one transaction: insert or update by id every fact-check the archive owns;
        returns the ids refused because a fact-check published here or a subscription's owns them."""
        if not items:
            return []
        with self.database.write() as connection:
            return self.import_many(connection, items, subscription_id=None)

    @staticmethod
    def import_many(connection: Connection, items: Sequence[FactCheck], subscription_id: int | None) -> list[str]:
        """Insert or update (by id) fact-checks imported by a subscription (or, with None, by the archive),
        inside the caller's transaction. A row owned by anyone else — our organisation's publications,
        another subscription, the archive — is never updated: its id is returned instead."""
        unique = {fc.id: fc for fc in items}  # the last one of a repeated id wins
        owner = _owned_by(subscription_id)
        refused = set()
        for start in range(0, len(unique), 500):
            chunk = list(unique)[start : start + 500]
            refused |= set(connection.execute(
                select(factchecks.c.id).where(factchecks.c.id.in_(chunk)).where(~owner)
            ).scalars())  # fmt: skip
        kept = [fc for key, fc in unique.items() if key not in refused]
        if kept:
            owners = {"organisation_id": None, "subscription_id": subscription_id}
            FactCheckStore.write_many(connection, kept, only_if=owner, **owners)
        return sorted(refused)

    @staticmethod
    def write_many(connection: Connection, items: Sequence[FactCheck], only_if: Any = None, **extra: Any) -> int:
        """The upsert, inside the caller's transaction; `extra` columns (organisation_id, version…) too. An
        existing row is updated only where `only_if` (a condition on it) holds."""
        now = datetime.now(UTC)
        unique = {fc.id: fc for fc in items}  # the last one of a repeated id wins
        rows = [{**_row_values(fc, now), **extra} for fc in unique.values()]
        insert = _insert_for(connection)(factchecks)
        updates = {c: insert.excluded[c] for c in rows[0] if c not in {"id", "created_at"}}
        connection.execute(insert.on_conflict_do_update(index_elements=["id"], set_=updates, where=only_if), rows)
        return len(rows)

    @staticmethod
    def attachable(connection: Connection, factcheck_id: str, organisation_id: int | None) -> bool:
        """May a case of `organisation_id` add its posts to this fact-check's appearances? Only to its own
        organisation's fact-checks or the installation's archive records (no organisation), never to another
        organisation's nor to one a subscription imported (the next sync would overwrite it)."""
        row = connection.execute(
            select(factchecks.c.organisation_id, factchecks.c.subscription_id).where(factchecks.c.id == factcheck_id)
        ).first()
        return row is not None and row.subscription_id is None and row.organisation_id in (None, organisation_id)

    @staticmethod
    def add_appearances(
        connection: Connection, factcheck_id: str, urls: Sequence[str], most: int
    ) -> tuple[FactCheck, int] | None:
        """Add appearances (new ones after the known, at most `most` in all) to a fact-check, inside the
        caller's transaction; the fact-check as it now is and its version, or None when there is none."""
        row = connection.execute(select(factchecks).where(factchecks.c.id == factcheck_id)).first()
        if row is None:
            return None
        merged = list(dict.fromkeys([*(row.appearances or []), *urls]))[:most]
        first = row.first_appearance or (merged[0] if merged else None)
        now = datetime.now(UTC)
        connection.execute(
            update(factchecks)
            .where(factchecks.c.id == factcheck_id)
            .values(appearances=merged, first_appearance=first, updated_at=now)
        )
        found = _from_row(row)
        return replace(found, appearances=tuple(merged), first_appearance=first, updated_at=now), int(row.version)

    def get(self, factcheck_id: str) -> FactCheck | None:
        with self.database.read() as connection:
            row = connection.execute(_WITH_MODIFIED.where(factchecks.c.id == factcheck_id)).first()
        return _from_row(row) if row else None

    def get_many(self, ids: Iterable[str]) -> dict[str, FactCheck]:
        wanted = list(dict.fromkeys(ids))
        found: dict[str, FactCheck] = {}
        with self.database.read() as connection:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                for row in connection.execute(_WITH_MODIFIED.where(factchecks.c.id.in_(chunk))):
                    found[row.id] = _from_row(row)
        return found

    def published_here(self, organisation_id: int | None = None, limit: int = 1000) -> list[FactCheck]:
        """Fact-checks published with the workbench (ids kc-…, owned by an organisation here, never one a
        subscription imported), newest first; one organisation's if given."""
        query = _WITH_MODIFIED.where(
            factchecks.c.id.like("kc-%"),
            factchecks.c.organisation_id.is_not(None),
            factchecks.c.subscription_id.is_(None),
        )
        if organisation_id is not None:
            query = query.where(factchecks.c.organisation_id == organisation_id)
        with self.database.read() as connection:
            rows = connection.execute(query.order_by(factchecks.c.updated_at.desc()).limit(limit)).all()
        return [_from_row(r) for r in rows]

    def organisation_of(self, factcheck_id: str) -> int | None:
        with self.database.read() as connection:
            value = connection.execute(
                select(factchecks.c.organisation_id).where(factchecks.c.id == factcheck_id)
            ).scalar_one_or_none()
        return int(value) if value is not None else None

    def count(self) -> int:
        with self.database.read() as connection:
            return int(connection.execute(select(func.count()).select_from(factchecks)).scalar_one())

    def page(self, page: int = 1, per_page: int = 20, query: str = "") -> Page[FactCheck]:
        """One page, newest first; `query` keeps those whose folded text holds every query token."""
        condition = _search_condition(query)
        with self.database.read() as connection:
            total = connection.execute(select(func.count()).select_from(factchecks).where(condition)).scalar_one()
            rows = connection.execute(
                select(factchecks)
                .where(condition)
                .order_by(factchecks.c.published.desc().nulls_last(), factchecks.c.id)
                .limit(per_page)
                .offset((page - 1) * per_page)
            ).all()
        return Page(items=[_from_row(r) for r in rows], total=int(total), page=page, per_page=per_page)

    def iter_all(self, batch_size: int = 1000) -> Iterator[FactCheck]:
        """Every fact-check, in id order, streamed in batches (bounded memory)."""
        last = ""
        while True:
            with self.database.read() as connection:
                rows = connection.execute(
                    select(factchecks).where(factchecks.c.id > last).order_by(factchecks.c.id).limit(batch_size)
                ).all()
            if not rows:
                return
            for row in rows:
                yield _from_row(row)
            last = rows[-1].id

    def changed_since(self, moment: datetime | None) -> list[FactCheck]:
        """Fact-checks written after `moment` (all of them when None), oldest change first."""
        condition = factchecks.c.updated_at > moment if moment else and_(True)
        with self.database.read() as connection:
            rows = connection.execute(select(factchecks).where(condition).order_by(factchecks.c.updated_at)).all()
        return [_from_row(r) for r in rows]

    def watermark(self) -> tuple[int, datetime | None]:
        """(count, newest update) — what an index compares to know whether it is stale."""
        with self.database.read() as connection:
            row = connection.execute(select(func.count(), func.max(factchecks.c.updated_at))).one()
        return int(row[0]), row[1]


def _owned_by(subscription_id: int | None) -> Any:
    """The rows an import may update: the subscription's own, or (None) the archive's."""
    archive = factchecks.c.organisation_id.is_(None)
    if subscription_id is None:
        return and_(archive, factchecks.c.subscription_id.is_(None))
    return and_(archive, func.coalesce(factchecks.c.subscription_id, -1) == subscription_id)  # NULL is not ours


def _search_condition(query: str) -> Any:
    words = fold_diacritics(normalize_for_matching(query)).split()
    if not words:
        return and_(True)
    return and_(
        *(
            or_(
                factchecks.c.search_text.contains(f" {w}", autoescape=True),
                factchecks.c.search_text.startswith(w, autoescape=True),
            )
            for w in words
        )
    )

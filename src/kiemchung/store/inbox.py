"""The inbox: every item a source delivered, once, with its processing state.

States: pending (waiting for the pipeline), done (stored as a post), duplicate (already stored under
another id or URL), rejected (unusable, with the reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kiemchung.ingest.items import Item
from kiemchung.store.database import Database
from kiemchung.store.organisations import owner_of
from kiemchung.store.schema import inbox, sources

STATES = ("pending", "done", "duplicate", "rejected")
KEY_BATCH = 500


@dataclass(frozen=True)
class InboxEntry:
    id: int
    source_id: int
    item: Item | None
    state: str
    reason: str | None = None


class InboxStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def known_keys(self, source_id: int, keys: Sequence[str]) -> set[str]:
        """The keys among `keys` that this source has delivered before (so pages are not fetched twice)."""
        known: set[str] = set()
        with self.database.read() as connection:
            for start in range(0, len(keys), KEY_BATCH):
                chunk = list(keys[start : start + KEY_BATCH])
                rows = connection.execute(
                    select(inbox.c.item_key).where(inbox.c.source_id == source_id, inbox.c.item_key.in_(chunk))
                )
                known.update(r.item_key for r in rows)
        return known

    def add(
        self,
        connection: Connection,
        source_id: int,
        items: Sequence[Item],
        rejected: Sequence[tuple[str, str]] = (),
    ) -> int:
        """Insert items (and rejected keys with their reasons); keys seen before are ignored.

        Returns how many of `items` were new.
        """
        now = datetime.now(UTC)
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(inbox).on_conflict_do_nothing(index_elements=["source_id", "item_key"])
        rows: list[dict[str, Any]] = [
            {"source_id": source_id, "item_key": i.key[:500], "payload": i.payload(), "state": "pending",
             "reason": None, "received_at": now, "processed_at": None} for i in items
        ]  # fmt: skip
        refused: list[dict[str, Any]] = [
            {"source_id": source_id, "item_key": key[:500], "payload": None, "state": "rejected",
             "reason": reason[:2000], "received_at": now, "processed_at": now} for key, reason in rejected
        ]  # fmt: skip
        added = 0
        counted = statement.returning(inbox.c.id)  # rowcount of an executemany is not portable; RETURNING is
        for start in range(0, len(rows), KEY_BATCH):
            added += len(connection.execute(counted, rows[start : start + KEY_BATCH]).all())
        for start in range(0, len(refused), KEY_BATCH):
            connection.execute(statement, refused[start : start + KEY_BATCH])
        return added

    def pending(self, limit: int) -> list[InboxEntry]:
        with self.database.read() as connection:
            rows = connection.execute(
                select(inbox.c.id, inbox.c.source_id, inbox.c.payload, inbox.c.state)
                .where(inbox.c.state == "pending")
                .order_by(inbox.c.id)
                .limit(limit)
            ).all()
        return [InboxEntry(r.id, r.source_id, Item.from_payload(r.payload), r.state) for r in rows]

    @staticmethod
    def settle(connection: Connection, entry_id: int, state: str, post_id: str | None, reason: str | None) -> None:
        """Mark an entry processed (its payload is dropped: the post now holds the text)."""
        connection.execute(
            update(inbox)
            .where(inbox.c.id == entry_id, inbox.c.state == "pending")
            .values(state=state, post_id=post_id, reason=reason, payload=None, processed_at=datetime.now(UTC))
        )

    def counts(self, *, organisation_id: int | None = None) -> dict[str, int]:
        """Inbox entries by state: of the organisation's sources (store/organisations.py), or of all (None)."""
        query = select(inbox.c.state, func.count()).group_by(inbox.c.state)
        if organisation_id is not None:
            owned = select(sources.c.id).where(owner_of(sources.c.organisation_id) == organisation_id)
            query = query.where(inbox.c.source_id.in_(owned))
        with self.database.read() as connection:
            rows = connection.execute(query).all()
        out = dict.fromkeys(STATES, 0)
        out.update({state: count for state, count in rows})
        return out

    def rejected(self, source_id: int | None = None, limit: int = 100) -> list[tuple[str, str]]:
        query = select(inbox.c.item_key, inbox.c.reason).where(inbox.c.state == "rejected")
        if source_id is not None:
            query = query.where(inbox.c.source_id == source_id)
        with self.database.read() as connection:
            rows = connection.execute(query.order_by(inbox.c.id.desc()).limit(limit)).all()
        return [(r.item_key, r.reason or "") for r in rows]

"""The inbox: every item a source delivered, once, with its processing state.

States: pending (waiting for the pipeline), done (stored as a post), duplicate (already stored under
another id or URL), rejected (unusable, with the reason), dead (failed WORKER_MAX_ATTEMPTS times: set aside
with the last error, its payload kept for a person to look at).

Any number of workers share the inbox: each takes pending items under a lease (`lease`: on PostgreSQL with
SELECT ... FOR UPDATE SKIP LOCKED, so two workers never take the same item; SQLite has one worker), settles
only what it still holds, and an item whose lease expired (its worker stopped) is taken again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kiemchung.ingest.items import Item
from kiemchung.store.database import Database
from kiemchung.store.organisations import owner_of
from kiemchung.store.schema import inbox, sources

STATES = ("pending", "done", "duplicate", "rejected", "dead")
SET_ASIDE = ("rejected", "dead")
KEY_BATCH = 500


@dataclass(frozen=True)
class InboxEntry:
    id: int
    source_id: int
    item: Item | None
    state: str
    reason: str | None = None
    attempts: int = 0


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

    def lease(self, worker: str, limit: int, lease_s: float, max_attempts: int) -> list[InboxEntry]:
        """Take up to `limit` pending items whose lease is free or expired, for `lease_s` seconds. An item taken
        `max_attempts` times already whose lease expired (its worker stopped each time) is set aside as dead."""
        now = datetime.now(UTC)
        with self.database.write() as connection:
            self._bury_abandoned(connection, now, max_attempts)
            free = or_(inbox.c.lease_until.is_(None), inbox.c.lease_until <= now)
            query = select(inbox.c.id).where(inbox.c.state == "pending", free).order_by(inbox.c.id).limit(limit)
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(connection.execute(query).scalars())
            if not ids:
                return []
            rows = connection.execute(
                update(inbox)
                .where(inbox.c.id.in_(ids))
                .values(leased_by=worker, lease_until=now + timedelta(seconds=lease_s), attempts=inbox.c.attempts + 1)
                .returning(inbox.c.id, inbox.c.source_id, inbox.c.payload, inbox.c.state, inbox.c.attempts)
            ).all()
        return [InboxEntry(r.id, r.source_id, Item.from_payload(r.payload), r.state, None, r.attempts)
                for r in sorted(rows, key=lambda r: r.id)]  # fmt: skip

    @staticmethod
    def _bury_abandoned(connection: Connection, now: datetime, max_attempts: int) -> None:
        abandoned = f"taken {max_attempts} times and never settled: its worker stopped each time"
        connection.execute(
            update(inbox)
            .where(inbox.c.state == "pending", inbox.c.lease_until <= now, inbox.c.attempts >= max_attempts)
            .where(inbox.c.leased_by.is_not(None))
            .values(state="dead", reason=func.coalesce(inbox.c.reason, literal(abandoned)), leased_by=None,
                    lease_until=None, processed_at=now)  # the payload is kept: a dead item can be looked at
        )  # fmt: skip

    @staticmethod
    def settle(
        connection: Connection, entry_id: int, state: str, post_id: str | None, reason: str | None,
        worker: str | None = None,
    ) -> bool:  # fmt: skip
        """Mark an entry processed (its payload is dropped: the post now holds the text). With `worker`, only
        while that worker holds its lease. True when settled."""
        condition = [inbox.c.id == entry_id, inbox.c.state == "pending"]
        if worker is not None:
            condition.append(inbox.c.leased_by == worker)
        result = connection.execute(
            update(inbox)
            .where(*condition)
            .values(state=state, post_id=post_id, reason=reason, payload=None, processed_at=datetime.now(UTC),
                    leased_by=None, lease_until=None)
        )  # fmt: skip
        return result.rowcount == 1

    @staticmethod
    def fail(connection: Connection, entry: InboxEntry, worker: str, error: str, max_attempts: int) -> str:
        """An attempt failed: the item goes back to the pending ones with the error as its reason, or, tried
        `max_attempts` times, is set aside as dead with it. Its new state ("" when the worker lost its lease)."""
        state = "dead" if entry.attempts >= max_attempts else "pending"
        dead = state == "dead"
        result = connection.execute(
            update(inbox)
            .where(inbox.c.id == entry.id, inbox.c.state == "pending", inbox.c.leased_by == worker)
            .values(state=state, reason=error[:2000], leased_by=None, lease_until=None,
                    **({"processed_at": datetime.now(UTC)} if dead else {}))  # a dead item keeps its payload
        )  # fmt: skip
        return state if result.rowcount == 1 else ""

    def release(self, worker: str, entry_ids: Sequence[int]) -> None:
        """Give back leases not needed any more, for other workers to take at once."""
        with self.database.write() as connection:
            connection.execute(
                update(inbox)
                .where(inbox.c.id.in_(list(entry_ids)), inbox.c.state == "pending", inbox.c.leased_by == worker)
                .values(leased_by=None, lease_until=None)
            )

    def release_all(self) -> None:
        """Free every lease: for a worker that knows it is the only one (SQLite), after a stopped worker."""
        with self.database.write() as connection:
            connection.execute(
                update(inbox).where(inbox.c.leased_by.is_not(None)).values(leased_by=None, lease_until=None)
            )

    def leased(self, now: datetime | None = None) -> int:
        """How many pending items are under a lease that has not expired."""
        now = now or datetime.now(UTC)
        with self.database.read() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(inbox).where(inbox.c.state == "pending", inbox.c.lease_until > now)
                ).scalar_one()
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

    def retry_dead(self, source_id: int | None = None) -> int:
        """Put dead items (of one source, or all) back among the pending ones with their attempts reset, once
        what made them fail is fixed: their payload was kept. Returns how many."""
        query = update(inbox).where(inbox.c.state == "dead", inbox.c.payload.is_not(None))
        if source_id is not None:
            query = query.where(inbox.c.source_id == source_id)
        with self.database.write() as connection:
            result = connection.execute(
                query.values(state="pending", attempts=0, reason=None, leased_by=None, lease_until=None,
                             processed_at=None)
            )  # fmt: skip
        return int(result.rowcount)

    def rejected(self, source_id: int | None = None, limit: int = 100) -> list[tuple[str, str]]:
        """The items set aside, newest first: rejected as unusable, or dead after failing every attempt."""
        query = select(inbox.c.item_key, inbox.c.reason).where(inbox.c.state.in_(SET_ASIDE))
        if source_id is not None:
            query = query.where(inbox.c.source_id == source_id)
        with self.database.read() as connection:
            rows = connection.execute(query.order_by(inbox.c.id.desc()).limit(limit)).all()
        return [(r.item_key, r.reason or "") for r in rows]

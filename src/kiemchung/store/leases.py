"""Named leases: what one worker does at a time among all the workers that share the database.

A lease is taken atomically (INSERT ... ON CONFLICT DO UPDATE ... WHERE the lease has expired, RETURNING):
of two workers asking at once, exactly one gets it. It expires by itself, so a worker killed while holding
one stops nobody for longer than the lease. Releasing may keep it closed until a given moment (a host's
politeness pause, kept across workers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from kiemchung.store.database import Database, aware
from kiemchung.store.schema import worker_leases


class LeaseStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def claim(self, name: str, holder: str, seconds: float, now: datetime | None = None) -> bool:
        """Take the lease `name` for `seconds` unless another holds it (or it is closed); True when taken."""
        now = now or datetime.now(UTC)
        until = now + timedelta(seconds=seconds)
        with self.database.write() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            statement = (
                dialect.insert(worker_leases)
                .values(name=name[:300], holder=holder, lease_until=until)
                .on_conflict_do_update(
                    index_elements=["name"],
                    set_={"holder": holder, "lease_until": until},
                    where=worker_leases.c.lease_until <= now,
                )
                .returning(worker_leases.c.name)
            )
            return connection.execute(statement).first() is not None

    def release(self, name: str, holder: str, closed_until: datetime | None = None) -> None:
        """Give the lease back (only its holder can); nobody may take it before `closed_until`."""
        until = closed_until or datetime.now(UTC)
        with self.database.write() as connection:
            connection.execute(
                update(worker_leases)
                .where(worker_leases.c.name == name[:300], worker_leases.c.holder == holder)
                .values(holder=None, lease_until=until)
            )

    def release_all(self) -> None:
        """Free every held lease (a closed one stays closed): for the only worker (SQLite) after a stopped one."""
        with self.database.write() as connection:
            connection.execute(
                update(worker_leases)
                .where(worker_leases.c.holder.is_not(None))
                .values(holder=None, lease_until=datetime.now(UTC))
            )

    def holder(self, name: str, now: datetime | None = None) -> str | None:
        """Who holds the lease now (None: free, expired or only closed)."""
        now = now or datetime.now(UTC)
        with self.database.read() as connection:
            row = connection.execute(select(worker_leases).where(worker_leases.c.name == name[:300])).first()
        if row is None or row.holder is None or aware(row.lease_until) <= now:
            return None
        return str(row.holder)

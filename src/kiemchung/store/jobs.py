"""Background jobs kept as rows (services/background.py): the SQL every such table shares. A table has `id`,
`state` (queued | running | done | failed) and `heartbeat_at`; a job is workable when queued, or running with a
heartbeat older than `stale_before` (the trace of a server that stopped mid-job). Taking one is a conditional
UPDATE, so two processes never work the same job.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, or_, select, update

from kiemchung.store.database import Database


def workable(table: Table, stale_before: datetime) -> ColumnElement[bool]:
    return or_(table.c.state == "queued", and_(table.c.state == "running", table.c.heartbeat_at < stale_before))


def waiting(database: Database, table: Table, stale_before: datetime, limit: int = 10) -> list[int]:
    """Jobs to work: queued, or running with a heartbeat older than `stale_before`; oldest first."""
    query = select(table.c.id).where(workable(table, stale_before)).order_by(table.c.id).limit(limit)
    with database.read() as connection:
        return list(connection.execute(query).scalars())


def take(connection: Connection, table: Table, job_id: int, stale_before: datetime, **values: Any) -> bool:
    """Mark the job running (its start and heartbeat now, and `values`) if it is workable; whether it was."""
    now = datetime.now(UTC)
    taken = connection.execute(
        update(table).where(table.c.id == job_id, workable(table, stale_before))
        .values(state="running", started_at=now, heartbeat_at=now, **values)
    ).rowcount  # fmt: skip
    return bool(taken == 1)


def beat(database: Database, table: Table, job_id: int, **values: Any) -> None:
    """A running job's heartbeat (and progress `values`)."""
    with database.write() as connection:
        connection.execute(
            update(table).where(table.c.id == job_id, table.c.state == "running")
            .values(heartbeat_at=datetime.now(UTC), **values)
        )  # fmt: skip

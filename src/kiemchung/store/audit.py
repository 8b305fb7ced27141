"""The audit log: every change of state, who, what, when. Append-only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from kiemchung.domain.accounts import Actor
from kiemchung.store.database import Database, aware
from kiemchung.store.schema import audit_log, users


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    user: str | None
    token_id: int | None
    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at.isoformat(), "user": self.user, "token_id": self.token_id,
            "action": self.action, "object_type": self.object_type, "object_id": self.object_id, "detail": self.detail,
        }  # fmt: skip


class AuditStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def record(
        connection: Connection,
        actor: Actor | None,
        action: str,
        object_type: str,
        object_id: object,
        **detail: Any,
    ) -> None:
        """Written in the same transaction as the change it describes."""
        connection.execute(
            audit_log.insert().values(
                at=datetime.now(UTC),
                organisation_id=actor.organisation_id if actor else None,
                user_id=actor.user_id if actor else None,
                token_id=actor.token_id if actor else None,
                action=action,
                object_type=object_type,
                object_id=str(object_id),
                detail=detail,
            )
        )

    def entries(self, organisation_id: int | None = None, limit: int | None = 200) -> Iterator[AuditEntry]:
        query = (
            select(audit_log, users.c.email)
            .outerjoin(users, users.c.id == audit_log.c.user_id)
            .order_by(audit_log.c.id.desc())
        )
        if organisation_id is not None:
            query = query.where(audit_log.c.organisation_id == organisation_id)
        if limit is not None:
            query = query.limit(limit)
        with self.database.read() as connection:
            rows = connection.execute(query).all()
        for r in rows:
            yield AuditEntry(
                r.id, aware(r.at), r.email, r.token_id, r.action, r.object_type, r.object_id, dict(r.detail or {})
            )

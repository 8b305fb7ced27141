"""The audit log: every change of state, who, what, when. Append-only.

An entry goes to the log of the organisation that owns the changed object (`owner`; the actor's own when
not given) and names the actor's organisation too, so a sharing partner's comment on a case shows in the
owner's log, and an organisation's log also lists what its own people did on partners' objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, or_, select

from kiemchung.domain.accounts import Actor
from kiemchung.store.database import Database, aware
from kiemchung.store.schema import audit_log, organisations, users


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
    actor_organisation: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at.isoformat(), "user": self.user, "token_id": self.token_id,
            "actor_organisation": self.actor_organisation, "action": self.action, "object_type": self.object_type,
            "object_id": self.object_id, "detail": self.detail,
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
        """Written in the same transaction as the change it describes, to the actor's organisation's log."""
        AuditStore.record_in(connection, None, actor, action, object_type, object_id, **detail)

    @staticmethod
    def record_in(
        connection: Connection,
        owner: int | None,
        actor: Actor | None,
        action: str,
        object_type: str,
        object_id: object,
        **detail: Any,
    ) -> None:
        """Written in the same transaction as the change it describes, to the log of `owner` (the organisation
        owning the object; the actor's own when None)."""
        acting = actor.organisation_id if actor else None
        connection.execute(
            audit_log.insert().values(
                at=datetime.now(UTC),
                organisation_id=acting if owner is None else owner,
                actor_organisation_id=acting,
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
            select(audit_log, users.c.email, organisations.c.name.label("actor_organisation"))
            .outerjoin(users, users.c.id == audit_log.c.user_id)
            .outerjoin(organisations, organisations.c.id == audit_log.c.actor_organisation_id)
            .order_by(audit_log.c.id.desc())
        )
        if organisation_id is not None:
            mine = or_(audit_log.c.organisation_id == organisation_id,
                       audit_log.c.actor_organisation_id == organisation_id)  # fmt: skip
            query = query.where(mine)
        if limit is not None:
            query = query.limit(limit)
        with self.database.read() as connection:
            rows = connection.execute(query).all()
        for r in rows:
            yield AuditEntry(
                r.id, aware(r.at), r.email, r.token_id, r.action, r.object_type, r.object_id, dict(r.detail or {}),
                r.actor_organisation,
            )  # fmt: skip

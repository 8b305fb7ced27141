"""API tokens for machines: only a SHA-256 of each token is stored; the token is shown once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, or_, select, update

from kiemchung.errors import NotFoundError
from kiemchung.store.database import Database, aware
from kiemchung.store.schema import api_tokens, users

PREFIX = "kc_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiToken:
    id: int
    organisation_id: int
    user_id: int | None
    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _from_row(row: Any) -> ApiToken:
    return ApiToken(
        row.id, row.organisation_id, row.user_id, row.name, row.role, row.created_at, row.last_used_at, row.revoked_at
    )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, organisation_id: int, name: str, role: str, user_id: int | None = None) -> tuple[ApiToken, str]:
        """A new token and its secret value (never stored, never shown again)."""
        secret = PREFIX + secrets.token_urlsafe(32)
        with self.database.write() as connection:
            result = connection.execute(
                api_tokens.insert().values(
                    organisation_id=organisation_id,
                    user_id=user_id,
                    name=name,
                    role=role,
                    token_hash=token_digest(secret),
                    created_at=datetime.now(UTC),
                )  # fmt: skip
            )
            key = result.inserted_primary_key
            assert key is not None
            row = connection.execute(select(api_tokens).where(api_tokens.c.id == key[0])).one()
        return _from_row(row), secret

    def authenticate(self, secret: str) -> ApiToken | None:
        """The token with this secret, unless revoked or created by a person since deactivated."""
        query = (
            select(api_tokens)
            .outerjoin(users, users.c.id == api_tokens.c.user_id)
            .where(api_tokens.c.token_hash == token_digest(secret), api_tokens.c.revoked_at.is_(None))
            .where(or_(api_tokens.c.user_id.is_(None), users.c.active.is_(True)))
        )
        with self.database.read() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        now = datetime.now(UTC)
        last = aware(row.last_used_at)
        if last is None or now - last >= LAST_USED_RESOLUTION:  # not a write on every API request
            with self.database.write() as connection:
                connection.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now))
        return _from_row(row)

    def all(self, organisation_id: int | None = None) -> list[ApiToken]:
        query = select(api_tokens).order_by(api_tokens.c.id)
        if organisation_id is not None:
            query = query.where(api_tokens.c.organisation_id == organisation_id)
        with self.database.read() as connection:
            return [_from_row(r) for r in connection.execute(query).all()]

    def revoke(self, token_id: int, organisation_id: int | None = None) -> None:
        query = update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        if organisation_id is not None:
            query = query.where(api_tokens.c.organisation_id == organisation_id)
        with self.database.write() as connection:
            result = connection.execute(query.values(revoked_at=datetime.now(UTC)))
        if result.rowcount != 1:
            raise NotFoundError(f"no active token with id {token_id}")

    @staticmethod
    def revoke_of_user(connection: Connection, user_id: int, roles: list[str]) -> list[ApiToken]:
        """Revoke the live tokens `user_id` created with one of `roles`; the revoked ones."""
        live = connection.execute(
            select(api_tokens).where(
                api_tokens.c.user_id == user_id, api_tokens.c.role.in_(roles), api_tokens.c.revoked_at.is_(None)
            )
        ).all()
        ids = [row.id for row in live]
        if ids:
            connection.execute(update(api_tokens).where(api_tokens.c.id.in_(ids)).values(revoked_at=datetime.now(UTC)))
        return [_from_row(row) for row in live]

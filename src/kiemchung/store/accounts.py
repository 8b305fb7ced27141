"""Account repository: users, sessions, invites and password reset links. Secrets are stored only as hashes.

Methods that take a `connection` run inside the caller's write transaction (one use case, one transaction)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from kiemchung.errors import InputError, NotFoundError
from kiemchung.store.database import Database, aware
from kiemchung.store.schema import invites, organisations, password_resets, sessions, users


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class User:
    id: int
    organisation_id: int
    organisation: str
    email: str
    display_name: str
    role: str
    active: bool
    password_hash: str | None
    created_at: datetime


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class Invite:
    id: int
    organisation_id: int
    email: str
    role: str
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class PasswordReset:
    id: int
    user_id: int
    created_by: int | None
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > now


_USER = select(users, organisations.c.name.label("organisation")).join(
    organisations, organisations.c.id == users.c.organisation_id
)


def _user(row: Any) -> User:
    return User(
        row.id, row.organisation_id, row.organisation, row.email, row.display_name, row.role, bool(row.active),
        row.password_hash, aware(row.created_at),
    )  # fmt: skip


def _invite(row: Any) -> Invite:
    return Invite(row.id, row.organisation_id, row.email, row.role, aware(row.expires_at), aware(row.used_at),
                  aware(row.revoked_at))  # fmt: skip


def _reset(row: Any) -> PasswordReset:
    return PasswordReset(row.id, row.user_id, row.created_by, aware(row.expires_at), aware(row.used_at),
                         aware(row.revoked_at))  # fmt: skip


class AccountStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # -- users ------------------------------------------------------------------------------------------

    def add_user(self, organisation_id: int, email: str, display_name: str, role: str, password_hash: str) -> User:
        try:
            with self.database.write() as connection:
                result = connection.execute(
                    users.insert().values(
                        organisation_id=organisation_id,
                        email=email,
                        display_name=display_name,
                        role=role,
                        password_hash=password_hash,
                        active=True,
                        created_at=datetime.now(UTC),
                    )  # fmt: skip
                )
                key = result.inserted_primary_key
                assert key is not None
        except IntegrityError:
            raise InputError(f"a user with e-mail {email} already exists") from None
        return self.user(int(key[0]))

    def user(self, user_id: int) -> User:
        with self.database.read() as connection:
            row = connection.execute(_USER.where(users.c.id == user_id)).first()
        if row is None:
            raise NotFoundError(f"no user with id {user_id}")
        return _user(row)

    def user_by_email(self, email: str) -> User | None:
        with self.database.read() as connection:
            row = connection.execute(_USER.where(users.c.email == email)).first()
        return _user(row) if row else None

    def users(self, organisation_id: int | None = None) -> list[User]:
        query = _USER.order_by(users.c.id)
        if organisation_id is not None:
            query = query.where(users.c.organisation_id == organisation_id)
        with self.database.read() as connection:
            return [_user(r) for r in connection.execute(query).all()]

    @staticmethod
    def is_active_member(connection: Connection, user_id: int, organisation_id: int) -> bool:
        """Whether `user_id` is an active person of `organisation_id` (someone work can be assigned to)."""
        found = connection.execute(
            select(users.c.id).where(
                users.c.id == user_id, users.c.organisation_id == organisation_id, users.c.active.is_(True)
            )
        ).first()
        return found is not None

    @staticmethod
    def change_user(connection: Connection, user_id: int, **values: Any) -> None:
        """Update a user; a deactivated user's sessions end in the same transaction."""
        result = connection.execute(update(users).where(users.c.id == user_id).values(**values))
        if result.rowcount != 1:
            raise NotFoundError(f"no user with id {user_id}")
        if values.get("active") is False:
            AccountStore.end_sessions(connection, user_id)

    @staticmethod
    def end_sessions(connection: Connection, user_id: int, keep: str | None = None) -> int:
        """End the user's sessions, except the one whose secret is `keep`; how many ended."""
        query = delete(sessions).where(sessions.c.user_id == user_id)
        if keep:
            query = query.where(sessions.c.id != digest(keep))
        return int(connection.execute(query).rowcount)

    # -- sessions ---------------------------------------------------------------------------------------

    def add_session(self, secret: str, user_id: int, csrf_token: str, expires_at: datetime) -> None:
        with self.database.write() as connection:
            connection.execute(
                sessions.insert().values(
                    id=digest(secret),
                    user_id=user_id,
                    csrf_token=csrf_token,
                    created_at=datetime.now(UTC),
                    expires_at=expires_at,
                )  # fmt: skip
            )

    def session(self, secret: str) -> Session | None:
        with self.database.read() as connection:
            row = connection.execute(select(sessions).where(sessions.c.id == digest(secret))).first()
        if row is None or aware(row.expires_at) < datetime.now(UTC):
            return None
        user = self.user(row.user_id)
        return Session(user, row.csrf_token, aware(row.expires_at)) if user.active else None

    def remove_session(self, secret: str) -> None:
        with self.database.write() as connection:
            connection.execute(delete(sessions).where(sessions.c.id == digest(secret)))

    # -- invites ----------------------------------------------------------------------------------------

    def add_invite(
        self, organisation_id: int, email: str, role: str, secret: str, created_by: int | None, expires_at: datetime
    ) -> Invite:
        with self.database.write() as connection:
            result = connection.execute(
                invites.insert().values(
                    organisation_id=organisation_id,
                    email=email,
                    role=role,
                    token_hash=digest(secret),
                    created_by=created_by,
                    created_at=datetime.now(UTC),
                    expires_at=expires_at,
                )  # fmt: skip
            )
            key = result.inserted_primary_key
            assert key is not None
            row = connection.execute(select(invites).where(invites.c.id == key[0])).one()
        return _invite(row)

    def invite(self, secret: str) -> Invite | None:
        """The invite with this secret, unless revoked or made by a person since deactivated."""
        query = (
            select(invites)
            .outerjoin(users, users.c.id == invites.c.created_by)
            .where(invites.c.token_hash == digest(secret), invites.c.revoked_at.is_(None))
            .where(or_(invites.c.created_by.is_(None), users.c.active.is_(True)))
        )
        with self.database.read() as connection:
            row = connection.execute(query).first()
        return _invite(row) if row else None

    @staticmethod
    def revoke_invites(connection: Connection, created_by: int, roles: list[str]) -> list[Invite]:
        """Revoke the pending invites `created_by` made that grant one of `roles`; the revoked ones."""
        now = datetime.now(UTC)
        pending = connection.execute(
            select(invites).where(
                invites.c.created_by == created_by,
                invites.c.role.in_(roles),
                invites.c.used_at.is_(None),
                invites.c.revoked_at.is_(None),
                invites.c.expires_at > now,
            )
        ).all()
        ids = [row.id for row in pending]
        if ids:
            connection.execute(update(invites).where(invites.c.id.in_(ids)).values(revoked_at=now))
        return [_invite(row) for row in pending]

    def use_invite(self, invite_id: int) -> bool:
        with self.database.write() as connection:
            result = connection.execute(
                update(invites)
                .where(invites.c.id == invite_id, invites.c.used_at.is_(None), invites.c.revoked_at.is_(None))
                .values(used_at=datetime.now(UTC))
            )
        return result.rowcount == 1

    def pending_invites(self, organisation_id: int) -> list[Invite]:
        with self.database.read() as connection:
            rows = connection.execute(
                select(invites)
                .where(
                    invites.c.organisation_id == organisation_id,
                    invites.c.used_at.is_(None),
                    invites.c.revoked_at.is_(None),
                )
                .order_by(invites.c.id)
            ).all()
        return [_invite(r) for r in rows]

    # -- passwords --------------------------------------------------------------------------------------

    @staticmethod
    def set_password(connection: Connection, user_id: int, password_hash: str) -> None:
        connection.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))

    @staticmethod
    def add_reset(
        connection: Connection, user_id: int, secret: str, created_by: int | None, expires_at: datetime
    ) -> PasswordReset:
        result = connection.execute(
            password_resets.insert().values(
                user_id=user_id,
                token_hash=digest(secret),
                created_by=created_by,
                created_at=datetime.now(UTC),
                expires_at=expires_at,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return _reset(connection.execute(select(password_resets).where(password_resets.c.id == key[0])).one())

    def reset(self, secret: str) -> PasswordReset | None:
        with self.database.read() as connection:
            row = connection.execute(
                select(password_resets).where(password_resets.c.token_hash == digest(secret))
            ).first()
        return _reset(row) if row else None

    @staticmethod
    def use_reset(connection: Connection, reset_id: int) -> bool:
        """Mark the link used; False when it was used or revoked meanwhile (single use)."""
        result = connection.execute(
            update(password_resets)
            .where(password_resets.c.id == reset_id, password_resets.c.used_at.is_(None),
                   password_resets.c.revoked_at.is_(None), password_resets.c.expires_at > datetime.now(UTC))
            .values(used_at=datetime.now(UTC))
        )  # fmt: skip
        return bool(result.rowcount == 1)

    @staticmethod
    def revoke_resets(
        connection: Connection, *, user_id: int | None = None, created_by: int | None = None
    ) -> list[int]:
        """Revoke the usable reset links for `user_id` or made by `created_by`; their ids."""
        now = datetime.now(UTC)
        column, value = (password_resets.c.user_id, user_id) if user_id is not None else (
            password_resets.c.created_by, created_by)  # fmt: skip
        ids = list(connection.execute(
            select(password_resets.c.id).where(
                column == value, password_resets.c.used_at.is_(None), password_resets.c.revoked_at.is_(None),
                password_resets.c.expires_at > now,
            )
        ).scalars())  # fmt: skip
        if ids:
            connection.execute(update(password_resets).where(password_resets.c.id.in_(ids)).values(revoked_at=now))
        return ids

"""Accounts: sign-in, sessions, invites, deactivation, roles and machine tokens. Every change is audited."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kiemchung.domain.accounts import ADMIN, ROLES, USER_ROLES, Actor
from kiemchung.errors import AuthenticationError, InputError, NotFoundError, PermissionDenied
from kiemchung.store.accounts import AccountStore, Invite, Session, User
from kiemchung.store.audit import AuditStore
from kiemchung.store.database import Database
from kiemchung.store.organisations import OrganisationStore
from kiemchung.store.tokens import ApiToken, TokenStore

SESSION_DAYS = 14
INVITE_DAYS = 7
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("timing equaliser: unknown e-mails cost as much as wrong passwords")


class SignInThrottle:
    """After MAX_FAILURES wrong passwords for one e-mail within WINDOW_S, sign-in waits WINDOW_S (per process)."""

    MAX_FAILURES = 5
    WINDOW_S = 900.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if self._clock() - t < self.WINDOW_S]
            self._failures[key] = recent
        if len(recent) >= self.MAX_FAILURES:
            wait = int(self.WINDOW_S - (self._clock() - recent[0])) + 1
            raise AuthenticationError(f"too many wrong passwords for this e-mail: try again in {wait // 60 + 1} min")

    def failed(self, key: str) -> None:
        with self._lock:
            self._failures.setdefault(key, []).append(self._clock())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


@dataclass(frozen=True)
class SignedIn:
    secret: str  # the cookie value
    session: Session
    actor: Actor


def actor_of(user: User) -> Actor:
    return Actor(user.role, user.organisation_id, user_id=user.id, name=user.display_name)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"a password needs at least {MIN_PASSWORD} characters")


def _check_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or " " in email:
        raise InputError(f"not an e-mail address: {email!r}")
    return email


class AccountService:
    def __init__(self, database: Database, store: AccountStore, tokens: TokenStore, orgs: OrganisationStore) -> None:
        self.database = database
        self.store = store
        self.tokens = tokens
        self.orgs = orgs
        self.throttle = SignInThrottle()

    # -- people -----------------------------------------------------------------------------------------

    def create_user(self, organisation: str, email: str, display_name: str, role: str, password: str) -> User:
        """For the command line (first admin, demo accounts); the web invites instead."""
        if role not in USER_ROLES:
            raise InputError(f"role must be one of {', '.join(USER_ROLES)}")
        _check_password(password)
        org = self.orgs.ensure(organisation)
        user = self.store.add_user(org.id, _check_email(email), display_name.strip() or email, role,
                                   _HASHER.hash(password))  # fmt: skip
        system = Actor("system", org.id, name="command line")  # shown in the organisation's audit log
        self._audit(system, "user.create", "user", user.id, email=user.email, role=role)
        return user

    def sign_in(self, email: str, password: str) -> SignedIn:
        key = email.strip().lower()
        self.throttle.check(key)
        user = self.store.user_by_email(key)
        try:
            _HASHER.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            user = None
        if user is None or not user.active:
            self.throttle.failed(key)
            raise AuthenticationError("wrong e-mail or password")
        self.throttle.succeeded(key)
        secret = secrets.token_urlsafe(32)
        self.store.add_session(
            secret, user.id, secrets.token_urlsafe(32), datetime.now(UTC) + timedelta(days=SESSION_DAYS)
        )
        session = self.store.session(secret)
        assert session is not None
        actor = actor_of(user)
        self._audit(actor, "user.sign_in", "user", user.id)
        return SignedIn(secret, session, actor)

    def session(self, secret: str | None) -> tuple[Actor, Session] | None:
        if not secret:
            return None
        session = self.store.session(secret)
        return (actor_of(session.user), session) if session else None

    def sign_out(self, secret: str) -> None:
        self.store.remove_session(secret)

    def token_actor(self, secret: str) -> Actor | None:
        token = self.tokens.authenticate(secret)
        if token is None:
            return None
        return Actor(token.role, token.organisation_id, token_id=token.id, name=f"token {token.name}")

    # -- administration (admins of one organisation act on their organisation only) -----------------------

    def users(self, actor: Actor) -> list[User]:
        actor.require(ADMIN)
        return self.store.users(actor.organisation_id)

    def invite(self, actor: Actor, email: str, role: str) -> tuple[Invite, str]:
        actor.require(ADMIN)
        if role not in USER_ROLES:
            raise InputError(f"role must be one of {', '.join(USER_ROLES)}")
        email = _check_email(email)
        if self.store.user_by_email(email):
            raise InputError(f"a user with e-mail {email} already exists")
        secret = secrets.token_urlsafe(24)
        invite = self.store.add_invite(actor.organisation_id, email, role, secret, actor.user_id,
                                       datetime.now(UTC) + timedelta(days=INVITE_DAYS))  # fmt: skip
        self._audit(actor, "invite.create", "invite", invite.id, email=email, role=role)
        return invite, secret

    def pending_invites(self, actor: Actor) -> list[Invite]:
        actor.require(ADMIN)
        return self.store.pending_invites(actor.organisation_id)

    def invite_for(self, secret: str) -> Invite:
        invite = self.store.invite(secret)
        if invite is None or invite.used_at is not None or invite.expires_at < datetime.now(UTC):
            raise NotFoundError("this invitation does not exist, was used or has expired")
        return invite

    def accept_invite(self, secret: str, display_name: str, password: str) -> User:
        invite = self.invite_for(secret)
        _check_password(password)
        if not display_name.strip():
            raise InputError("give your name")
        if not self.store.use_invite(invite.id):
            raise NotFoundError("this invitation was used meanwhile")
        user = self.store.add_user(invite.organisation_id, invite.email, display_name.strip()[:200], invite.role,
                                   _HASHER.hash(password))  # fmt: skip
        self._audit(actor_of(user), "invite.accept", "user", user.id, invite=invite.id)
        return user

    def set_active(self, actor: Actor, user_id: int, active: bool) -> User:
        user = self._own_user(actor, user_id)
        if user.id == actor.user_id and not active:
            raise InputError("you cannot deactivate yourself")
        updated = self.store.update_user(user.id, active=active)
        self._audit(actor, "user.activate" if active else "user.deactivate", "user", user.id)
        return updated

    def set_role(self, actor: Actor, user_id: int, role: str) -> User:
        user = self._own_user(actor, user_id)
        if role not in USER_ROLES:
            raise InputError(f"role must be one of {', '.join(USER_ROLES)}")
        updated = self.store.update_user(user.id, role=role)
        self._audit(actor, "user.role", "user", user.id, role=role, was=user.role)
        return updated

    def create_token(self, actor: Actor, name: str, role: str) -> tuple[ApiToken, str]:
        actor.require(ADMIN)
        if role not in ROLES:
            raise InputError(f"role must be one of {', '.join(ROLES)}")
        if not name.strip():
            raise InputError("a token needs a name")
        token, secret = self.tokens.create(actor.organisation_id, name.strip()[:200], role, actor.user_id)
        self._audit(actor, "token.create", "token", token.id, name=token.name, role=role)
        return token, secret

    def list_tokens(self, actor: Actor) -> list[ApiToken]:
        actor.require(ADMIN)
        return self.tokens.all(actor.organisation_id)

    def revoke_token(self, actor: Actor, token_id: int) -> None:
        actor.require(ADMIN)
        self.tokens.revoke(token_id, actor.organisation_id)
        self._audit(actor, "token.revoke", "token", token_id)

    def _own_user(self, actor: Actor, user_id: int) -> User:
        actor.require(ADMIN)
        user = self.store.user(user_id)
        if user.organisation_id != actor.organisation_id:
            raise PermissionDenied("this user belongs to another organisation")
        return user

    def _audit(self, actor: Actor | None, action: str, object_type: str, object_id: object, **detail: object) -> None:
        with self.database.write() as connection:
            AuditStore.record(connection, actor, action, object_type, object_id, **detail)

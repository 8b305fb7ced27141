"""Accounts: sign-in, sessions, invites, passwords, deactivation, roles and machine tokens. Every change is
audited, and so is every failed sign-in to a known account (in that account's organisation, never the password).

Deactivating a person ends their sessions and revokes what they handed out: API tokens, pending invites and
password reset links. Changing a person's role revokes what they handed out beyond the new role (a reset link
needs the admin role). Each revocation is audited in the same transaction as the change that caused it.

Password hashing is slow on purpose (argon2id): callers on an event loop run these methods in a thread.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from kiemchung.domain.accounts import ADMIN, READ, ROLES, TRIAGE, USER_ROLES, Actor, roles_beyond
from kiemchung.errors import AuthenticationError, InputError, NotFoundError, PermissionDenied
from kiemchung.services.throttle import SignInThrottle
from kiemchung.store.accounts import AccountStore, Invite, PasswordReset, Session, User
from kiemchung.store.audit import AuditStore
from kiemchung.store.database import Database
from kiemchung.store.organisations import OrganisationStore
from kiemchung.store.tokens import ApiToken, TokenStore

SESSION_DAYS = 14
INVITE_DAYS = 7
RESET_HOURS = 24
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("timing equaliser: unknown e-mails cost as much as wrong passwords")


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


def _verify(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; a missing hash costs as much as a wrong password (no timing oracle)."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _check_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or " " in email:
        raise InputError(f"not an e-mail address: {email!r}")
    return email


class AccountService:
    def __init__(
        self, database: Database, store: AccountStore, tokens: TokenStore, orgs: OrganisationStore,
        throttle: SignInThrottle | None = None,
    ) -> None:  # fmt: skip
        self.database = database
        self.store = store
        self.tokens = tokens
        self.orgs = orgs
        self.throttle = throttle or SignInThrottle()

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

    def sign_in(self, email: str, password: str, client: str = "") -> SignedIn:
        """Throttled per client and per account (services/throttle.py: RateLimited); `client` is its address."""
        key = email.strip().lower()[:320]
        attempt = self.throttle.begin(key, client)
        user = self.store.user_by_email(key)
        right = _verify(user.password_hash if user else None, password)
        if user is None or not right or not user.active:
            self._sign_in_failed(user, right, client)
            raise AuthenticationError("wrong e-mail or password")
        self.throttle.succeeded(attempt)
        secret = secrets.token_urlsafe(32)
        self.store.add_session(
            secret, user.id, secrets.token_urlsafe(32), datetime.now(UTC) + timedelta(days=SESSION_DAYS)
        )
        session = self.store.session(secret)
        assert session is not None
        actor = actor_of(user)
        self._audit(actor, "user.sign_in", "user", user.id)
        return SignedIn(secret, session, actor)

    def _sign_in_failed(self, user: User | None, right: bool, client: str) -> None:
        if user is None:
            return  # no organisation's log to write it in; the throttle still counts it
        anonymous = Actor("anonymous", user.organisation_id, name="sign-in")
        reason = "account deactivated" if right else "wrong password"
        self._audit(anonymous, "user.sign_in_failed", "user", user.id, email=user.email, client=client, reason=reason)

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

    def colleagues(self, actor: Actor) -> list[tuple[int, str]]:
        """Who in the actor's organisation a case can be assigned to (active people whose role works on cases):
        id and display name only."""
        actor.require(READ)
        people = self.store.users(actor.organisation_id)
        return [(u.id, u.display_name) for u in people if u.active and TRIAGE in ROLES.get(u.role, frozenset())]

    def invite(self, actor: Actor, email: str, role: str) -> tuple[Invite, str]:
        actor.require(ADMIN)
        if role not in USER_ROLES:
            raise InputError(f"role must be one of {', '.join(USER_ROLES)}")
        email = _check_email(email)
        existing = self.store.user_by_email(email)
        if existing and existing.organisation_id == actor.organisation_id:
            raise InputError(f"{email} already has an account in your organisation")
        # An address of another organisation is invited like a new one: the answer never says it exists
        # elsewhere, and accepting such an invitation is refused (accept_invite), so no account changes hands.
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
        if self.store.user_by_email(invite.email):
            raise InputError("this e-mail address already has an account: sign in with it, or ask to be invited "
                             "with another address")  # fmt: skip
        if not self.store.use_invite(invite.id):
            raise NotFoundError("this invitation was used meanwhile")
        user = self.store.add_user(invite.organisation_id, invite.email, display_name.strip()[:200], invite.role,
                                   _HASHER.hash(password))  # fmt: skip
        self._audit(actor_of(user), "invite.accept", "user", user.id, invite=invite.id)
        return user

    def set_active(self, actor: Actor, user_id: int, active: bool) -> User:
        """Deactivating ends the person's sessions and revokes their tokens, invites and reset links."""
        user = self._own_user(actor, user_id)
        if user.id == actor.user_id and not active:
            raise InputError("you cannot deactivate yourself")
        with self.database.write() as connection:
            AccountStore.change_user(connection, user.id, active=active)
            AuditStore.record(connection, actor, "user.activate" if active else "user.deactivate", "user", user.id)
            if not active:
                _revoke_grants(connection, actor, user, frozenset(), "user.deactivate")
        return self.store.user(user.id)

    def set_role(self, actor: Actor, user_id: int, role: str) -> User:
        """A demoted person's tokens and invites granting more than the new role are revoked."""
        user = self._own_user(actor, user_id)
        if role not in USER_ROLES:
            raise InputError(f"role must be one of {', '.join(USER_ROLES)}")
        with self.database.write() as connection:
            AccountStore.change_user(connection, user.id, role=role)
            AuditStore.record(connection, actor, "user.role", "user", user.id, role=role, was=user.role)
            _revoke_grants(connection, actor, user, ROLES[role], "user.role")
        return self.store.user(user.id)

    # -- passwords --------------------------------------------------------------------------------------

    def change_password(self, actor: Actor, current: str, new: str, *, keep_session: str | None = None,
                        client: str = "") -> int:  # fmt: skip
        """Self-service: needs the current password (throttled like a sign-in); the person's other sessions
        end and pending reset links for them stop working. How many sessions ended."""
        if actor.user_id is None:
            raise PermissionDenied("an API token has no password: sign in to change yours")
        _check_password(new)
        user = self.store.user(actor.user_id)
        attempt = self.throttle.begin(user.email, client)
        if not _verify(user.password_hash, current):
            raise PermissionDenied("your current password is wrong")
        self.throttle.succeeded(attempt)
        password_hash = _HASHER.hash(new)
        with self.database.write() as connection:
            AccountStore.set_password(connection, user.id, password_hash)
            ended = AccountStore.end_sessions(connection, user.id, keep=keep_session)
            AuditStore.record(connection, actor, "user.password_change", "user", user.id, sessions_ended=ended)
            _revoke_resets(connection, actor, user_id=user.id, cause="user.password_change")
        return ended

    def issue_reset(self, actor: Actor, user_id: int) -> tuple[PasswordReset, str]:
        """An admin's single-use link (valid RESET_HOURS) to set a new password; earlier links stop working."""
        user = self._own_user(actor, user_id)
        if not user.active:
            raise InputError("activate this person before resetting their password")
        secret = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + timedelta(hours=RESET_HOURS)
        with self.database.write() as connection:
            _revoke_resets(connection, actor, user_id=user.id, cause="password_reset.create")
            reset = AccountStore.add_reset(connection, user.id, secret, actor.user_id, expires)
            AuditStore.record(connection, actor, "password_reset.create", "password_reset", reset.id, user=user.id,
                              email=user.email, expires_at=expires.isoformat())  # fmt: skip
        return reset, secret

    def reset_for(self, secret: str) -> tuple[PasswordReset, User]:
        reset = self.store.reset(secret)
        user = self.store.user(reset.user_id) if reset else None
        if reset is None or user is None or not user.active or not reset.usable(datetime.now(UTC)):
            raise NotFoundError("this password reset link does not exist, was used or has expired")
        return reset, user

    def use_reset(self, secret: str, password: str) -> User:
        """Set the new password, use the link up and end every session of the person, in one transaction."""
        reset, user = self.reset_for(secret)
        _check_password(password)
        password_hash = _HASHER.hash(password)
        with self.database.write() as connection:
            if not AccountStore.use_reset(connection, reset.id):
                raise NotFoundError("this password reset link was used meanwhile")
            AccountStore.set_password(connection, user.id, password_hash)
            ended = AccountStore.end_sessions(connection, user.id)
            AuditStore.record(connection, actor_of(user), "password_reset.use", "password_reset", reset.id,
                              user=user.id, sessions_ended=ended)  # fmt: skip
        return user

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


def _revoke_grants(connection: Connection, actor: Actor, user: User, keeps: frozenset[str], cause: str) -> None:
    """Revoke what `user` handed out beyond the capabilities they keep; each revocation audited."""
    beyond = roles_beyond(keeps)
    for token in TokenStore.revoke_of_user(connection, user.id, beyond):
        AuditStore.record(connection, actor, "token.revoke", "token", token.id, name=token.name, role=token.role,
                          created_by=user.id, cause=cause)  # fmt: skip
    for invite in AccountStore.revoke_invites(connection, user.id, beyond):
        AuditStore.record(connection, actor, "invite.revoke", "invite", invite.id, email=invite.email,
                          role=invite.role, created_by=user.id, cause=cause)  # fmt: skip
    if ADMIN not in keeps:  # a reset link takes over an account: only admins may hand one out
        _revoke_resets(connection, actor, created_by=user.id, cause=cause)
    if not keeps:
        _revoke_resets(connection, actor, user_id=user.id, cause=cause)


def _revoke_resets(connection: Connection, actor: Actor, *, cause: str, user_id: int | None = None,
                   created_by: int | None = None) -> None:  # fmt: skip
    for reset_id in AccountStore.revoke_resets(connection, user_id=user_id, created_by=created_by):
        AuditStore.record(connection, actor, "password_reset.revoke", "password_reset", reset_id, cause=cause)

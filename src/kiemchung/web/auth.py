"""Who is asking: a machine with `Authorization: Bearer <token>`, or a person with a session cookie.

Cookie-authenticated requests that change state must carry the session's CSRF token (form field
`csrf_token` or header `X-CSRF-Token`); token-authenticated requests carry no cookie, so no CSRF risk.
Password work (argon2) runs in threads, PASSWORD_THREADS at a time, never on the event loop.
"""

from __future__ import annotations

import asyncio
import hmac
import weakref
from collections.abc import Callable
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from kiemchung.domain.accounts import Actor, require
from kiemchung.errors import AuthenticationError, PermissionDenied
from kiemchung.store.accounts import Session

SESSION_COOKIE = "kc_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PASSWORD_THREADS = 2  # argon2 runs at a time (each takes 64 MiB): a sign-in flood takes neither all CPUs nor memory
T = TypeVar("T")


def client_of(request: Request) -> str:
    """The client's address (behind a proxy: what the server was told to trust, see README *Sign-in*)."""
    return request.client.host if request.client else ""


async def password_work(request: Request, work: Callable[[], T]) -> T:
    """Run `work` (it hashes or verifies a password) in a thread, at most PASSWORD_THREADS at once; waiting
    requests hold no worker thread, so the rest of the app keeps its thread pool."""
    state = request.app.state
    if not hasattr(state, "password_limiters"):
        state.password_limiters = weakref.WeakKeyDictionary()
    limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = state.password_limiters
    loop = asyncio.get_running_loop()  # one limiter per event loop (each TestClient request runs its own)
    limiter = limiters.get(loop)
    if limiter is None:
        limiter = limiters[loop] = anyio.CapacityLimiter(PASSWORD_THREADS)
    return await anyio.to_thread.run_sync(work, limiter=limiter)


async def resolve_actor(request: Request) -> Actor | None:
    """The actor of this request (cached on it), or None; a bad token or a missing CSRF token is refused.
    The look-up (a database read, a token's last use written) runs in a thread, never on the event loop."""
    if hasattr(request.state, "actor"):
        actor: Actor | None = request.state.actor
        return actor
    context = request.app.state.context
    actor = None
    request.state.session = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        actor = await run_in_threadpool(context.accounts.token_actor, header[7:].strip())
        if actor is None:
            raise AuthenticationError("unknown or revoked API token")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        found = await run_in_threadpool(context.accounts.session, cookie) if cookie else None
        if found is not None:
            actor, session = found
            request.state.session = session
            if request.method not in SAFE_METHODS:
                await _check_csrf(request, session)
    request.state.actor = actor
    return actor


async def _check_csrf(request: Request, session: Session) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, session.csrf_token):
        raise PermissionDenied("missing or wrong CSRF token: reload the page and try again")


def needs(capability: str) -> Callable[..., Actor]:
    """A dependency: the actor, if signed in and allowed `capability`."""

    def dependency(actor: Annotated[Actor | None, Depends(resolve_actor)]) -> Actor:
        return require(actor, capability)

    dependency.__name__ = f"needs_{capability}"
    return dependency


OptionalActor = Annotated[Actor | None, Depends(resolve_actor)]

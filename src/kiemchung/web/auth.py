"""Who is asking: a machine with `Authorization: Bearer <token>`, or a person with a session cookie.

Cookie-authenticated requests that change state must carry the session's CSRF token (form field
`csrf_token` or header `X-CSRF-Token`); token-authenticated requests carry no cookie, so no CSRF risk.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from kiemchung.domain.accounts import Actor, require
from kiemchung.errors import AuthenticationError, PermissionDenied
from kiemchung.store.accounts import Session

SESSION_COOKIE = "kc_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def resolve_actor(request: Request) -> Actor | None:
    """The actor of this request (cached on it), or None; a bad token or a missing CSRF token is refused."""
    if hasattr(request.state, "actor"):
        actor: Actor | None = request.state.actor
        return actor
    context = request.app.state.context
    actor = None
    request.state.session = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        actor = context.accounts.token_actor(header[7:].strip())
        if actor is None:
            raise AuthenticationError("unknown or revoked API token")
    else:
        found = context.accounts.session(request.cookies.get(SESSION_COOKIE))
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

"""Request-body limits, enforced before a body is parsed, and work run in threads behind small gates.

`BodyLimit` is a pure ASGI middleware. A request whose `Content-Length` is over its limit is answered 413
before one byte of its body is read; a body without a length (chunked) is counted as it streams in and
refused with 413 as soon as it passes the limit — nothing past the limit is ever buffered. The limit depends
on the request (`limit_for`): uploads take KIEMCHUNG_UPLOAD_MAX_BYTES (plus the multipart framing), archive
files KIEMCHUNG_ARCHIVE_IMPORT_MAX_BYTES (likewise), batches
sent with a token or session KIEMCHUNG_BATCH_BODY_MAX_BYTES, requests without either
KIEMCHUNG_ANONYMOUS_BODY_MAX_BYTES, everything else KIEMCHUNG_BODY_MAX_BYTES.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiemchung.settings import Settings
from kiemchung.web.auth import SESSION_COOKIE

MULTIPART_OVERHEAD = 100_000  # boundaries, part headers and the form's small fields around an upload
UPLOAD_PATHS = re.compile(r"^(/api/v1)?(/cases/[^/]+/evidence/file|/evidence/import)$")
BATCH_PATHS = frozenset({"/api/v1/posts", "/api/v1/match", "/api/v1/evidence/documents"})
ARCHIVE_IMPORT_PATHS = frozenset({"/archive/import", "/api/v1/factchecks/import"})  # KIEMCHUNG_ARCHIVE_IMPORT_MAX_BYTES
T = TypeVar("T")


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes its limit (FastAPI passes HTTPExceptions through its
    body parsing untouched, so this becomes the 413, never a 400 or a 500)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


def is_anonymous(headers: Headers) -> bool:
    """No bearer token and no session cookie (a forged one is only caught later, and gets the general limit)."""
    if headers.get("authorization", "").lower().startswith("bearer "):
        return False
    return SESSION_COOKIE not in cookie_parser(headers.get("cookie", ""))


def body_limit_for(settings: Settings, path: str, headers: Headers) -> int:
    """The largest body this request may carry."""
    if UPLOAD_PATHS.match(path):
        return settings.upload_max_bytes + MULTIPART_OVERHEAD
    if path in ARCHIVE_IMPORT_PATHS:
        return settings.archive_import_max_bytes + MULTIPART_OVERHEAD
    if is_anonymous(headers):
        return settings.anonymous_body_max_bytes
    if path in BATCH_PATHS:
        return settings.batch_body_max_bytes
    return settings.body_max_bytes


def _declared_length(headers: Headers) -> int | None:
    raw = headers.get("content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def credentials_hold(accounts: Any, headers: Headers) -> bool:
    """Whether the request's bearer token or session cookie belongs to someone (a database read)."""
    header = headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return accounts.token_actor(header[7:].strip()) is not None
    cookie = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)
    return bool(cookie) and accounts.session(cookie) is not None


class BodyLimit:
    """ASGI middleware: 413 for a body over `limit_for(path, headers)`, declared or streamed.

    A body larger than an anonymous one is let through only once `verify(headers)` has found the claimed
    token or session real (in a thread): a made-up `Authorization` header gets the anonymous limit."""

    def __init__(
        self,
        app: ASGIApp,
        limit_for: Callable[[str, Headers], int],
        anonymous_limit: int,
        verify: Callable[[Headers], bool],
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.anonymous_limit = anonymous_limit
        self.verify = verify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit_for(scope["path"], headers)
        declared = _declared_length(headers)
        could_pass_anonymous = declared is None or declared > self.anonymous_limit
        if (
            limit > self.anonymous_limit
            and could_pass_anonymous
            and not await anyio.to_thread.run_sync(self.verify, headers)
        ):
            limit = self.anonymous_limit
        if declared is not None and declared > limit:
            await too_large(limit)(scope, receive, send)
            return
        started, seen = False, 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as exc:  # raised where no handler answered it (outside a route)
            if started:
                raise
            await too_large(exc.limit)(scope, receive, send)


def too_large(limit: int) -> Response:
    return JSONResponse({"error": f"the request body is larger than {limit} bytes"}, status_code=413,
                        headers={"Connection": "close"})  # fmt: skip


def install_body_limits(app: FastAPI, settings: Settings) -> None:
    """The body limits on `app`: the middleware, and the 413 for a body found too large while parsed."""
    app.add_middleware(
        BodyLimit,
        limit_for=lambda path, headers: body_limit_for(settings, path, headers),
        anonymous_limit=settings.anonymous_body_max_bytes,
        verify=lambda headers: credentials_hold(app.state.context.accounts, headers),
    )

    async def on_too_large(_request: Request, exc: Exception) -> Response:
        return too_large(exc.limit if isinstance(exc, BodyTooLarge) else settings.body_max_bytes)

    app.add_exception_handler(BodyTooLarge, on_too_large)


async def in_thread(request: Request, gate: str, capacity: int, work: Callable[[], T]) -> T:
    """Run `work` in a thread, at most `capacity` at once per `gate`; waiting requests hold no worker thread,
    so the rest of the app keeps its thread pool. One gate per event loop (each bare TestClient request runs
    its own loop; a server runs one)."""
    state = request.app.state
    if not hasattr(state, "gates"):
        state.gates = weakref.WeakKeyDictionary()
    gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, anyio.CapacityLimiter]] = state.gates
    per_loop = gates.setdefault(asyncio.get_running_loop(), {})
    limiter = per_loop.get(gate)
    if limiter is None:
        limiter = per_loop[gate] = anyio.CapacityLimiter(capacity)
    return await anyio.to_thread.run_sync(work, limiter=limiter)


def waiting_at(request: Request, gate: str) -> int:
    """Requests waiting at `gate` on this event loop."""
    gates: Any = getattr(request.app.state, "gates", None)
    limiter = gates.get(asyncio.get_running_loop(), {}).get(gate) if gates is not None else None
    return int(limiter.statistics().tasks_waiting) if limiter is not None else 0

"""/healthz (public: ok or degraded, with reasons in counts and ages) and /metrics (Prometheus text).

/metrics holds operational figures only (counts, times, source names; never content, never people) and is
still not public: with KIEMCHUNG_METRICS_TOKEN set it answers requests that carry `Authorization: Bearer
<token>`; without, it answers direct requests from loopback only — a request relayed by a proxy (it carries
X-Forwarded-For or Forwarded) is refused, so a reverse proxy on the same machine does not publish it.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from kiemchung import __version__
from kiemchung.errors import AuthenticationError, PermissionDenied
from kiemchung.services.metrics import CONTENT_TYPE, ProcessFigures, render_metrics
from kiemchung.store.operations import OperationsStore
from kiemchung.web.deps import ContextDep

router = APIRouter()
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def _is_direct_loopback(request: Request) -> bool:
    if any(header in request.headers for header in PROXY_HEADERS) or request.client is None:
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def _require_metrics_access(request: Request, token: str) -> None:
    if not token:
        if not _is_direct_loopback(request):
            raise PermissionDenied("/metrics answers loopback only; set KIEMCHUNG_METRICS_TOKEN to read it remotely")
        return
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise AuthenticationError("/metrics needs the metrics token (Authorization: Bearer …)")


@router.get("/healthz", tags=["meta"])
def healthz(context: ContextDep) -> dict[str, Any]:
    """ok, or degraded with the reasons (failing sources, a stuck pipeline); 503 when the database is
    unreachable or not initialised. Always fast: the schema check, and two indexed reads at most every 5 s."""
    context.database.require_current()
    reasons = context.health.reasons()
    if reasons:
        return {"status": "degraded", "version": __version__, "reasons": reasons}
    return {"status": "ok", "version": __version__}


@router.get("/metrics", tags=["meta"], response_class=PlainTextResponse)
def metrics(request: Request, context: ContextDep) -> PlainTextResponse:
    """Prometheus text exposition: inbox, lag, stages, sources, matching latency, alert delivery failures."""
    _require_metrics_access(request, context.settings.metrics_token)
    dispatcher = context.dispatcher
    process = ProcessFigures(context.matching.latency, dict(dispatcher.failures), set(dispatcher.errors))
    body = render_metrics(OperationsStore(context.database).figures(), process)
    return PlainTextResponse(body, media_type=CONTENT_TYPE)

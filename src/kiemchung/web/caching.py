"""Who may keep a copy of a response: a page rendered for a signed-in person (their CSRF token, their name,
their organisation's work) or one that sets a cookie is `private, no-store`, never `public`; anonymous
public pages keep their own caching, varied on the credentials so a shared cache never hands the anonymous
copy to a signed-in person or the other way round."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

PERSONAL = "private, no-store"
CREDENTIALS = "Cookie, Authorization"


def is_personal(request: Request, response: Response) -> bool:
    """Rendered for someone (a session or token was read) or carrying a cookie for one browser."""
    return getattr(request.state, "actor", None) is not None or "set-cookie" in response.headers


def apply_cache_policy(request: Request, response: Response) -> None:
    if is_personal(request, response):
        response.headers["Cache-Control"] = PERSONAL
    elif "public" in response.headers.get("Cache-Control", ""):
        vary = response.headers.get("Vary")
        response.headers["Vary"] = f"{vary}, {CREDENTIALS}" if vary else CREDENTIALS

"""HTTP clients of the app for the tests."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.web.app import create_app
from kiemchung.web.auth import CSRF_HEADER, SESSION_COOKIE


def signed_in(context: AppContext, email: str) -> TestClient:
    """A client signed in as `email` by a session made directly (signing in is tested elsewhere, and argon2
    is slow), with its CSRF token set."""
    user = context.account_store.user_by_email(email)
    assert user is not None
    secret, csrf = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    context.account_store.add_session(secret, user.id, csrf, datetime.now(UTC) + timedelta(hours=1))
    client = TestClient(create_app(context.settings, context))
    client.cookies.set(SESSION_COOKIE, secret)
    client.headers[CSRF_HEADER] = csrf
    return client

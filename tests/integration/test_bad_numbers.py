"""Numbers past what the database stores (finding 7 of the trust-boundaries issue): an answer, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.web.app import create_app

HUGE = "99999999999999999999999"


def test_ids_past_64_bits_are_refused_not_crashed(app_context: AppContext) -> None:
    organisation = app_context.organisations.ensure("Desk")
    _, token = app_context.tokens.create(organisation.id, "desk", "admin")
    client = TestClient(create_app(app_context.settings, app_context), raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {token}"
    for method, path in [
        ("get", f"/api/v1/cases/{HUGE}"),
        ("post", f"/api/v1/matches/{HUGE}/feedback"),
        ("get", f"/api/v1/cases/-{HUGE}"),
    ]:
        response = client.request(method, path, json={"verdict": "accept"})
        assert response.status_code in {404, 422}, (path, response.status_code, response.text)

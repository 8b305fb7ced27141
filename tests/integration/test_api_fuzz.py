"""Schemathesis over the app's own OpenAPI schema, in process (ASGI, no network): whatever a caller sends —
valid or invalid input, anonymously or with a partner's, an editor's or an admin's token — the API never answers with
a server error (5xx).

Bounded: FUZZ_EXAMPLES examples per operation (valid and invalid), each sent by every caller, no deadline, on
SQLite and PostgreSQL. The operations are walked here rather than through `schema.parametrize()`: the schema
comes from an app on the test's own database, and schemathesis's lazy pytest loader does not run on pytest 9.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_PASSWORD, set_up_demo
from kiemchung.web.app import create_app
from tests.integration.test_workbench import _client

pytestmark = pytest.mark.fuzz
FUZZ_EXAMPLES = 12
TOKEN_ROLES = ("partner", "editor", "admin")


@pytest.fixture
def callers(app_context: AppContext) -> dict[str, dict[str, str]]:
    """The headers of each kind of caller: anonymous, and a token of each of TOKEN_ROLES."""
    set_up_demo(app_context)
    admin = app_context.accounts.sign_in("admin@demo.kiemchung", DEMO_PASSWORD).actor
    tokens = {role: app_context.accounts.create_token(admin, f"fuzz {role}", role)[1] for role in TOKEN_ROLES}
    return {"anonymous": {}, **{role: {"Authorization": f"Bearer {secret}"} for role, secret in tokens.items()}}


def _fuzz(operation: Any, callers: dict[str, dict[str, str]]) -> None:
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.generate, Phase.shrink], database=None)  # fmt: skip
    def no_server_error(case: schemathesis.Case) -> None:
        for headers in callers.values():
            case.call_and_validate(headers=dict(headers), checks=[not_a_server_error])  # (it adds to them)

    no_server_error()


def test_no_request_gets_a_server_error(app_context: AppContext, callers: dict[str, dict[str, str]]) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(app_context.settings, app_context))
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            _fuzz(operation, callers)
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


# -- what the fuzzing found, each kept as a regression test ---------------------------------------------------


def test_a_digit_that_is_not_ascii_is_not_an_id(app_context: AppContext, callers: dict[str, dict[str, str]]) -> None:
    """'²'.isdigit() is true but int('²') fails: a source named '²' was a 500, as was ?priority=² on /queue."""
    client = TestClient(create_app(app_context.settings, app_context))
    answer = client.patch("/api/v1/sources/²", json={"enabled": False}, headers=callers["editor"])
    assert answer.status_code == 404 and answer.json() == {"error": "no source named '²'"}
    signed_in = _client(app_context, "factchecker@demo.kiemchung")
    assert signed_in.get("/queue", params={"priority": "²", "source_id": "-²"}).status_code == 200

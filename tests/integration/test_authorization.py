"""The role table, walked: every route of the app, requested by every role, may be used by exactly the
roles the table names. A route missing from the table fails the test, so no route ships unchecked.

Two organisations: every role of a second organisation probes every route that names one of the first
organisation's objects (its case, the case's memo, suggested match, source, people and token) with a request
that would succeed for the owner, and is refused every time; nothing changes and the owner's log stays clean."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.demo import set_up_demo
from kiemchung.domain.accounts import (
    ADMIN,
    IMPORT_ARCHIVE,
    MANAGE_SOURCES,
    PUBLISH,
    PUSH,
    READ,
    REPORT,
    ROLES,
    TRIAGE,
    Actor,
)
from kiemchung.store.cases import CaseFilter
from kiemchung.web.app import create_app
from kiemchung.web.auth import CSRF_HEADER, SESSION_COOKIE

PUBLIC = None
ROUTES: dict[tuple[str, str], str | None] = {
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): "metrics token",  # no role: the token or direct loopback (test_operations.py)
    ("GET", "/api/v1/factchecks"): PUBLIC,
    ("GET", "/api/v1/factchecks/{factcheck_id}"): PUBLIC,
    ("GET", "/api/v1/factchecks/{factcheck_id}/claimreview"): PUBLIC,
    ("POST", "/api/v1/match"): PUBLIC,  # anonymous callers get answers; nothing of theirs is stored
    ("POST", "/api/v1/posts"): PUSH,
    ("GET", "/api/v1/posts/{post_id}"): READ,
    ("GET", "/api/v1/sources"): READ,
    ("POST", "/api/v1/sources"): MANAGE_SOURCES,
    ("PATCH", "/api/v1/sources/{name}"): MANAGE_SOURCES,
    ("DELETE", "/api/v1/sources/{name}"): MANAGE_SOURCES,
    ("GET", "/api/v1/alerts"): READ,
    ("GET", "/api/v1/alerts/groups"): READ,  # issue 11 item 9: floods read as groups, acknowledged once
    ("POST", "/api/v1/alerts/groups/state"): TRIAGE,
    ("GET", "/api/v1/cases.csv"): READ,  # exports (issue 11, item 11): the JSON lists' rows as CSV
    ("GET", "/api/v1/alerts.csv"): READ,
    ("GET", "/api/v1/factchecks.csv"): PUBLIC,
    ("GET", "/api/v1/posts"): READ,
    ("GET", "/api/v1/posts.csv"): READ,
    ("GET", "/api/v1/status"): READ,
    ("GET", "/api/v1/cases"): READ,
    ("POST", "/api/v1/cases"): TRIAGE,
    ("GET", "/api/v1/cases/{case_id}"): READ,
    ("PATCH", "/api/v1/cases/{case_id}"): TRIAGE,
    ("POST", "/api/v1/cases/{case_id}/shares"): PUBLISH,
    ("DELETE", "/api/v1/cases/{case_id}/shares/{organisation_id}"): PUBLISH,
    ("POST", "/api/v1/cases/{case_id}/comments"): TRIAGE,
    ("POST", "/api/v1/cases/{case_id}/evidence"): TRIAGE,
    ("POST", "/api/v1/cases/{case_id}/evidence/file"): TRIAGE,
    ("GET", "/api/v1/cases/{case_id}/evidence/{evidence_id}/file"): READ,
    ("PATCH", "/api/v1/cases/{case_id}/evidence/{evidence_id}"): TRIAGE,  # issue 11 item 4: correct evidence
    ("DELETE", "/api/v1/cases/{case_id}/evidence/{evidence_id}"): TRIAGE,
    ("PUT", "/api/v1/cases/{case_id}/verdict"): TRIAGE,
    ("POST", "/api/v1/cases/{case_id}/signoff"): PUBLISH,
    ("POST", "/api/v1/cases/{case_id}/publish"): PUBLISH,
    ("POST", "/api/v1/matches/{match_id}/feedback"): TRIAGE,
    ("POST", "/api/v1/cases/{case_id}/review"): TRIAGE,  # issue 11 item 9: bulk confirm / reject
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/invites"): ADMIN,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN,
    ("POST", "/api/v1/users/{user_id}/password-reset"): ADMIN,
    ("POST", "/api/v1/account/password"): READ,  # one's own password (a session, not a token)
    ("GET", "/api/v1/tokens"): ADMIN,
    ("POST", "/api/v1/tokens"): ADMIN,
    ("DELETE", "/api/v1/tokens/{token_id}"): ADMIN,
    ("GET", "/api/v1/audit"): ADMIN,
    ("GET", "/api/v1/subscriptions"): ADMIN,
    ("POST", "/api/v1/subscriptions"): ADMIN,
    ("POST", "/api/v1/subscriptions/{subscription_id}/refresh"): ADMIN,
    ("GET", "/"): PUBLIC,
    ("GET", "/factchecks/{factcheck_id}"): PUBLIC,
    ("GET", "/factchecks/{factcheck_id}/card.png"): PUBLIC,  # 404 unless the fact-check was published here
    ("GET", "/feed.xml"): PUBLIC,
    ("GET", "/claimreviews.json"): PUBLIC,
    ("GET", "/sitemap.xml"): PUBLIC,  # issue 11 item 6: the fact-checks published here, for search engines
    ("GET", "/robots.txt"): PUBLIC,
    ("GET", "/match"): PUBLIC,
    ("POST", "/match"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): READ,
    ("GET", "/invite/{secret}"): PUBLIC,
    ("POST", "/invite/{secret}"): PUBLIC,  # the invitation's secret is the credential
    ("GET", "/reset/{secret}"): PUBLIC,
    ("POST", "/reset/{secret}"): PUBLIC,  # the reset link's secret is the credential
    ("GET", "/account"): READ,
    ("POST", "/account/password"): READ,
    ("GET", "/queue"): READ,
    ("POST", "/cases"): TRIAGE,
    ("GET", "/cases/{case_id}"): READ,
    ("POST", "/cases/{case_id}/update"): TRIAGE,
    ("POST", "/cases/{case_id}/shares"): PUBLISH,
    ("POST", "/cases/{case_id}/shares/{organisation_id}/remove"): PUBLISH,
    ("POST", "/matches/{match_id}/feedback"): TRIAGE,
    ("POST", "/cases/{case_id}/review"): TRIAGE,
    ("POST", "/cases/{case_id}/comments"): TRIAGE,
    ("POST", "/cases/{case_id}/evidence"): TRIAGE,
    ("POST", "/cases/{case_id}/evidence/file"): TRIAGE,
    ("POST", "/cases/{case_id}/evidence/{evidence_id}/remove"): TRIAGE,
    ("POST", "/cases/{case_id}/evidence/{evidence_id}/correct"): TRIAGE,
    ("POST", "/cases/{case_id}/assign"): TRIAGE,  # issue 11 item 10: assign a colleague
    ("POST", "/cases/{case_id}/verdict"): TRIAGE,
    ("POST", "/cases/{case_id}/signoff"): PUBLISH,
    ("POST", "/cases/{case_id}/publish"): PUBLISH,
    ("GET", "/alerts"): READ,
    ("POST", "/alerts/groups/state"): TRIAGE,
    ("GET", "/sources"): READ,
    ("POST", "/sources"): MANAGE_SOURCES,
    ("POST", "/sources/{source_id}/toggle"): MANAGE_SOURCES,
    ("POST", "/sources/{source_id}/remove"): MANAGE_SOURCES,
    ("GET", "/status"): READ,
    ("GET", "/reports"): REPORT,  # the caller's own organisation only
    ("GET", "/admin"): ADMIN,
    ("POST", "/admin/invites"): ADMIN,
    ("POST", "/admin/users/{user_id}/active"): ADMIN,
    ("POST", "/admin/users/{user_id}/role"): ADMIN,
    ("POST", "/admin/users/{user_id}/reset"): ADMIN,
    ("POST", "/admin/tokens"): ADMIN,
    ("POST", "/admin/tokens/{token_id}/revoke"): ADMIN,
    ("POST", "/admin/subscriptions"): ADMIN,
    # training drills (issue 15): everyone in the organisation takes ready drills; editors and admins assemble,
    # review, and see the cohort
    ("GET", "/drills"): READ,
    ("POST", "/drills"): PUBLISH,
    ("GET", "/drills/{drill_id}"): READ,
    ("POST", "/drills/{drill_id}/items/{item_id}/remove"): PUBLISH,
    ("POST", "/drills/{drill_id}/items/{item_id}/technique"): PUBLISH,
    ("POST", "/drills/{drill_id}/ready"): PUBLISH,
    ("GET", "/drills/{drill_id}/take"): READ,
    ("POST", "/drills/{drill_id}/take"): READ,
    ("POST", "/drills/{drill_id}/answers"): READ,
    ("GET", "/drills/{drill_id}/feedback/{item_id}"): READ,
    ("GET", "/drills/{drill_id}/results"): READ,
    ("GET", "/drills/{drill_id}/results.csv"): PUBLISH,
    ("GET", "/api/v1/drills"): READ,
    ("GET", "/api/v1/drills/{drill_id}/results"): READ,
    ("GET", "/api/v1/drills/{drill_id}/cohort"): PUBLISH,
    # narratives (issue 12): the caller's organisation's; editors change them
    ("GET", "/api/v1/narratives"): READ,
    ("GET", "/api/v1/narratives.jsonl"): READ,
    ("GET", "/api/v1/narratives/{narrative_id}"): READ,
    ("GET", "/api/v1/narratives/{narrative_id}/fingerprint"): READ,
    ("POST", "/api/v1/narratives/{narrative_id}/rename"): PUBLISH,
    ("POST", "/api/v1/narratives/{narrative_id}/pin"): PUBLISH,
    ("POST", "/api/v1/narratives/{narrative_id}/risk"): PUBLISH,
    ("POST", "/api/v1/narratives/{narrative_id}/merge"): PUBLISH,
    ("POST", "/api/v1/narratives/{narrative_id}/split"): PUBLISH,
    ("GET", "/narratives"): READ,
    ("GET", "/narratives/{narrative_id}"): READ,
    ("POST", "/narratives/{narrative_id}/rename"): PUBLISH,
    ("POST", "/narratives/{narrative_id}/pin"): PUBLISH,
    ("POST", "/narratives/{narrative_id}/risk"): PUBLISH,
    ("POST", "/narratives/{narrative_id}/merge"): PUBLISH,
    ("POST", "/narratives/{narrative_id}/split"): PUBLISH,
    # narrative trends (issue 12): read-only, the caller's organisation's
    ("GET", "/api/v1/narratives/{narrative_id}/trend"): READ,
    ("GET", "/api/v1/trends"): READ,
    ("GET", "/narratives/{narrative_id}/trend.csv"): READ,
    ("GET", "/trends"): READ,
    # retro-matching (issue 16): the organisation's own fact-checks; editors start a search
    ("POST", "/api/v1/factchecks/{factcheck_id}/retro-match"): PUBLISH,
    ("GET", "/api/v1/factchecks/{factcheck_id}/retro-match"): READ,
    ("POST", "/cases/{case_id}/retro-match"): PUBLISH,
    # the evidence library (issue 14): the organisation's own; reading cases reads it, triage imports and accepts
    ("POST", "/api/v1/evidence/documents"): TRIAGE,
    ("GET", "/api/v1/evidence/documents"): READ,
    ("GET", "/api/v1/evidence/search"): READ,
    ("GET", "/api/v1/cases/{case_id}/evidence/suggestions"): READ,
    ("POST", "/api/v1/cases/{case_id}/evidence/accept"): TRIAGE,
    ("GET", "/evidence"): READ,
    ("POST", "/evidence/import"): TRIAGE,
    ("POST", "/cases/{case_id}/evidence/accept"): TRIAGE,
    # round two: a rebuttal drafted from the case's evidence (nothing saved), archived PDFs, evidence sources
    ("GET", "/api/v1/cases/{case_id}/rebuttal-draft"): READ,
    ("POST", "/cases/{case_id}/rebuttal-draft"): TRIAGE,
    ("GET", "/evidence/documents/{row}/file"): READ,
    ("POST", "/sources/{source_id}/evidence"): MANAGE_SOURCES,
    # a PDF read in the background (issue 14): as importing, the organisation's own jobs only
    ("POST", "/api/v1/evidence/import"): TRIAGE,
    ("GET", "/api/v1/evidence/import/{job_id}"): TRIAGE,
    # archive import from the web (issue 11, item 12): editors and admins, their organisation's jobs only
    ("POST", "/api/v1/factchecks/import"): IMPORT_ARCHIVE,
    ("GET", "/api/v1/factchecks/import/{job_id}"): IMPORT_ARCHIVE,
    ("GET", "/archive/import"): IMPORT_ARCHIVE,
    ("POST", "/archive/import"): IMPORT_ARCHIVE,
    ("GET", "/archive/import/{job_id}"): IMPORT_ARCHIVE,
}
ACTORS = ["anonymous", "viewer", "factchecker", "editor", "admin", "partner"]


def app_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's lazily included routers
            yield from app_routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif getattr(route, "methods", None):
            for method in sorted(route.methods - {"HEAD"}):
                yield method, prefix + route.path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppContext, TestClient, dict[str, Any]]]:
    from kiemchung.settings import load_settings

    settings = load_settings(environ={}, data_dir=tmp_path_factory.mktemp("auth") / "data", embedder="hashing",
                             obey_robots=False, fetch_timeout=1.0, fetch_retries=0)  # fmt: skip
    context = AppContext(settings)
    context.database.migrate()
    set_up_demo(context)
    context.cases.intake()
    admin = next(u for u in context.account_store.users() if u.role == "admin")
    users = {u.role: u for u in context.account_store.users()}
    victim = context.accounts.create_user(admin.organisation, "victim@demo.kiemchung", "V", "viewer", "a long password")
    _, partner = context.tokens.create(admin.organisation_id, "partner", "partner")
    cases, _ = context.case_store.find(CaseFilter())
    case = context.case_store.get(cases[0].id)
    values = {
        "factcheck_id": "demo-001", "post_id": "post-1", "case_id": case.id, "evidence_id": 1,
        "match_id": next(i.match_id for i in case.items if i.match_id), "user_id": victim.id, "token_id": 999,
        "subscription_id": 999, "secret": "no-such-invite", "name": "no-such-source", "source_id": 999,
        "organisation_id": 999, "narrative_id": 999, "drill_id": 999, "item_id": 999, "row": 999, "job_id": 999,
    }  # fmt: skip
    client = TestClient(create_app(settings, context))
    yield context, client, {"users": users, "partner": partner, "values": values,
                            "other": _other_organisation(context, case.id)}  # fmt: skip
    client.close()


def _request(context: AppContext, client: TestClient, extra: dict[str, Any], actor: str, method: str, path: str) -> int:
    url = path.format(**extra["values"])
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    if actor == "partner":
        headers["Authorization"] = f"Bearer {extra['partner']}"
    elif actor != "anonymous":
        secret, csrf = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        context.account_store.add_session(
            secret, extra["users"][actor].id, csrf, datetime.now(UTC) + timedelta(hours=1)
        )
        cookies[SESSION_COOKIE] = secret
        headers[CSRF_HEADER] = csrf
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    if method == "GET":
        response = client.get(url, headers=headers, follow_redirects=False)
    elif path.startswith("/api/"):
        response = client.request(method, url, headers=headers, json={})
    else:
        response = client.request(method, url, headers=headers, data={}, follow_redirects=False)
    if method == "GET" and response.status_code == 303 and response.headers["location"].startswith("/login"):
        return 401  # a signed-out visitor of a workbench page is sent to sign in
    return response.status_code


def test_the_table_covers_every_route(world: tuple[AppContext, TestClient, dict[str, Any]]) -> None:
    _, client, _ = world
    assert set(app_routes(client.app.routes)) == set(ROUTES)  # type: ignore[attr-defined]


@pytest.mark.parametrize("actor", ACTORS)
def test_every_role_may_do_exactly_what_the_table_says(
    world: tuple[AppContext, TestClient, dict[str, Any]], actor: str
) -> None:
    context, client, extra = world
    wrong = []
    for (method, path), capability in ROUTES.items():
        allowed = capability is None or (actor != "anonymous" and capability in ROLES[actor])
        status = _request(context, client, extra, actor, method, path)
        refused = status in (401, 403)
        if allowed == refused:
            wrong.append(f"{method} {path}: {status} ({'should be allowed' if allowed else 'should be refused'})")
    assert wrong == []


def test_a_session_without_its_csrf_token_cannot_change_anything(
    world: tuple[AppContext, TestClient, dict[str, Any]],
) -> None:
    context, client, extra = world
    secret = secrets.token_urlsafe(16)
    context.account_store.add_session(
        secret, extra["users"]["admin"].id, "right", datetime.now(UTC) + timedelta(hours=1)
    )
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, secret)
    case_id = extra["values"]["case_id"]
    assert client.post(f"/cases/{case_id}/comments", data={"body": "x"}).status_code == 403
    assert client.post(f"/cases/{case_id}/comments", data={"body": "x", "csrf_token": "wrong"}).status_code == 403
    ok = client.post(f"/cases/{case_id}/comments", data={"body": "x", "csrf_token": "right"}, follow_redirects=False)
    assert ok.status_code == 303
    assert client.post("/api/v1/cases", json={"claim": "x"}).status_code == 403
    assert client.post("/api/v1/cases", json={"claim": "x"}, headers={CSRF_HEADER: "right"}).status_code == 201


# -- two organisations: the other organisation's people probe the owner's objects ---------------------------

OTHER_ROLES = ["viewer", "factchecker", "editor", "admin"]
OTHER_ORGANISATION = "Đơn vị Khác"
OWNER_OBJECTS = ("{case_id}", "{evidence_id}", "{match_id}", "{source_id}", "{name}", "{user_id}", "{token_id}")
MEMO = ("memo.txt", "Bản ghi nhớ nội bộ: nguồn tin mật.".encode(), "text/plain")


def _other_organisation(context: AppContext, case_id: int) -> dict[str, Any]:
    """A second organisation with a person of every role; the owner's case gets a memo and a verdict that
    could be published at once, and the owner a source of its own."""
    owner = {u.role: u for u in context.account_store.users() if u.email == f"{u.role}@demo.kiemchung"}
    people = {
        role: context.accounts.create_user(OTHER_ORGANISATION, f"{role}@khac.example", role, role, "a long password")
        for role in OTHER_ROLES
    }
    factchecker = Actor("factchecker", owner["factchecker"].organisation_id, user_id=owner["factchecker"].id)
    case = context.cases.add_document(factchecker, case_id, MEMO[0], MEMO[1])
    case = context.cases.add_quote(factchecker, case_id, "Lời khai nội bộ", "phòng họp")
    case = context.cases.draft_verdict(factchecker, case_id, case.version, "Sai", "", "Sai sự thật [1].", False)
    source = context.sources.add("feed", "owner-feed", "https://owner.example/feed.xml", None, None,
                                 owner["admin"].organisation_id)  # fmt: skip
    token = context.tokens.all(owner["admin"].organisation_id)[0]
    values = {
        "case_id": case_id, "evidence_id": case.evidence[0].id,
        "match_id": next(i.match_id for i in case.items if i.match_id), "source_id": source.id, "name": source.name,
        "user_id": owner["viewer"].id, "token_id": token.id, "organisation_id": people["admin"].organisation_id,
    }  # fmt: skip
    return {"users": people, "values": values}


def _probe(context: AppContext, client: TestClient, person: Any, method: str, path: str, values: dict[str, Any]) -> int:
    """A request that would succeed for the owner's people (valid body, current version), by `person`."""
    version = context.case_store.get(values["case_id"], details=False).version
    fields: dict[str, Any] = {
        "version": version, "status": "dismissed", "priority": 3, "assignee_id": person.id, "body": "x",
        "kind": "quote", "quote": "trích dẫn nội bộ", "source": "s", "rating": "Sai", "rebuttal": "x",
        "second_review": False, "verdict": "reject", "enabled": False, "active": False, "role": "viewer",
        "organisation": OTHER_ORGANISATION, "document_id": "owner-document", "sentence": "trích dẫn nội bộ",
    }  # fmt: skip
    secret, csrf = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    context.account_store.add_session(secret, person.id, csrf, datetime.now(UTC) + timedelta(hours=1))
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, secret)
    url, headers = path.format(**values), {CSRF_HEADER: csrf}
    if path.endswith("/evidence/file") and method == "POST":
        return client.post(url, headers=headers, files={"file": MEMO}, follow_redirects=False).status_code
    if method in ("GET", "DELETE"):
        return client.request(method, url, headers=headers, follow_redirects=False).status_code
    if path.startswith("/api/"):
        return client.request(method, url, headers=headers, json=fields).status_code
    form = {k: str(v) for k, v in fields.items() if v is not False}
    return client.request(method, url, headers=headers, data=form, follow_redirects=False).status_code


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_another_organisations_people_are_refused_every_owners_object(
    world: tuple[AppContext, TestClient, dict[str, Any]], role: str
) -> None:
    context, client, extra = world
    other = extra["other"]
    values = other["values"]
    before = context.case_store.get(values["case_id"])
    audited = len(list(context.audit.entries(before.organisation_id, None)))
    wrong = []
    for method, path in ROUTES:
        if any(placeholder in path for placeholder in OWNER_OBJECTS):
            status = _probe(context, client, other["users"][role], method, path, values)
            if status not in (401, 403, 404):
                wrong.append(f"{method} {path}: {status}")
    assert wrong == []
    after = context.case_store.get(values["case_id"])
    assert (after.version, after.status, after.assignee_id, after.shared_with) == (before.version, before.status,
                                                                                    before.assignee_id, [])  # fmt: skip
    assert (after.comments, after.evidence, after.items) == (before.comments, before.evidence, before.items)
    source = context.source_store.get(values["source_id"])
    assert source.enabled and context.account_store.user(values["user_id"]).active
    assert len(list(context.audit.entries(before.organisation_id, None))) == audited

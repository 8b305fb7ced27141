"""Issue 11, item 3: publishing a confirmed repeat case attaches it to the fact-check it repeats (the posts
join its appearances) instead of creating a second public fact-check of the same claim. Over HTTP, on
SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_FACTCHECKS
from kiemchung.domain.models import SuggestedMatch
from kiemchung.services.archive import import_files
from kiemchung.store.posts import NewPost, PostStore
from kiemchung.web.app import create_app
from kiemchung.web.auth import CSRF_HEADER, SESSION_COOKIE

POST = "Ae ơi, uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư, chia sẻ ngay!"


def _editor(context: AppContext) -> TestClient:
    user = context.accounts.create_user("Tòa soạn", "editor@toasoan.example", "Biên tập", "editor", "a long password")
    secret, csrf = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    context.account_store.add_session(secret, user.id, csrf, datetime.now(UTC) + timedelta(hours=1))
    client = TestClient(create_app(context.settings, context))
    client.cookies.set(SESSION_COOKIE, secret)
    client.headers[CSRF_HEADER] = csrf
    return client


def _repeat_case(context: AppContext, organisation_id: int) -> None:
    """A post of the organisation's source whose suggested match to demo-001 the intake turned into a case."""
    import_files(context.factcheck_store, [DEMO_FACTCHECKS])
    source = context.sources.ensure("push", "mxh", organisation_id)
    suggestion = SuggestedMatch("demo-001", POST, POST, 0.93, {"stance": "repeats"}, True)
    post = NewPost("p1", source.id, POST, None, "https://mxh.example/bai/1", None, "vi", None, "h1", None, None,
                   b"", matches=[suggestion])  # fmt: skip
    with context.database.write() as connection:
        PostStore.insert(connection, post)
    assert context.cases.intake() == 1


def test_a_confirmed_repeat_joins_the_existing_fact_check(app_context: AppContext) -> None:
    editor = _editor(app_context)
    me = app_context.account_store.user_by_email("editor@toasoan.example")
    assert me is not None
    _repeat_case(app_context, me.organisation_id)
    (listed,) = editor.get("/api/v1/cases").json()["items"]
    case = editor.get(f"/api/v1/cases/{listed['id']}").json()
    assert case["factcheck_id"] == "demo-001"
    archive_before = editor.get("/api/v1/factchecks").json()["total"]

    match_id = case["items"][0]["match_id"]
    assert editor.post(f"/api/v1/matches/{match_id}/feedback", json={"verdict": "accept"}).status_code == 200
    case = editor.get(f"/api/v1/cases/{case['id']}").json()
    verdict = {"version": case["version"], "rating": "Sai", "rebuttal": "Không đúng sự thật.", "second_review": False}
    case = editor.put(f"/api/v1/cases/{case['id']}/verdict", json=verdict).json()  # the demo's path to `kc-1`
    published = editor.post(f"/api/v1/cases/{case['id']}/publish", json={"version": case["version"]})
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published" and published.json()["factcheck_id"] == "demo-001"

    # no second public fact-check: the archive holds as many as before, and kc-<case> does not exist
    assert editor.get("/api/v1/factchecks").json()["total"] == archive_before
    assert editor.get(f"/api/v1/factchecks/kc-{case['id']}").status_code == 404
    review = editor.get("/api/v1/factchecks/demo-001/claimreview").json()
    assert {"@type": "CreativeWork", "url": "https://mxh.example/bai/1"} in review["itemReviewed"]["appearance"]
    assert "https://mxh.example/bai/1" in editor.get("/factchecks/demo-001").text
    (attached,) = [e for e in app_context.audit.entries(me.organisation_id) if e.action == "factcheck.attach"]
    assert attached.object_id == "demo-001" and attached.detail["case"] == case["id"]


def test_a_drafted_verdict_that_disagrees_is_refused_with_the_reason(app_context: AppContext) -> None:
    editor = _editor(app_context)
    me = app_context.account_store.user_by_email("editor@toasoan.example")
    assert me is not None
    _repeat_case(app_context, me.organisation_id)
    (listed,) = editor.get("/api/v1/cases").json()["items"]
    case = editor.get(f"/api/v1/cases/{listed['id']}").json()
    editor.post(f"/api/v1/matches/{case['items'][0]['match_id']}/feedback", json={"verdict": "accept"})
    case = editor.get(f"/api/v1/cases/{case['id']}").json()
    verdict = {"version": case["version"], "rating": "Đúng", "rebuttal": "Thực ra là đúng.", "second_review": False}
    drafted = editor.put(f"/api/v1/cases/{case['id']}/verdict", json=verdict)
    assert drafted.status_code == 200, drafted.text
    refused = editor.post(f"/api/v1/cases/{case['id']}/publish", json={"version": drafted.json()["version"]})
    assert refused.status_code == 422 and "demo-001" in refused.json()["error"]
    assert editor.get(f"/api/v1/cases/{case['id']}").json()["status"] == "drafted"
    assert (
        editor.get("/api/v1/factchecks/demo-001/claimreview").json().get("itemReviewed", {}).get("appearance") is None
    )


def test_another_organisations_fact_check_is_never_changed_the_repeat_is_published_as_ours(
    app_context: AppContext,
) -> None:
    from sqlalchemy import update

    from kiemchung.store.schema import factchecks

    editor = _editor(app_context)
    me = app_context.account_store.user_by_email("editor@toasoan.example")
    assert me is not None
    _repeat_case(app_context, me.organisation_id)
    rival = app_context.accounts.create_user("Báo khác", "editor@baokhac.example", "Khác", "editor", "a long password")
    with app_context.database.write() as connection:  # demo-001 is the other organisation's fact-check
        connection.execute(update(factchecks).where(factchecks.c.id == "demo-001")
                           .values(organisation_id=rival.organisation_id))  # fmt: skip
    before = editor.get("/api/v1/factchecks/demo-001/claimreview").json()
    (listed,) = editor.get("/api/v1/cases").json()["items"]
    case = editor.get(f"/api/v1/cases/{listed['id']}").json()
    match_id = case["items"][0]["match_id"]
    assert editor.post(f"/api/v1/matches/{match_id}/feedback", json={"verdict": "accept"}).status_code == 200
    case = editor.get(f"/api/v1/cases/{case['id']}").json()
    verdict = {"version": case["version"], "rating": "Sai", "rebuttal": "Không đúng sự thật.", "second_review": False}
    case = editor.put(f"/api/v1/cases/{case['id']}/verdict", json=verdict).json()
    published = editor.post(f"/api/v1/cases/{case['id']}/publish", json={"version": case["version"]})
    assert published.status_code == 200, published.text
    assert published.json()["factcheck_id"] == f"kc-{case['id']}"  # our own fact-check, not theirs
    assert editor.get("/api/v1/factchecks/demo-001/claimreview").json() == before
    assert not [e for e in app_context.audit.entries(me.organisation_id) if e.action == "factcheck.attach"]

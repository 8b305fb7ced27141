"""The workbench through its API: triage → evidence → verdict → sign-off → publish → public page, feed and
API; corrections are versioned; concurrent edits are detected; bad input is refused with a reason; one
organisation subscribes to another's fact-checks and its matching uses them."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import update

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_PASSWORD, set_up_demo
from kiemchung.store.cases import CaseFilter
from kiemchung.store.schema import matches
from kiemchung.web.app import create_app
from tests.servers import Route, Site, article_page, serve_site
from tests.snapshots import BACKENDS, Prepared, prepared_for

STANCE_WORDS = {"repeats": "lặp lại nhận định", "asks": "hỏi về nhận định", "refutes": "bác bỏ nhận định"}
CLAIM_REVIEW_REQUIRED = {"@context", "@type", "claimReviewed", "reviewRating", "author", "url", "datePublished"}


def validate_claimreview(data: dict[str, Any]) -> None:
    """What Google's and schema.org's ClaimReview documentation require, checked field by field."""
    assert set(data) >= CLAIM_REVIEW_REQUIRED, CLAIM_REVIEW_REQUIRED - set(data)
    assert data["@context"] in ("https://schema.org", "http://schema.org") and data["@type"] == "ClaimReview"
    rating = data["reviewRating"]
    assert rating["@type"] == "Rating" and rating["alternateName"]
    assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    assert data["author"]["@type"] == "Organization" and data["author"]["name"]
    assert data["url"].startswith("http") and re.match(r"\d{4}-\d{2}-\d{2}", data["datePublished"])


def _client(context: AppContext, email: str) -> TestClient:
    client = TestClient(create_app(context.settings, context))
    login = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', login.text)
    assert token
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "login_csrf": token.group(1),
                                           "next": "/queue"}, follow_redirects=False)  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    page = client.get("/queue")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    client.headers["X-CSRF-Token"] = csrf.group(1)
    return client


def wait_archived(client: TestClient, case_id: int, timeout_s: float = 15.0) -> dict[str, Any]:
    """The case once none of its evidence URLs is still archiving (they are fetched in the background)."""
    deadline = time.monotonic() + timeout_s
    while True:
        case: dict[str, Any] = client.get(f"/api/v1/cases/{case_id}").json()
        if not any(e["archiving"] for e in case["evidence"]) or time.monotonic() > deadline:
            return case
        time.sleep(0.05)


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared[list[str]]]:
    """The demo (its accounts' passwords hashed with argon2) made once per database; each test gets a copy."""
    yield from prepared_for(request, tmp_path_factory, set_up_demo)


@pytest.fixture
def desk(demo: Prepared[list[str]], tmp_path: Path) -> Iterator[tuple[AppContext, TestClient, TestClient]]:
    with demo.copy(tmp_path / "desk") as context:
        factchecker = _client(context, "factchecker@demo.kiemchung")
        editor = _client(context, "editor@demo.kiemchung")
        yield context, factchecker, editor
        factchecker.close()
        editor.close()


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as running:
        yield running


def test_from_a_new_claim_to_a_published_versioned_fact_check(
    desk: tuple[AppContext, TestClient, TestClient], site: Site
) -> None:
    context, factchecker, editor = desk
    site.routes["/bao-cao"] = Route(article_page("Báo cáo của Bộ Tài chính", [
        "Bộ Tài chính khẳng định không có kế hoạch tăng thuế thu nhập cá nhân lên 40 phần trăm trong năm tới.",
        "Mức thuế suất cao nhất hiện nay vẫn là 35 phần trăm theo Luật Thuế thu nhập cá nhân.",
        "Dự thảo sửa đổi luật đang được lấy ý kiến không đề cập tới việc nâng thuế suất cao nhất.",
    ]))  # fmt: skip
    opened = factchecker.post("/api/v1/cases", json={"claim": "Thuế thu nhập cá nhân sẽ tăng lên 40% từ năm sau",
                                                      "topic": "thuế", "priority": 2})  # fmt: skip
    assert opened.status_code == 201, opened.text
    case = opened.json()
    case_id = case["id"]
    assert case["status"] == "new" and case["first_detected_at"]

    case = factchecker.patch(
        f"/api/v1/cases/{case_id}", json={"version": case["version"], "status": "in_progress"}
    ).json()
    with_url = factchecker.post(f"/api/v1/cases/{case_id}/evidence", json={"kind": "url", "url": site.url("/bao-cao")})
    assert with_url.status_code == 201 and with_url.json()["evidence"][0]["archiving"] is True  # in the background
    dead = factchecker.post(f"/api/v1/cases/{case_id}/evidence", json={"kind": "url", "url": site.url("/khong-co")})
    assert dead.status_code == 201
    archived = wait_archived(factchecker, case_id)["evidence"]
    assert archived[0]["archived"] is True and archived[0]["title"] == "Báo cáo của Bộ Tài chính"
    assert archived[1]["archived"] is False and archived[1]["title"] == site.url("/khong-co")  # kept, not archived
    quote = factchecker.post(
        f"/api/v1/cases/{case_id}/evidence",
        json={"kind": "quote", "quote": "Không có chủ trương tăng thuế suất cao nhất.", "source": "Thông cáo báo chí"},
    )
    case = quote.json()
    assert [e["n"] for e in case["evidence"]] == [1, 2, 3]

    bad_cite = factchecker.put(f"/api/v1/cases/{case_id}/verdict", json={
        "version": case["version"], "rating": "Sai", "rebuttal": "Không đúng [9]"})  # fmt: skip
    assert bad_cite.status_code == 422 and "[9]" in bad_cite.json()["error"]
    drafted = factchecker.put(
        f"/api/v1/cases/{case_id}/verdict",
        json={
            "version": case["version"],
            "rating": "Sai",
            "summary": "Không có kế hoạch tăng thuế lên 40%.",
            "rebuttal": "Bộ Tài chính nói không có kế hoạch này [1].\nThuế suất cao nhất vẫn là 35% [1] [3].",
        },
    )
    assert drafted.status_code == 200, drafted.text
    case = drafted.json()
    assert case["status"] == "drafted" and case["rebuttal"][1]["cites"] == [1, 3]

    stale = factchecker.put(f"/api/v1/cases/{case_id}/verdict", json={
        "version": case["version"] - 1, "rating": "Đúng", "rebuttal": "x [1]"})  # fmt: skip
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["error"]

    too_early = editor.post(f"/api/v1/cases/{case_id}/publish", json={"version": case["version"]})
    assert too_early.status_code == 422 and "sign-off" in too_early.json()["error"]
    own = factchecker.post(f"/api/v1/cases/{case_id}/signoff", json={"version": case["version"]})
    assert own.status_code == 403  # a fact-checker may not sign off at all
    case = editor.post(f"/api/v1/cases/{case_id}/signoff", json={"version": case["version"]}).json()
    published = editor.post(f"/api/v1/cases/{case_id}/publish", json={"version": case["version"]})
    assert published.status_code == 200, published.text
    body = published.json()
    assert body["status"] == "published" and body["factcheck_version"] == 1
    assert body["time_to_publication_s"] is not None and body["time_to_publication_s"] >= 0
    factcheck_id = body["factcheck_id"]

    public = TestClient(create_app(context.settings, context))
    page = public.get(f"/factchecks/{factcheck_id}")
    assert page.status_code == 200
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)
    assert block
    validate_claimreview(json.loads(block.group(1)))
    assert "Thuế suất cao nhất vẫn là 35%" in page.text and 'href="#evidence-3"' in page.text
    assert factcheck_id in public.get("/feed.xml").text
    assert public.get(f"/api/v1/factchecks/{factcheck_id}").json()["rating"]["label"] == "Sai"
    validate_claimreview(public.get(f"/api/v1/factchecks/{factcheck_id}/claimreview").json())
    assert any(item["url"].endswith(factcheck_id) for item in public.get("/claimreviews.json").json())

    silent = editor.post(f"/api/v1/cases/{case_id}/publish", json={"version": body["version"]})
    assert silent.status_code == 422 and "correction needs a note" in silent.json()["error"]
    corrected = editor.post(f"/api/v1/cases/{case_id}/publish",
                            json={"version": body["version"], "note": "Sửa tên văn bản dẫn chứng"})  # fmt: skip
    assert corrected.json()["factcheck_version"] == 2
    page = public.get(f"/factchecks/{factcheck_id}").text
    assert "Sửa tên văn bản dẫn chứng" in page and "Phiên bản 1" in page and "Phiên bản 2" in page

    audit = [e["action"] for e in _client(context, "admin@demo.kiemchung").get("/api/v1/audit").json()]
    for action in ("case.open", "evidence.add", "verdict.draft", "verdict.sign_off", "factcheck.publish",
                   "factcheck.correct"):  # fmt: skip
        assert action in audit
    public.close()


def test_suggested_matches_are_confirmed_or_rejected_and_feed_calibration(
    desk: tuple[AppContext, TestClient, TestClient],
) -> None:
    context, factchecker, _ = desk
    queue = factchecker.get("/api/v1/cases").json()
    assert queue["total"] >= 1
    case = factchecker.get(f"/api/v1/cases/{queue['items'][0]['id']}").json()
    match_id = next(i["match_id"] for i in case["items"] if i["match_id"])
    assert factchecker.post(f"/api/v1/matches/{match_id}/feedback", json={"verdict": "accept"}).status_code == 200
    assert context.matching.matches.get(match_id).feedback == "accepted"  # type: ignore[union-attr]
    assert [m.id for m in context.matching.matches.reviewed()] == [match_id]  # what `matches refit` reads


def test_queue_and_case_page_show_the_suggestions_sentence_stance_and_closeness(
    desk: tuple[AppContext, TestClient, TestClient],
) -> None:
    context, factchecker, _ = desk
    cases, _ = context.case_store.find(CaseFilter())
    pending = context.case_store.first_unreviewed_matches([c.id for c in cases])
    assert pending, "the demo posts leave suggestions to review"
    queue = factchecker.get("/queue").text
    for case_id, suggestion in pending.items():
        row = re.search(rf'<tr data-case="{case_id}".*?</tr>', queue, re.S)
        assert row is not None
        assert str(escape(suggestion.sentence)) in row.group(0)
        assert STANCE_WORDS[suggestion.stance] in row.group(0) and "rất giống" in row.group(0)
        assert f'action="/matches/{suggestion.match_id}/feedback"' in row.group(0)
    # An older suggestion stored before stances were recorded repeats the claim; one not matched is "possible".
    case_id, suggestion = next(iter(pending.items()))
    with context.database.write() as connection:
        older = update(matches).where(matches.c.id == suggestion.match_id)
        connection.execute(older.values(features={}, decision=False))
    row = re.search(rf'<tr data-case="{case_id}".*?</tr>', factchecker.get("/queue").text, re.S)
    assert row is not None and "lặp lại nhận định" in row.group(0) and "có thể" in row.group(0)
    english = factchecker.get("/queue", params={"lang": "en"}).text
    assert "repeats the claim" in english and "possibly the same" in english
    case_page = factchecker.get(f"/cases/{case_id}").text
    assert str(escape(suggestion.sentence)) in case_page and "repeats the claim" in case_page
    item = next(i for i in factchecker.get(f"/api/v1/cases/{case_id}").json()["items"] if i["match_id"])
    assert item["stance"] == "repeats" and item["closeness"] == "possible" and item["sentence"] == suggestion.sentence


def test_bad_input_is_refused_and_escaped(desk: tuple[AppContext, TestClient, TestClient]) -> None:
    context, factchecker, _ = desk
    script = "<script>alert('x')</script>"
    case = factchecker.post("/api/v1/cases", json={"claim": f"Nhận định {script}"}).json()
    factchecker.post(f"/api/v1/cases/{case['id']}/comments", json={"body": f"bình luận {script}"})
    page = factchecker.get(f"/cases/{case['id']}").text
    assert script not in page and "&lt;script&gt;alert(" in page
    too_big = b"%PDF-" + b"0" * context.settings.upload_max_bytes
    response = factchecker.post(f"/api/v1/cases/{case['id']}/evidence/file", files={"file": ("big.pdf", too_big)})
    assert response.status_code == 422 and "larger than" in response.json()["error"]
    response = factchecker.post(f"/api/v1/cases/{case['id']}/evidence/file", files={"file": ("x.exe", b"MZ...")})
    assert response.status_code == 422 and "unsupported file type .exe" in response.json()["error"]
    response = factchecker.post(f"/api/v1/cases/{case['id']}/evidence/file", files={"file": ("fake.pdf", b"hello")})
    assert response.status_code == 422 and "not application/pdf" in response.json()["error"]
    ok = factchecker.post(f"/api/v1/cases/{case['id']}/evidence/file", files={"file": ("note.txt", "ghi chú".encode())})
    assert ok.status_code == 201
    evidence = ok.json()["evidence"][0]
    download = factchecker.get(f"/api/v1/cases/{case['id']}/evidence/{evidence['id']}/file")
    assert download.content.decode() == "ghi chú" and download.headers["x-content-type-options"] == "nosniff"


def test_concurrent_edits_of_one_case_are_detected(desk: tuple[AppContext, TestClient, TestClient]) -> None:
    _, factchecker, editor = desk
    case = factchecker.post("/api/v1/cases", json={"claim": "Giá điện tăng gấp đôi từ tháng sau"}).json()
    first = factchecker.patch(f"/api/v1/cases/{case['id']}", json={"version": case["version"], "priority": 3})
    second = editor.patch(f"/api/v1/cases/{case['id']}", json={"version": case["version"], "topic": "điện"})
    assert first.status_code == 200 and second.status_code == 409
    assert editor.get(f"/api/v1/cases/{case['id']}").json()["priority"] == 3  # the first change was not lost


def test_an_organisation_subscribes_to_another_and_matches_its_fact_checks(
    desk: tuple[AppContext, TestClient, TestClient], site: Site
) -> None:
    context, _, _ = desk
    other = {
        "@context": "https://schema.org", "@type": "ClaimReview", "url": "https://other.example/fc/1",
        "claimReviewed": "Ăn lá đu đủ non chữa khỏi bệnh sốt xuất huyết trong ba ngày",
        "reviewRating": {"@type": "Rating", "ratingValue": 2, "bestRating": 5, "worstRating": 1,
                         "alternateName": "Sai"},
        "author": {"@type": "Organization", "name": "Tổ chức khác"}, "datePublished": "2026-11-20",
    }  # fmt: skip
    site.routes["/claimreviews.json"] = Route(
        json.dumps([other]).encode(), headers={"Content-Type": "application/json"}
    )
    admin = _client(context, "admin@demo.kiemchung")
    added = admin.post("/api/v1/subscriptions", json={"name": "Tổ chức khác", "url": site.url("/claimreviews.json")})
    assert added.status_code == 201 and added.json()["imported"] == 1
    answer = admin.post("/api/v1/match", json={"text": "an la du du non chua khoi sot xuat huyet trong 3 ngay"}).json()
    assert answer["matches"][0]["factcheck_id"] == context.factcheck_store.page(1, 100, "đu đủ").items[0].id
    admin.close()


def test_admins_invite_and_deactivate_people(desk: tuple[AppContext, TestClient, TestClient]) -> None:
    context, factchecker, _ = desk
    admin = _client(context, "admin@demo.kiemchung")
    invited = admin.post("/api/v1/invites", json={"email": "Moi@Example.org", "role": "factchecker"})
    assert invited.status_code == 201
    secret = invited.json()["link"].rsplit("/", 1)[1]
    newcomer = TestClient(create_app(context.settings, context))
    assert "moi@example.org" in newcomer.get(f"/invite/{secret}").text
    weak = newcomer.post(f"/invite/{secret}", data={"display_name": "Mới", "password": "short"})
    assert weak.status_code == 422 and "Mật khẩu cần ít nhất 10 ký tự." in weak.text
    accepted = newcomer.post(f"/invite/{secret}", data={"display_name": "Người mới", "password": "mật khẩu dài đủ"},
                             follow_redirects=False)  # fmt: skip
    assert accepted.status_code == 303
    assert newcomer.get(f"/invite/{secret}").status_code == 404  # used once
    user = context.account_store.user_by_email("moi@example.org")
    assert user is not None and user.role == "factchecker"

    target = next(u for u in context.account_store.users() if u.email == "factchecker@demo.kiemchung")
    assert factchecker.get("/api/v1/cases").status_code == 200
    assert admin.patch(f"/api/v1/users/{target.id}", json={"active": False}).json()["active"] is False
    assert factchecker.get("/api/v1/cases").status_code == 401  # the session died with the account
    login = newcomer.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', login.text)
    assert token
    refused = newcomer.post("/login", data={"email": target.email, "password": DEMO_PASSWORD,
                                            "login_csrf": token.group(1)})  # fmt: skip
    assert refused.status_code == 401 and "Sai e-mail hoặc mật khẩu." in refused.text
    assert {"invite.create", "invite.accept", "user.deactivate"} <= {
        e["action"] for e in admin.get("/api/v1/audit").json()
    }
    export = admin.get("/api/v1/audit?format=csv")
    assert export.headers["content-type"].startswith("text/csv") and "user.deactivate" in export.text
    newcomer.close()
    admin.close()

"""The web app in-process (ASGI test client) against a real database."""

import json
import re

from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_FACTCHECKS
from kiemchung.services.archive import import_files
from kiemchung.web.app import create_app


def client_for(app_context: AppContext) -> TestClient:
    import_files(app_context.factcheck_store, [DEMO_FACTCHECKS])
    return TestClient(create_app(app_context.settings, app_context))


def test_api_lists_pages_and_searches(app_context: AppContext) -> None:
    client = client_for(app_context)
    body = client.get("/api/v1/factchecks", params={"per_page": 5}).json()
    assert body["total"] == 12 and len(body["items"]) == 5 and body["pages"] == 3
    found = client.get("/api/v1/factchecks", params={"q": "tien menh gia"}).json()
    assert [item["id"] for item in found["items"]] == ["demo-003"]
    assert client.get("/api/v1/factchecks", params={"per_page": 1000}).status_code == 422
    assert client.get("/api/v1/factchecks/nope").status_code == 404


def test_detail_page_embeds_valid_claimreview(app_context: AppContext) -> None:
    client = client_for(app_context)
    page = client.get("/factchecks/demo-001")
    assert page.status_code == 200 and "Uống nước chanh nóng" in page.text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["@type"] == "ClaimReview" and data["reviewRating"]["alternateName"] == "Sai"


def test_pages_in_vietnamese_and_english_and_healthz(app_context: AppContext) -> None:
    client = client_for(app_context)
    assert "Tìm kiếm" in client.get("/").text
    english = client.get("/", params={"lang": "en"})
    assert "Search" in english.text and english.cookies.get("lang") == "en"
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/openapi.json").json()["paths"]["/api/v1/factchecks"]
    assert "swagger-ui-bundle.js" in client.get("/docs").text
    assert client.get("/assets/swagger/swagger-ui-bundle.js").status_code == 200


def test_html_in_data_is_escaped(app_context: AppContext, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app_context)
    evil = tmp_path / "evil.jsonl"
    evil.write_text(json.dumps({"id": "evil", "claim": "<script>alert(1)</script>", "rating": "Sai"}), encoding="utf-8")
    import_files(app_context.factcheck_store, [evil])
    page = client.get("/factchecks/evil").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


REPEATS = "Uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư, mọi người chia sẻ nhé!"
REFUTES = "Không có chuyện uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư, đó là tin giả."
UNRELATED = "Hôm nay trời đẹp, cả nhà đi công viên chơi."
RATING_BADGE = re.compile(r'<span class="rating">(?:<span class="visually-hidden">[^<]*</span>)?([^<]*)</span>')


def test_match_page_shows_the_rating_beside_a_post_that_repeats_the_claim(app_context: AppContext) -> None:
    client = client_for(app_context)
    page = client.post("/match", data={"text": REPEATS}).text
    assert "Trùng với nhận định đã kiểm chứng" in page
    assert RATING_BADGE.findall(page) == ["Sai"]
    assert "lặp lại nhận định" in page and "rất giống" in page
    pair = re.search(r'<div class="pair">(.*?)</div>', page, re.S)
    assert pair is not None and REPEATS in pair.group(1) and "/factchecks/demo-001" in pair.group(1)
    english = client.post("/match", params={"lang": "en"}, data={"text": REPEATS}).text
    assert "Repeats a fact-checked claim" in english and "repeats the claim" in english
    assert "very similar" in english and RATING_BADGE.findall(english) == ["Sai"]


def test_match_page_says_a_post_refutes_a_claim_and_shows_no_rating(app_context: AppContext) -> None:
    client = client_for(app_context)
    page = client.post("/match", data={"text": REFUTES}).text
    assert "Bài đăng này bác bỏ một nhận định đã được kiểm chứng" in page
    assert "Trùng với nhận định đã kiểm chứng" not in page
    assert "bác bỏ nhận định" in page and RATING_BADGE.findall(page) == [] and 'class="rating"' not in page
    english = client.post("/match", params={"lang": "en"}, data={"text": REFUTES}).text
    assert "This post refutes a fact-checked claim" in english and "refutes the claim" in english
    assert 'class="rating"' not in english


def test_match_page_shows_no_rating_beside_an_unrelated_post(app_context: AppContext) -> None:
    client = client_for(app_context)
    page = client.post("/match", data={"text": UNRELATED}).text
    assert "Không trùng nhận định nào đã kiểm chứng" in page
    assert 'class="rating"' not in page and "bác bỏ một nhận định" not in page

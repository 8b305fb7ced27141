"""Issue 11, item 11: CSV exports of cases, alerts, fact-checks and posts, beside the JSON lists, with the
same filters and the same organisation scoping; formula-safe cells; UTF-8 with a BOM so Excel shows
Vietnamese. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_FACTCHECKS
from kiemchung.domain.spreadsheets import safe_cell
from kiemchung.services.archive import import_files
from kiemchung.store.alerts import AlertStore, NewAlert
from kiemchung.store.posts import NewPost, PostStore
from kiemchung.web.app import create_app
from tests.clients import signed_in

OTHER = "Báo Đối Thủ"
FORMULA = '=HYPERLINK("http://evil.example","bấm vào đây")'
THEIR_CLAIM = "Tin nội bộ của báo đối thủ: giá xăng sẽ giảm một nửa từ tuần sau"
PASSWORD = "a long password"


_client = signed_in


def _rows(response: object) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("text/csv")  # type: ignore[attr-defined]
    assert "attachment" in response.headers["content-disposition"]  # type: ignore[attr-defined]
    raw: bytes = response.content  # type: ignore[attr-defined]
    assert raw.startswith("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@dataclass
class Desks:
    context: AppContext
    owner: TestClient
    other: TestClient


def _post_with_alert(context: AppContext, source_name: str, organisation_id: int, post_id: str, text: str) -> None:
    """A stored post of the organisation's source and the repeat alert it raised (written as the pipeline's
    last stage writes them)."""
    source = context.sources.ensure("push", source_name, organisation_id)
    post = NewPost(post_id, source.id, text, None, f"https://mxh.example/{post_id}", None, "vi", None, post_id,
                   None, None, b"")  # fmt: skip
    with context.database.write() as connection:
        PostStore.insert(connection, post)
        AlertStore.add(connection, [NewAlert("repeat", f"repeat:{post_id}", post_id, "demo-001", text, 0.9)])


@pytest.fixture
def desks(app_context: AppContext, tmp_path: Path) -> Iterator[Desks]:
    mine = app_context.accounts.create_user("Tòa soạn", "editor@toasoan.example", "Biên tập", "editor", PASSWORD)
    theirs = app_context.accounts.create_user(OTHER, "editor@doithu.example", "Đối thủ", "editor", PASSWORD)
    owner, other = _client(app_context, "editor@toasoan.example"), _client(app_context, "editor@doithu.example")
    for claim, priority in (("Uống nước chanh nóng chữa ung thư", 1), (FORMULA, 3)):
        assert owner.post("/api/v1/cases", json={"claim": claim, "priority": priority}).status_code == 201
    assert other.post("/api/v1/cases", json={"claim": THEIR_CLAIM, "topic": "kinh tế"}).status_code == 201
    archive = tmp_path / "formula.jsonl"
    archive.write_text(json.dumps({"id": "csv-1", "claim": "@SUM(1+1) và tiếng Việt có dấu: Kiểm Chứng",
                                   "rating": "Sai"}, ensure_ascii=False) + "\n", encoding="utf-8")  # fmt: skip
    import_files(app_context.factcheck_store, [DEMO_FACTCHECKS, archive])
    _post_with_alert(app_context, "mxh-a", mine.organisation_id, "p-1", "Uống nước chanh nóng chữa ung thư!")
    _post_with_alert(app_context, "mxh-b", mine.organisation_id, "p-2", "=cmd|' /C calc'!A0 chanh nóng chữa ung thư")
    _post_with_alert(app_context, "doithu", theirs.organisation_id, "doithu-1", "Chia sẻ: chanh nóng chữa ung thư.")
    yield Desks(app_context, owner, other)
    owner.close()
    other.close()


def test_cases_csv_has_the_json_lists_rows_and_filters(desks: Desks) -> None:
    owner, other = desks.owner, desks.other
    listed = owner.get("/api/v1/cases", params={"limit": 500}).json()["items"]
    rows = _rows(owner.get("/api/v1/cases.csv"))
    assert [int(r["id"]) for r in rows] == [c["id"] for c in listed] and len(rows) >= 2
    assert THEIR_CLAIM not in {r["claim"] for r in rows}  # another organisation's case never appears
    assert {r["claim"] for r in _rows(other.get("/api/v1/cases.csv"))} == {THEIR_CLAIM}
    formula = next(r for r in rows if "HYPERLINK" in r["claim"])
    assert formula["claim"] == "'" + FORMULA  # shown as text, never run as a formula
    assert formula["link"].endswith(f"/cases/{formula['id']}")
    urgent = owner.get("/api/v1/cases", params={"priority": 3}).json()["items"]
    assert [int(r["id"]) for r in _rows(owner.get("/api/v1/cases.csv", params={"priority": 3}))] == [
        c["id"] for c in urgent]  # fmt: skip
    assert owner.get("/api/v1/cases.csv", params={"priority": 9}).status_code == 422  # the JSON list's rules
    assert TestClient(create_app(desks.context.settings, desks.context)).get("/api/v1/cases.csv").status_code == 401


def test_alerts_and_posts_csv_stay_with_their_organisation(desks: Desks) -> None:
    owner, other = desks.owner, desks.other
    alerts = owner.get("/api/v1/alerts", params={"limit": 500}).json()
    rows = _rows(owner.get("/api/v1/alerts.csv"))
    assert alerts and [int(r["id"]) for r in rows] == [a["id"] for a in alerts]
    assert "doithu-1" not in {r["post_id"] for r in rows}
    assert [r["post_id"] for r in _rows(other.get("/api/v1/alerts.csv"))] == ["doithu-1"]
    repeats = _rows(owner.get("/api/v1/alerts.csv", params={"kind": "repeat"}))
    assert {r["kind"] for r in repeats} == {"repeat"} and all(r["factcheck_link"] for r in repeats)
    assert _rows(owner.get("/api/v1/alerts.csv", params={"kind": "spread"})) == []
    assert next(r for r in rows if r["post_id"] == "p-2")["sentence"].startswith("'=cmd")

    posts = owner.get("/api/v1/posts", params={"limit": 500}).json()
    post_rows = _rows(owner.get("/api/v1/posts.csv"))
    assert posts["total"] == len(post_rows) > 0 and [r["id"] for r in post_rows] == [p["id"] for p in posts["items"]]
    assert "doithu-1" not in {r["id"] for r in post_rows}
    assert [r["id"] for r in _rows(other.get("/api/v1/posts.csv"))] == ["doithu-1"]
    one_source = post_rows[0]["source_id"]
    filtered = _rows(owner.get("/api/v1/posts.csv", params={"source_id": one_source}))
    assert filtered and {r["source_id"] for r in filtered} == {one_source}


def test_factchecks_csv_searches_like_the_json_and_keeps_vietnamese(desks: Desks) -> None:
    client = TestClient(create_app(desks.context.settings, desks.context))  # the archive is public
    total = client.get("/api/v1/factchecks").json()["total"]
    rows = _rows(client.get("/api/v1/factchecks.csv"))
    assert len(rows) == total
    found = _rows(client.get("/api/v1/factchecks.csv", params={"q": "kiem chung"}))
    assert [r["id"] for r in found] == ["csv-1"]
    assert found[0]["claim"] == "'@SUM(1+1) và tiếng Việt có dấu: Kiểm Chứng"
    assert found[0]["link"].endswith("/factchecks/csv-1")


def test_each_page_offers_its_csv_with_its_filters(desks: Desks) -> None:
    owner = desks.owner
    queue = owner.get("/queue", params={"priority": "3", "status": "", "q": ""}).text
    link = unescape(re.search(r'<a class="export" href="([^"]+)"', queue).group(1))  # type: ignore[union-attr]
    assert link == "/api/v1/cases.csv?priority=3"
    assert all(r["priority"] == "urgent" for r in _rows(owner.get(link)))
    for page, target in (("/alerts", "/api/v1/alerts.csv"), ("/status", "/api/v1/posts.csv"),
                         ("/?q=chanh", "/api/v1/factchecks.csv?q=chanh")):  # fmt: skip
        assert f'class="export" href="{target}"' in owner.get(page).text


def test_cells_that_could_be_formulas_are_text() -> None:
    for value in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"):
        assert safe_cell(value) == "'" + value
    assert safe_cell(-0.5) == -0.5 and safe_cell("Kiểm Chứng") == "Kiểm Chứng" and safe_cell(None) == ""

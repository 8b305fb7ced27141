"""Issue #10, findings 1, 8 and 12 (in part), against a real database (SQLite file and PostgreSQL) and a
real HTTP server on loopback serving a hostile ClaimReview feed:

- a subscription never overwrites a fact-check it does not own (ours, the archive's, another
  subscription's), cannot squat the ids we publish under, and has its field sizes capped;
- control characters never reach /feed.xml, and a lone surrogate is not a server error;
- only http(s) links are kept from imports, subscriptions and partners (`HTTPS://` too), never rendered
  when they are not; `%` and `_` are not wildcards in searches.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.demo import set_up_demo
from kiemchung.domain.models import FactCheck, Rating
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.web.app import create_app
from tests.integration.test_workbench import _client
from tests.servers import Route, Site, serve_site
from tests.snapshots import BACKENDS, Prepared, prepared_for

Desk = tuple[AppContext, TestClient, TestClient, TestClient]


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared[list[str]]]:
    """The demo (its accounts' passwords hashed with argon2) made once per database; each test gets a copy."""
    yield from prepared_for(request, tmp_path_factory, set_up_demo)


@pytest.fixture
def desk(demo: Prepared[list[str]], tmp_path: Path) -> Iterator[Desk]:
    with demo.copy(tmp_path / "desk") as context:
        clients = [_client(context, f"{role}@demo.kiemchung") for role in ("factchecker", "editor", "admin")]
        yield context, clients[0], clients[1], clients[2]
        for client in clients:
            client.close()


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as running:
        yield running


@pytest.fixture
def public(desk: Desk) -> Iterator[TestClient]:
    with TestClient(create_app(desk[0].settings, desk[0])) as client:
        yield client


def claimreview(identifier: str, claim: str, rating: str, **extra: Any) -> dict[str, Any]:
    """One ClaimReview as another kiemchung installation's /claimreviews.json writes it."""
    return {
        "@context": "https://schema.org", "@type": "ClaimReview", "identifier": identifier,
        "url": f"https://other.example/factchecks/{identifier}", "claimReviewed": claim,
        "reviewRating": {"@type": "Rating", "alternateName": rating},
        "author": {"@type": "Organization", "name": "Tòa soạn khác"}, "datePublished": "2026-11-20", **extra,
    }  # fmt: skip


def serve_feed(site: Site, objects: list[dict[str, Any]], path: str = "/claimreviews.json") -> str:
    site.routes[path] = Route(json.dumps(objects).encode(), headers={"Content-Type": "application/json"})
    return site.url(path)


def subscribe(admin: TestClient, name: str, url: str) -> dict[str, Any]:
    added = admin.post("/api/v1/subscriptions", json={"name": name, "url": url})
    assert added.status_code == 201, added.text
    return dict(added.json())


def publish(factchecker: TestClient, editor: TestClient, claim: str, rating: str) -> str:
    """Our newsroom publishes a verdict; the fact-check's id."""
    case = factchecker.post("/api/v1/cases", json={"claim": claim}).json()
    quote = {"kind": "quote", "quote": "Thông cáo chính thức.", "source": "Bộ Y tế"}
    case = factchecker.post(f"/api/v1/cases/{case['id']}/evidence", json=quote).json()
    case = factchecker.put(f"/api/v1/cases/{case['id']}/verdict", json={
        "version": case["version"], "rating": rating, "rebuttal": "Theo thông cáo chính thức [1].",
        "second_review": False}).json()  # fmt: skip
    published = editor.post(f"/api/v1/cases/{case['id']}/publish", json={"version": case["version"]})
    assert published.status_code == 200, published.text
    return str(published.json()["factcheck_id"])


def rating_on_page(client: TestClient, factcheck_id: str) -> str:
    page = client.get(f"/factchecks/{factcheck_id}")
    assert page.status_code == 200
    found = re.search(r'<span class="rating">([^<]*)</span>', page.text)
    assert found
    return found.group(1)


# -- finding 1: a subscription never overwrites what it does not own -------------------------------------


def test_a_feed_numbering_its_fact_checks_like_ours_does_not_overwrite_kc_22(
    desk: Desk, site: Site, public: TestClient
) -> None:
    context, factchecker, editor, admin = desk
    ours = publish(factchecker, editor, "Nước máy ở thành phố đạt chuẩn uống trực tiếp", "Đúng")
    assert ours.startswith("kc-")
    theirs = "Tòa soạn khác kết luận một nhận định hoàn toàn khác về tiêm chủng"
    url = serve_feed(site, [claimreview(ours, theirs, "Sai")])
    subscription = subscribe(admin, "Tòa soạn khác", url)
    assert subscription["imported"] == 1

    def ours_is_intact() -> None:
        assert rating_on_page(public, ours) == "Đúng"
        api = public.get(f"/api/v1/factchecks/{ours}").json()
        assert api["claim"] == "Nước máy ở thành phố đạt chuẩn uống trực tiếp" and api["rating"]["label"] == "Đúng"
        exported = public.get("/claimreviews.json").json()  # what OUR subscribers receive
        assert [item["identifier"] for item in exported] == [ours]
        assert exported[0]["reviewRating"]["alternateName"] == "Đúng"
        assert theirs not in json.dumps(exported, ensure_ascii=False)

    ours_is_intact()
    imported_id = f"sub-{subscription['id']}-{ours}"
    imported = public.get(f"/api/v1/factchecks/{imported_id}").json()
    assert imported["claim"] == theirs and imported["rating"]["label"] == "Sai"

    # The hourly refresh (what the running pipeline calls) updates the subscription's own copy, only.
    serve_feed(site, [claimreview(ours, theirs, "Gây hiểu lầm")])
    assert context.subscriptions.refresh_due(every_s=0) == 1
    ours_is_intact()
    assert public.get(f"/api/v1/factchecks/{imported_id}").json()["rating"]["label"] == "Gây hiểu lầm"


def test_a_hostile_feed_cannot_flip_an_archive_verdict_or_another_subscriptions(
    desk: Desk, site: Site, public: TestClient
) -> None:
    context, _, _, admin = desk
    assert rating_on_page(public, "demo-001") == "Sai"
    honest = subscribe(admin, "Đối tác", serve_feed(site, [claimreview("x-1", "Nhận định của đối tác", "Sai")],
                                                      "/honest.json"))  # fmt: skip
    honest_id = f"sub-{honest['id']}-x-1"
    hostile_feed = [
        claimreview("demo-001", "Uống nước chanh nóng chữa khỏi ung thư", "Đúng"),
        claimreview(honest_id, "Nhận định bị sửa", "Đúng"),  # another subscription's stored id
        claimreview("x-1", "Cùng số hiệu với đối tác", "Đúng"),  # the other feed's own id
    ]
    hostile = subscribe(admin, "Kẻ xấu", serve_feed(site, hostile_feed, "/hostile.json"))
    assert hostile["imported"] == 3

    assert rating_on_page(public, "demo-001") == "Sai"
    assert public.get("/api/v1/factchecks/demo-001").json()["rating"]["label"] == "Sai"
    kept = public.get(f"/api/v1/factchecks/{honest_id}").json()
    assert kept["claim"] == "Nhận định của đối tác" and kept["rating"]["label"] == "Sai"
    stored = {fc.id for fc in context.factcheck_store.iter_all() if fc.id.startswith(f"sub-{hostile['id']}-")}
    assert stored == {f"sub-{hostile['id']}-demo-001", f"sub-{hostile['id']}-{honest_id}", f"sub-{hostile['id']}-x-1"}
    # Nor can a subscription write an archive row (whatever its id), nor an archive import a subscription's row.
    with context.database.write() as connection:
        archive_row = [FactCheck("demo-001", "Ghi đè", Rating("Đúng"))]
        assert FactCheckStore.import_many(connection, archive_row, subscription_id=hostile["id"]) == ["demo-001"]
    assert context.factcheck_store.upsert_many([FactCheck(honest_id, "Ghi đè từ tệp", Rating("Đúng"))]) == [honest_id]
    # The honest feed's refresh is not disturbed either.
    assert admin.post(f"/api/v1/subscriptions/{honest['id']}/refresh").json()["imported"] == 1
    assert public.get(f"/api/v1/factchecks/{honest_id}").json()["claim"] == "Nhận định của đối tác"


def test_a_feed_cannot_squat_the_ids_we_will_publish_under(desk: Desk, site: Site, public: TestClient) -> None:
    _, factchecker, editor, admin = desk
    squatted = [claimreview(f"kc-{n}", f"Chiếm chỗ số {n}", "Đúng") for n in range(1, 60)]
    assert subscribe(admin, "Chiếm chỗ", serve_feed(site, squatted))["imported"] == 59
    ours = publish(factchecker, editor, "Giá vé xe buýt tăng gấp ba từ tháng tới", "Sai")
    assert re.fullmatch(r"kc-\d+", ours)
    assert public.get(f"/api/v1/factchecks/{ours}").json()["claim"] == "Giá vé xe buýt tăng gấp ba từ tháng tới"
    assert rating_on_page(public, ours) == "Sai"
    assert [item["identifier"] for item in public.get("/claimreviews.json").json()] == [ours]


def test_oversized_and_unsafe_fields_from_a_feed_are_refused_cut_or_dropped_with_a_reason(
    desk: Desk, site: Site, public: TestClient
) -> None:
    context, _, _, admin = desk
    feed = [
        claimreview("too-long-claim", "Rất dài " * 1000, "Sai"),
        claimreview("long-label", "Nhãn đánh giá dài bất thường", "Sai" * 200),
        claimreview(
            "big-fields",
            "Một nhận định có trường quá cỡ",
            "Sai",
            description="Tóm tắt " * 2000,
            author={"@type": "Organization", "name": "Tên " * 300, "url": "javascript:alert(document.cookie)"},
            inLanguage="x" * 100,
            url="https://other.example/" + "a" * 5000,
            itemReviewed={
                "@type": "Claim",
                "appearance": [{"url": "JavaScript:alert(1)"}, {"url": "HTTPS://mxh.example/bai-viet"}],
            },
        ),
        claimreview("x" * 500, "Số hiệu dài", "Sai"),
    ]
    added = subscribe(admin, "Quá cỡ", serve_feed(site, feed))
    assert added["imported"] == 2
    problems = "\n".join(added["problems"])
    assert "object 1: refused: claim is longer than 5,000 characters" in problems
    assert "object 2: refused: rating label is longer than 100 characters" in problems
    for note in ("summary cut to 5,000 characters", "publisher cut to 200 characters", "language dropped",
                 "url dropped: not an http(s) URL", "publisher url dropped", "appearance dropped"):  # fmt: skip
        assert note in problems, note
    listed = admin.get("/api/v1/subscriptions").json()
    assert listed[0]["problems"] == added["problems"]  # kept on the subscription, shown to its admin

    big = context.factcheck_store.get(f"sub-{added['id']}-big-fields")
    assert big is not None and big.url is None and big.language is None and big.publisher_url is None
    assert big.summary is not None and len(big.summary) <= 5000 and big.publisher and len(big.publisher) <= 200
    assert big.appearances == ("HTTPS://mxh.example/bai-viet",)  # upper-case scheme accepted
    long_id = [fc.id for fc in context.factcheck_store.iter_all() if fc.claim == "Số hiệu dài"]
    assert len(long_id) == 1 and len(long_id[0]) < 60 and public.get(f"/factchecks/{long_id[0]}").status_code == 200


def test_archive_import_never_overwrites_a_published_fact_check_nor_writes_reserved_ids(
    desk: Desk, tmp_path: Any, public: TestClient
) -> None:
    from kiemchung.services.archive import import_files

    context, factchecker, editor, _ = desk
    ours = publish(factchecker, editor, "Trường học nghỉ cả tuần vì nắng nóng", "Đúng")
    lines = [
        {"id": ours, "claim": "Ghi đè", "rating": "Sai"},
        {"id": "kc-99999", "claim": "Chiếm chỗ", "rating": "Sai"},
        {"id": "sub-1-a", "claim": "Chen vào", "rating": "Sai"},
        {"id": "ok-1", "claim": "Bình thường", "rating": "Sai", "url": "javascript:alert(1)"},
    ]
    path = tmp_path / "archive.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    report = import_files(context.factcheck_store, [path])
    assert report.imported == 1 and [e.line for e in report.rejected] == [1, 2, 3]
    assert [e.line for e in report.notes] == [4] and "url dropped" in report.notes[0].reason
    assert rating_on_page(public, ours) == "Đúng"
    assert context.factcheck_store.get("kc-99999") is None
    stored = context.factcheck_store.get("ok-1")
    assert stored is not None and stored.url is None


# -- finding 8: control characters and lone surrogates -----------------------------------------------------


def test_a_vertical_tab_in_a_claim_leaves_the_atom_feed_valid_xml(desk: Desk, public: TestClient) -> None:
    context, factchecker, editor, _ = desk
    ours = publish(factchecker, editor, "Dòng một\vdòng hai\x01 từ Word\x1f\x00", "Sai")
    assert public.get(f"/api/v1/factchecks/{ours}").json()["claim"] == "Dòng một\ndòng hai từ Word"
    # A record stored before input was cleaned must not break the feed either.
    context.factcheck_store.upsert_many([FactCheck("cu-1", "Cũ\vcó\x08ký tự\x01điều khiển", Rating("Sai\x0c"))])
    feed = public.get("/feed.xml")
    root = ElementTree.fromstring(feed.content)  # raises on invalid XML
    titles = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert "Dòng một\ndòng hai từ Word" in titles and "Cũ\ncóký tựđiều khiển" in titles


def post_json(client: TestClient, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    """POST JSON as a browser or partner may send it: `\\ud800` escapes arrive as lone surrogates."""
    content = json.dumps(body)  # ASCII-only, so lone surrogates travel as escapes
    return client.post(path, content=content, headers={"Content-Type": "application/json", **(headers or {})})


def test_a_lone_surrogate_is_not_a_server_error(desk: Desk, public: TestClient) -> None:
    context, factchecker, _, _ = desk
    opened = post_json(factchecker, "/api/v1/cases", {"claim": "Tin đồn \ud800 lan truyền", "topic": "x\udfff"})
    assert opened.status_code == 422 and opened.json()["detail"][0]["loc"] == ["body", "claim"]  # not a 500
    assert opened.json()["detail"][0]["input"] == "Tin đồn \ufffd lan truyền"
    case = factchecker.post("/api/v1/cases", json={"claim": "Một nhận định bình thường"}).json()
    commented = post_json(factchecker, f"/api/v1/cases/{case['id']}/comments", {"body": "ý \udc00 kiến"})
    assert commented.status_code == 422, commented.text
    _, token = context.tokens.create(context.organisations.ensure("Đối tác").id, "doi-tac", "partner")
    post = {"id": "s-1", "text": "Giá \udfff xăng tăng mạnh vào ngày mai."}
    pushed = post_json(public, "/api/v1/posts", post, {"Authorization": f"Bearer {token}"})
    assert pushed.status_code == 202 and pushed.json()["accepted"] == 1, pushed.text
    context.monitor.drain()
    stored = context.post_store.get("s-1")
    assert stored is not None and "\ufffd" in stored.text


# -- finding 12: http(s) links only; no LIKE wildcards ---------------------------------------------------


def test_javascript_links_from_a_feed_or_a_partner_are_never_rendered_and_upper_case_schemes_are_accepted(
    desk: Desk, site: Site, public: TestClient
) -> None:
    context, factchecker, _, admin = desk
    feed = [claimreview("js", "Nhận định có liên kết độc", "Sai", url="JaVaScRiPt:alert(1)")]
    added = subscribe(admin, "Liên kết độc", serve_feed(site, feed).replace("http://", "HTTP://"))
    assert added["imported"] == 1  # an upper-case scheme is accepted
    page = public.get(f"/factchecks/sub-{added['id']}-js").text
    assert "javascript:" not in page.lower()

    _, token = context.tokens.create(context.organisations.ensure("Đối tác").id, "doi-tac", "partner")
    posts = {
        "posts": [
            {"id": "p-js", "text": "Bài có liên kết độc về giá điện.", "url": "javascript:alert(2)"},
            {"id": "p-ok", "text": "Bài bình thường về giá điện.", "url": "HTTPS://bao.example/a"},
        ]
    }
    pushed = public.post("/api/v1/posts", json=posts, headers={"Authorization": f"Bearer {token}"}).json()
    assert pushed["accepted"] == 1 and [r["index"] for r in pushed["rejected"]] == [0]
    assert "http(s)" in pushed["rejected"][0]["error"]
    context.monitor.drain()
    stored = context.post_store.get("p-ok")
    assert stored is not None and stored.url == "HTTPS://bao.example/a"
    evidence_case = factchecker.post("/api/v1/cases", json={"claim": "Một nhận định cần bằng chứng"}).json()
    upper_case = site.url("/khong-co").replace("http://", "HTTP://")
    upper = factchecker.post(f"/api/v1/cases/{evidence_case['id']}/evidence", json={"kind": "url", "url": upper_case})
    assert upper.status_code == 201, upper.text
    refused = factchecker.post(f"/api/v1/cases/{evidence_case['id']}/evidence",
                               json={"kind": "url", "url": "javascript:alert(3)"})  # fmt: skip
    assert refused.status_code == 422
    for path in ("/alerts", f"/cases/{evidence_case['id']}"):
        assert 'href="javascript:' not in factchecker.get(path).text.lower()


def test_percent_and_underscore_are_not_wildcards_in_the_queue_search(desk: Desk) -> None:
    _, factchecker, _, _ = desk
    factchecker.post("/api/v1/cases", json={"claim": "Lãi suất tăng 5% trong tháng này"})
    factchecker.post("/api/v1/cases", json={"claim": "Tên tệp bao_cao_moi bị lộ"})
    everything = factchecker.get("/api/v1/cases", params={"limit": 500}).json()["total"]
    assert everything >= 3

    def found(q: str) -> list[str]:
        return [c["claim"] for c in factchecker.get("/api/v1/cases", params={"q": q, "limit": 500}).json()["items"]]

    percent, underscore = found("%"), found("_")
    assert "Lãi suất tăng 5% trong tháng này" in percent and all("%" in claim for claim in percent)
    assert underscore == ["Tên tệp bao_cao_moi bị lộ"]
    assert found("5%") == ["Lãi suất tăng 5% trong tháng này"] and found("bao_cao") == underscore
    assert found("t_ng") == [] and found("L%y") == []


# -- the repair of what subscriptions overwrote before identities were namespaced ---------------------------


def test_the_migration_restores_our_overwritten_fact_check_and_moves_foreign_rows_into_the_namespace(
    settings: Any, database_url: str
) -> None:
    from datetime import UTC, datetime

    from alembic import command

    from kiemchung.store.schema import cases, factcheck_versions, factchecks, organisations, subscriptions

    context = AppContext(settings.with_overrides(database_url=database_url))
    database = context.database
    with database.write() as connection:
        command.upgrade(database._alembic_config(connection), "0004")
    now = datetime.now(UTC)
    row = {"search_text": "", "appearances": [], "evidence_links": [], "created_at": now, "updated_at": now,
           "organisation_id": None, "subscription_id": 7}  # fmt: skip
    with database.write() as connection:
        connection.execute(organisations.insert().values(id=1, name="Chúng tôi", created_at=now))
        connection.execute(subscriptions.insert().values(id=7, organisation_id=1, name="Khác", url="https://o.example/",
                                                         created_at=now, last_fetch_at=now))  # fmt: skip
        connection.execute(factchecks.insert(), [
            {**row, "id": "kc-22", "organisation_id": 1, "claim": "Của họ", "rating_label": "Sai"},
            {**row, "id": "demo-001", "claim": "Lật ngược", "rating_label": "Đúng"},
            {**row, "id": "sub-7-a", "claim": "Đã đúng chỗ", "rating_label": "Sai"},
        ])  # fmt: skip
        record = {"id": "kc-22", "claim": "Của chúng tôi", "rating": "Đúng", "url": "http://kc.example/factchecks/kc-22",
                  "language": "vi", "published": "2026-11-01", "summary": "Tóm tắt", "rebuttal": [],
                  "evidence": [{"n": 1, "url": "https://bang-chung.example/1"}]}  # fmt: skip
        connection.execute(factcheck_versions.insert().values(factcheck_id="kc-22", version=1, record=record,
                                                              published_at=now))  # fmt: skip
        connection.execute(cases.insert().values(claim="Lật ngược", group_key="factcheck:demo-001", status="new",
                                                 first_detected_at=now, created_at=now, updated_at=now,
                                                 factcheck_id="demo-001"))  # fmt: skip
    database.migrate()
    assert database.is_current()
    ours = context.factcheck_store.get("kc-22")
    assert ours is not None and (ours.claim, ours.rating.label, ours.publisher) == (
        "Của chúng tôi",
        "Đúng",
        "Chúng tôi",
    )
    assert ours.evidence_links == ("https://bang-chung.example/1",) and ours.publisher_url == "http://kc.example"
    assert [fc.id for fc in context.factcheck_store.published_here()] == ["kc-22"]
    assert context.factcheck_store.get("demo-001") is None  # re-import the archive to get the original back
    moved = context.factcheck_store.get("sub-7-demo-001")
    assert moved is not None and moved.claim == "Lật ngược"
    assert context.factcheck_store.get("sub-7-a") is not None
    with database.read() as connection:
        case = connection.execute(cases.select()).one()
        subscription = connection.execute(subscriptions.select()).one()
    assert (case.factcheck_id, case.group_key) == ("sub-7-demo-001", "factcheck:sub-7-demo-001")
    assert subscription.last_fetch_at is None  # refreshed at the pipeline's next tick
    context.close()

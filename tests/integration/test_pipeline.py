"""The processing pipeline end to end: posts import/export contract, copies, alerts by webhook and SMTP,
spreading claims, back-pressure."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from kiemchung.app_context import AppContext
from kiemchung.cli import cli
from kiemchung.domain.models import FactCheck, Rating
from kiemchung.services.alerts import SIGNATURE_HEADER, TIMESTAMP_HEADER, AlertDispatcher, sign
from kiemchung.settings import Settings
from kiemchung.text.variants import spin
from tests.servers import Route, Site, serve_site

ARTICLE = [
    "Ủy ban nhân dân thành phố vừa phê duyệt kế hoạch xây dựng 5 cây cầu mới bắc qua sông Hồng "
    "trong giai đoạn 2026 - 2030.",
    "Tổng vốn đầu tư dự kiến khoảng 95 nghìn tỉ đồng, lấy từ ngân sách thành phố và vốn vay ưu đãi.",
    "Theo Sở Giao thông vận tải, cây cầu đầu tiên sẽ được khởi công vào quý hai năm sau tại khu vực phía bắc.",
    "Các chuyên gia cho rằng dự án sẽ giúp giảm tải cho những cây cầu hiện có, vốn thường xuyên ùn tắc giờ cao điểm.",
    "Người dân hai bên bờ sông được lấy ý kiến về phương án giải phóng mặt bằng từ đầu tháng tới.",
    "Thành phố cam kết công khai tiến độ và chi phí của từng dự án trên cổng thông tin điện tử.",
    "Trước đó, hội đồng nhân dân đã thông qua chủ trương đầu tư với 92 phần trăm đại biểu tán thành.",
    "Dự kiến khi hoàn thành, thời gian di chuyển giữa hai bờ sẽ giảm một nửa so với hiện nay.",
]
SAME_TOPIC = [
    "Nhiều người dân phản ánh cầu Chương Dương thường xuyên kẹt xe vào buổi sáng và buổi chiều.",
    "Một tài xế xe ôm công nghệ nói anh mất gần một giờ để qua sông mỗi ngày vào giờ tan tầm.",
    "Cảnh sát giao thông đã tăng cường lực lượng phân luồng tại các nút giao đầu cầu.",
    "Các đơn vị vận tải đề nghị mở thêm tuyến buýt nhanh nối hai bờ sông Hồng.",
    "Giới chuyên môn cho rằng cần quy hoạch đồng bộ hệ thống giao thông công cộng ở khu vực này.",
]
BOILERPLATE = ["Bạn đang xem: Tin tức thời sự", "Xem thêm: Giá vàng hôm nay", "Gửi bình luận", "Họ và tên", "Email"]


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _cli(settings: Settings, database_url: str, *args: str) -> object:
    env = {"KIEMCHUNG_EMBEDDER": "hashing", "KIEMCHUNG_DATABASE_URL": database_url}
    return CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), *args], env=env, catch_exceptions=False)


def test_posts_import_export_contract_with_copies(
    app_context: AppContext, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    original = " ".join(ARTICLE)
    spun = spin(original, 0.5, random.Random(3))
    assert spun != original
    partial = "\n".join([*BOILERPLATE[:2], ARTICLE[1], ARTICLE[2], ARTICLE[6], *BOILERPLATE[2:]])
    rows = [
        {"id": "goc", "text": original, "url": "https://bao-a.example/cau-moi", "title": "Năm cây cầu mới"},
        {"id": "ban-xao", "text": spun, "url": "https://trang-b.example/p/1"},
        {"id": "trich-doan", "text": partial},
        {"id": "cung-chu-de", "text": " ".join(SAME_TOPIC)},
        {"id": "trung-y-het", "text": original},
        {"id": "loi"},
    ]
    result = _cli(settings, database_url, "posts", "import", str(_jsonl(tmp_path / "posts.jsonl", rows)))
    assert result.exit_code == 1, result.output  # one bad line
    assert "posts.jsonl:6: missing text" in result.output

    export = _cli(settings, database_url, "posts", "export", "--format", "jsonl")
    posts = {p["id"]: p for p in map(json.loads, export.output.splitlines())}
    assert set(posts) == {"goc", "ban-xao", "trich-doan", "cung-chu-de", "trung-y-het"}
    assert posts["goc"]["copy_of"] is None and posts["goc"]["copy_similarity"] is None
    assert posts["ban-xao"]["copy_of"] == "goc" and posts["ban-xao"]["copy_similarity"] >= 0.5
    assert posts["trich-doan"]["copy_of"] == "goc" and posts["trich-doan"]["copy_similarity"] >= 0.5
    assert posts["cung-chu-de"]["copy_of"] is None
    assert (posts["trung-y-het"]["copy_of"], posts["trung-y-het"]["copy_similarity"]) == ("goc", 1.0)

    again = _cli(settings, database_url, "posts", "import", str(_jsonl(tmp_path / "again.jsonl", rows[:5])))
    assert again.exit_code == 0 and "read 0 new posts (5 seen before" in again.output
    assert app_context.post_store.count() == 5


def _debunked(app_context: AppContext) -> None:
    app_context.factcheck_store.upsert_many([
        FactCheck(id="fc-chanh", claim="Uống nước chanh nóng mỗi sáng chữa khỏi ung thư",
                  rating=Rating("Sai", 2, 5, 1), url="https://kiemchung.example/fc-chanh", language="vi"),
        FactCheck(id="fc-dung", claim="Hà Nội có 30 quận huyện", rating=Rating("Đúng", 5, 5, 1), language="vi"),
    ])  # fmt: skip


def _push(app_context: AppContext, source: str, rows: list[tuple[str, str]]) -> None:
    from kiemchung.ingest.items import Item

    target = app_context.sources.ensure("push", source)
    with app_context.database.write() as connection:
        app_context.inbox.add(connection, target.id, [Item(key, text) for key, text in rows])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[object] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, mailbox
    finally:
        controller.stop()


def test_repeat_alerts_arrive_by_webhook_and_smtp_as_digests(
    app_context: AppContext, smtp: tuple[Controller, Mailbox]
) -> None:
    controller, mailbox = smtp
    _debunked(app_context)
    with serve_site() as receiver:
        receiver.routes["/hook"] = Route(b"ok")
        settings = app_context.settings.with_overrides(
            webhook_url=receiver.url("/hook"), webhook_secret="s3cret", smtp_host="127.0.0.1",
            smtp_port=controller.port, alert_email_to="desk@example.org", alert_digest_seconds=3600,
        )  # fmt: skip
        _push(app_context, "partner", [("p1", "Ae ơi, uống nước chanh nóng mỗi sáng chữa khỏi ung thư nhé!")])
        app_context.monitor.drain()
        dispatcher = AlertDispatcher(settings, app_context.alert_store)
        assert dispatcher.deliver_due() == {"webhook": 1, "email": 1}

        _push(app_context, "partner", [("p2", "uong nuoc chanh nong moi sang chua khoi ung thu"),
                                       ("p3", "Hà Nội có 30 quận huyện")])  # fmt: skip
        app_context.monitor.drain()
        assert dispatcher.deliver_due() == {}  # inside the digest interval: they wait
        assert dispatcher.deliver_due(force=True) == {"webhook": 1, "email": 1}  # one digest, the true claim not

        hooks = receiver.hits("/hook")
        assert len(hooks) == 2
        for hook in hooks:
            timestamp = hook.headers[TIMESTAMP_HEADER]
            assert hook.headers[SIGNATURE_HEADER] == sign("s3cret", timestamp, hook.body)
        first = json.loads(hooks[0].body)["alerts"][0]
        assert first["kind"] == "repeat" and first["post"]["id"] == "p1"
        assert first["factcheck"]["id"] == "fc-chanh" and first["factcheck"]["link"].endswith("/factchecks/fc-chanh")
        assert first["score"] > 0.5
        assert [a["post"]["id"] for a in json.loads(hooks[1].body)["alerts"]] == ["p2"]

        dispatcher.close()
        mails = [message_from_bytes(m.content, policy=default) for m in mailbox.messages]  # type: ignore[attr-defined]
        assert [m["Subject"] for m in mails] == ["[kiemchung] 1 alert(s)", "[kiemchung] 1 alert(s)"]
        body = mails[0].get_content()
        assert "Fact-check: Uống nước chanh nóng mỗi sáng chữa khỏi ung thư — Sai" in body
        assert "/factchecks/fc-chanh" in body


def test_failed_delivery_is_retried_and_nothing_is_lost(app_context: AppContext) -> None:
    _debunked(app_context)
    with serve_site() as receiver:
        receiver.routes["/hook"] = Route(b"down", status=503)
        settings = app_context.settings.with_overrides(webhook_url=receiver.url("/hook"))
        _push(app_context, "partner", [("p1", "Uống nước chanh nóng mỗi sáng chữa khỏi ung thư.")])
        app_context.monitor.drain()
        dispatcher = AlertDispatcher(settings, app_context.alert_store)
        assert dispatcher.deliver_due() == {} and "503" in dispatcher.errors["webhook"]
        receiver.routes["/hook"] = Route(b"ok")
        assert dispatcher.deliver_due() == {"webhook": 1}
        dispatcher.close()


def test_a_new_claim_in_three_sources_raises_one_spread_alert(app_context: AppContext) -> None:
    claim = "Bộ Tài chính sẽ tăng thuế thu nhập cá nhân lên 40 phần trăm từ tháng 7 năm sau."
    for number, source in enumerate(["a", "b", "c", "d"]):
        text = claim if number % 2 == 0 else claim.replace("sẽ tăng", "chuẩn bị tăng")
        _push(app_context, source, [(f"{source}-1", text + " Người dân đang rất lo lắng.")])
        app_context.monitor.drain()
    alerts = app_context.alert_store.recent(kind="spread")
    assert len(alerts) == 1
    assert alerts[0].source_count == 3 and alerts[0].post_id == "a-1" and "40 phần trăm" in alerts[0].sentence


def test_a_slow_matching_stage_never_makes_the_fetcher_drop_items(app_context: AppContext) -> None:
    items = [{"title": f"Tin {n}", "link": f"http://x.invalid/{n}",
              "description": f"Bản tin số {n}: giá điện tăng {n} phần trăm từ hôm nay theo quyết định mới."}
             for n in range(60)]  # fmt: skip
    from tests.servers import rss

    processor = app_context.processor
    slow = processor.matching.suggestions

    def slow_suggestions(*args: object, **kwargs: object) -> object:
        time.sleep(0.2)
        return slow(*args, **kwargs)  # type: ignore[arg-type]

    processor.matching.suggestions = slow_suggestions  # type: ignore[method-assign]
    with serve_site(Site()) as site:
        site.routes["/rss"] = Route(rss(items))
        app_context.sources.add("feed", "fast-feed", site.url("/rss"), 5, {"follow_links": False})
        monitor = app_context.monitor
        monitor.batch = 4
        stop = threading.Event()
        threads = monitor.run(stop)
        try:
            deadline = time.monotonic() + 30
            while monitor.status.collected < 60 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert monitor.status.collected == 60  # the fetcher took everything…
            assert monitor.status.processed.stored < 60  # …while the slow stage was still behind
            while monitor.status.processed.stored < 60 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop.set()
            for thread in threads:
                thread.join(10)
    assert app_context.post_store.count() == 60
    assert app_context.inbox.counts()["pending"] == 0


def test_partners_push_posts_with_a_token(app_context: AppContext) -> None:
    from fastapi.testclient import TestClient

    from kiemchung.web.app import create_app

    organisation = app_context.organisations.ensure("Đối tác")
    _, token = app_context.tokens.create(organisation.id, "doi-tac", "partner")
    client = TestClient(create_app(app_context.settings, app_context))
    posts = [
        {"id": "d1", "text": "Giá điện tăng 20 phần trăm từ tháng sau.", "url": "https://x.example/1"},
        {"id": "d2"},
        {"id": "d3", "text": "Tin thứ ba về giá xăng.", "published": "hôm qua"},
    ]
    body = {"posts": posts}
    assert client.post("/api/v1/posts", json=body).status_code == 401
    assert client.post("/api/v1/posts", json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    answer = client.post("/api/v1/posts", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 202
    assert answer.json()["accepted"] == 1 and [r["index"] for r in answer.json()["rejected"]] == [1, 2]
    again = client.post("/api/v1/posts", json=body, headers={"Authorization": f"Bearer {token}"}).json()
    assert (again["accepted"], again["seen_before"]) == (0, 1)
    app_context.monitor.drain()
    stored = app_context.post_store.get("d1")
    assert stored is not None and stored.url == "https://x.example/1"
    source = app_context.source_store.find("push:Đối tác")
    assert source.items_total == 1 and source.last_success_at is not None
    client.close()


def test_an_item_that_breaks_processing_is_set_aside_and_the_rest_flows(app_context: AppContext) -> None:
    processor = app_context.processor
    real_score = processor.checkworthiness.score

    def fragile(sentence: str) -> float:
        if "GÂY LỖI" in sentence:
            raise RuntimeError("a bug met an unexpected sentence")
        return real_score(sentence)

    processor.checkworthiness.score = fragile  # type: ignore[method-assign]
    try:
        _push(app_context, "partner", [("ok-1", "Giá điện tăng 5 phần trăm."), ("bad", "Câu này GÂY LỖI."),
                                       ("ok-2", "Giá xăng giảm 300 đồng.")])  # fmt: skip
        app_context.monitor.drain()
    finally:
        processor.checkworthiness.score = real_score  # type: ignore[method-assign]
    assert app_context.post_store.get("ok-1") and app_context.post_store.get("ok-2")
    assert app_context.post_store.get("bad") is None
    counts = app_context.inbox.counts()
    assert counts["pending"] == 0 and counts["dead"] == 1  # tried WORKER_MAX_ATTEMPTS times, then set aside
    [(key, reason)] = app_context.inbox.rejected()
    assert key == "bad" and reason == "processing failed: RuntimeError: a bug met an unexpected sentence"


def test_a_post_refuting_a_checked_claim_raises_no_repeat_alert(app_context: AppContext) -> None:
    """Debunks are coverage, not misinformation: stored as a suggestion with stance "refutes", never alerted."""
    _debunked(app_context)
    debunk = "Không có chuyện uống nước chanh nóng mỗi sáng chữa khỏi ung thư, đây là tin giả, đừng tin."
    repeat = "Ae ơi, uống nước chanh nóng mỗi sáng chữa khỏi ung thư nhé!"
    _push(app_context, "partner", [("debunk", debunk), ("repeat", repeat)])
    app_context.monitor.drain()
    assert [a.post_id for a in app_context.alert_store.recent(kind="repeat")] == ["repeat"]
    answer = app_context.matching.match_posts([("debunk", debunk)])[0]
    assert answer.matches[0].factcheck_id == "fc-chanh" and answer.matches[0].stance == "refutes"
    assert not answer.matched

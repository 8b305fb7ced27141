"""Issue 11, item 15: chat-ready alerts. A webhook's payload carries a human-readable `text` (what Slack,
Mattermost and Google Chat show) beside the structured fields: the claim, its verdict, the post's sentence,
the score in words and the link, in the installation's language. Delivered to a real loopback receiver."""

from __future__ import annotations

import json

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_FACTCHECKS
from kiemchung.services.alerts import SIGNATURE_HEADER, TIMESTAMP_HEADER, AlertDispatcher, sign
from kiemchung.services.archive import import_files
from kiemchung.store.alerts import AlertStore, NewAlert
from kiemchung.store.posts import NewPost, PostStore
from tests.servers import Route, serve_site

SENTENCE = "Ae ơi, uống nước chanh nóng mỗi sáng chữa khỏi ung thư nhé!"


def _alerts(context: AppContext, count: int, score: float = 0.93) -> None:
    """`count` stored posts of a watched source, each with the repeat alert the pipeline raised for it."""
    import_files(context.factcheck_store, [DEMO_FACTCHECKS])
    source = context.sources.ensure("push", "mxh")
    with context.database.write() as connection:
        for n in range(count):
            post = NewPost(f"p{n}", source.id, SENTENCE, None, f"https://mxh.example/bai/{n}", None, "vi", None,
                           f"h{n}", None, None, b"")  # fmt: skip
            PostStore.insert(connection, post)
            AlertStore.add(connection, [NewAlert("repeat", f"repeat:p{n}", f"p{n}", "demo-001", SENTENCE, score)])
        AlertStore.add(connection, [NewAlert("spread", "spread:1", None, None, "Giá xăng giảm một nửa", 0.8, 4)])


def _delivered(context: AppContext, **overrides: object) -> tuple[dict[str, object], object]:
    with serve_site() as receiver:
        receiver.routes["/hook"] = Route(b"ok")
        settings = context.settings.with_overrides(webhook_url=receiver.url("/hook"), webhook_secret="s3cret",
                                                   public_url="https://kiemchung.example", **overrides)  # fmt: skip
        dispatcher = AlertDispatcher(settings, context.alert_store)
        assert dispatcher.deliver_due() == {"webhook": len(context.alert_store.recent(500))}
        dispatcher.close()
        (hook,) = receiver.hits("/hook")
    return json.loads(hook.body), hook


def test_a_webhook_message_reads_as_a_chat_message_in_vietnamese(app_context: AppContext) -> None:
    _alerts(app_context, 1)
    payload, hook = _delivered(app_context)
    text = payload["text"]
    assert isinstance(text, str) and text.startswith("Kiểm Chứng: 2 cảnh báo mới")
    for line in (
        "Một bài đăng lặp lại nhận định đã kiểm chứng:",
        "Nhận định: Uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư.",
        "Kết luận: Sai",
        f"Câu trong bài đăng: “{SENTENCE}”",
        "Mức giống: gần như trùng khớp (0,93)",
        "Bài đăng: https://mxh.example/bai/0",
        "Bài kiểm chứng: https://kiemchung.example/factchecks/demo-001",
        "Một nhận định mới đang lan trên 4 nguồn:",
    ):
        assert line in text, line
    # the structured fields stay, each alert with its own text, and the signature covers it all
    repeat = next(a for a in payload["alerts"] if a["kind"] == "repeat")  # type: ignore[attr-defined]
    assert repeat["factcheck"]["id"] == "demo-001" and repeat["score"] == 0.93 and repeat["post"]["id"] == "p0"
    assert repeat["text"] in text
    assert hook.headers[SIGNATURE_HEADER] == sign("s3cret", hook.headers[TIMESTAMP_HEADER], hook.body)


def test_in_english_and_a_long_digest_links_to_the_rest(app_context: AppContext) -> None:
    _alerts(app_context, 12, score=0.74)
    payload, _ = _delivered(app_context, default_language="en")
    text = payload["text"]
    assert isinstance(text, str) and text.startswith("Kiểm Chứng: 13 new alert(s)")
    assert "Closeness: very close (0.74)" in text and "Verdict: Sai" in text
    assert text.count("A post repeats a fact-checked claim") == 10
    assert text.endswith("… and 3 more alert(s): https://kiemchung.example/alerts")
    assert len(payload["alerts"]) == 13  # type: ignore[arg-type]

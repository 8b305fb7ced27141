"""Every source kind against real loopback servers, and every kind of bad input a source can send."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiemchung.app_context import AppContext
from kiemchung.ingest.http import Fetcher, FetchPolicy
from kiemchung.services.collect import Collector, CollectReport
from kiemchung.settings import Settings
from tests.conftest import LOOPBACK
from tests.servers import Route, Site, article_page, rss, serve_site

PARAGRAPHS = [
    "Sở Giao thông vận tải thành phố cho biết từ ngày 1 tháng 12 sẽ điều chỉnh lộ trình 12 tuyến xe buýt.",
    "Theo kế hoạch, các tuyến đi qua khu vực trung tâm sẽ được rút ngắn để giảm ùn tắc vào giờ cao điểm.",
    "Đại diện sở nói rằng hành khách có thể tra cứu lộ trình mới trên ứng dụng và tại các nhà chờ.",
    "Năm ngoái, mạng lưới xe buýt chở khoảng 250 triệu lượt khách, tăng 8 phần trăm so với năm trước đó.",
]


_FETCHERS: list[Fetcher] = []


def _collector(app: AppContext, **policy: object) -> Collector:
    fetcher = Fetcher(FetchPolicy(**{"timeout_s": 2.0, "host_interval_s": 0.0, "retries": 1, "backoff_s": 0.05,
                                     "allow_networks": (LOOPBACK,), **policy}))  # type: ignore[arg-type]  # fmt: skip
    _FETCHERS.append(fetcher)
    return Collector(app.database, app.source_store, app.inbox, fetcher)


@pytest.fixture(autouse=True)
def _close_fetchers() -> Iterator[None]:
    yield
    while _FETCHERS:
        _FETCHERS.pop().close()


def _posts(app: AppContext) -> list[dict[str, object]]:
    return [p.as_json() for p in app.post_store.iter_all()]


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as running:
        yield running


def test_feed_with_full_entries_then_conditional_get(app_context: AppContext, site: Site) -> None:
    items = [
        {"title": f"Tin {n}", "link": site.url(f"/tin-{n}"), "description": " ".join(PARAGRAPHS) + f" Bản tin số {n}."}
        for n in range(3)
    ]
    site.routes["/rss"] = Route(rss(items), headers={"Content-Type": "application/rss+xml"}, etag='"v1"')
    source = app_context.sources.add("feed", "bao-mau", site.url("/rss"))
    collector = _collector(app_context)

    first = collector.collect(source)
    assert (first.new, first.error) == (3, None)
    app_context.monitor.drain()
    posts = _posts(app_context)
    assert sorted(p["title"] for p in posts) == ["Tin 0", "Tin 1", "Tin 2"]
    assert all("250 triệu lượt khách" in str(p["text"]) for p in posts)

    second = collector.collect(app_context.source_store.get(source.id))
    assert second.new == 0
    assert site.hits("/rss")[-1].headers.get("If-None-Match") == '"v1"'
    health = app_context.source_store.get(source.id)
    assert health.last_error is None and health.items_total == 3 and health.last_success_at is not None


def test_feed_teasers_are_completed_from_their_pages(app_context: AppContext, site: Site) -> None:
    site.routes["/rss"] = Route(rss([{"title": "Xe buýt đổi lộ trình", "link": site.url("/bai-1"),
                                      "description": "Tóm tắt ngắn."}]))  # fmt: skip
    site.routes["/bai-1"] = Route(article_page("Xe buýt đổi lộ trình", PARAGRAPHS))
    source = app_context.sources.add("feed", "teasers", site.url("/rss"))
    assert _collector(app_context).collect(source).new == 1
    app_context.monitor.drain()
    [post] = _posts(app_context)
    assert "rút ngắn để giảm ùn tắc" in str(post["text"])
    assert "Bản quyền" not in str(post["text"])  # trafilatura left the footer out


def test_sitemap_index_and_news_sitemap(app_context: AppContext, site: Site) -> None:
    site.routes["/sitemap.xml"] = Route(
        f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.url('/news.xml')}</loc></sitemap></sitemapindex>".encode(),
        headers={"Content-Type": "application/xml"},
    )
    site.routes["/news.xml"] = Route(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>{site.url('/a')}</loc><news:news><news:title>Bài A</news:title>"
        f"<news:publication_date>2026-11-27T08:00:00+07:00</news:publication_date></news:news></url>"
        f"<url><loc>{site.url('/b')}</loc></url></urlset>".encode(),
        headers={"Content-Type": "application/xml"},
    )
    site.routes["/a"] = Route(article_page("Bài A", PARAGRAPHS))
    site.routes["/b"] = Route(article_page("Bài B", list(reversed(PARAGRAPHS))))
    source = app_context.sources.add("sitemap", "sitemap", site.url("/sitemap.xml"))
    assert _collector(app_context).collect(source).new == 2
    app_context.monitor.drain()
    posts = {p["title"]: p for p in _posts(app_context)}
    assert set(posts) == {"Bài A", "Bài B"}
    assert str(posts["Bài A"]["published"]).startswith("2026-11-27T01:00:00")


def test_page_source_stores_a_new_version_only_when_the_text_changes(app_context: AppContext, site: Site) -> None:
    site.routes["/trang"] = Route(article_page("Trang", PARAGRAPHS))
    source = app_context.sources.add("page", "trang", site.url("/trang"))
    collector = _collector(app_context)
    assert collector.collect(source).new == 1
    assert collector.collect(source).new == 0
    site.routes["/trang"] = Route(article_page("Trang", [*PARAGRAPHS, "Bổ sung: lộ trình tuyến 18 cũng thay đổi."]))
    assert collector.collect(source).new == 1


def test_folder_source_reads_jsonl_and_csv_keeps_bad_lines_with_reasons(
    app_context: AppContext, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    source = app_context.sources.add("folder", "drop", str(folder))
    (folder / "a.jsonl").write_text(
        '{"id": "a1", "text": "Giá xăng tăng 1.200 đồng mỗi lít từ chiều nay."}\n'
        "{not json\n"
        '{"id": "a2"}\n'
        '{"id": "a3", "text": "Hà Nội có thêm 3 tuyến buýt điện.", "published": "2026-11-27"}\n',
        encoding="utf-8",
    )
    (folder / "b.csv").write_text("id,text,url\nb1,Tin từ tệp CSV về giá điện.,http://x.invalid/b1\n", encoding="utf-8")
    report = _collector(app_context).collect(source)
    assert report.new == 3
    assert [r.split(": ", 1)[1] for r in report.rejected] == [
        "invalid JSON: Expecting property name enclosed in double quotes at column 2",
        "missing text (a non-empty string)",
    ]
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["a.jsonl", "b.csv"]
    app_context.monitor.drain()
    assert sorted(str(p["id"]) for p in _posts(app_context)) == ["a1", "a3", "b1"]
    assert len(app_context.inbox.rejected(source.id)) == 2


def test_robots_txt_is_obeyed(app_context: AppContext, site: Site) -> None:
    site.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private\n", headers={"Content-Type": "text/plain"})
    site.routes["/private/rss"] = Route(rss([]))
    source = app_context.sources.add("feed", "private", site.url("/private/rss"))
    report = _collector(app_context).collect(source)
    assert report.error and "robots.txt" in report.error
    assert not site.hits("/private/rss")


def test_requests_to_one_host_are_spaced(app_context: AppContext, site: Site) -> None:
    site.routes["/p"] = Route(article_page("P", PARAGRAPHS))
    fetcher = Fetcher(FetchPolicy(host_interval_s=0.3, obey_robots=False, allow_networks=(LOOPBACK,)))
    _FETCHERS.append(fetcher)
    for _ in range(3):
        fetcher.get(site.url("/p"))
    times = [r.at for r in site.hits("/p")]
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.28


def test_transient_errors_are_retried(app_context: AppContext, site: Site) -> None:
    answers = iter([Route(b"busy", 503), Route(rss([{"title": "T", "link": site.url("/t"),
                                                     "description": " ".join(PARAGRAPHS)}]))])  # fmt: skip
    site.routes["/rss"] = lambda request: next(answers)
    source = app_context.sources.add("feed", "flaky", site.url("/rss"))
    report = _collector(app_context).collect(source)
    assert (report.error, report.new) == (None, 1)


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (Route(b"\x00\x01\x02 garbage <<<", headers={"Content-Type": "application/rss+xml"}),
         "not a readable RSS/Atom feed"),
        (Route(b"<html><body>just a page</body></html>"), "is not an XML media type"),
        (Route(b"x" * 300_000), "larger than 200,000 bytes"),
        (Route(b"", status=404), "HTTP 404"),
        (Route(b"slow", delay_s=3.0), "timed out"),
    ],
    ids=["malformed", "not-a-feed", "huge", "missing", "slow"],
)  # fmt: skip
def test_bad_feeds_give_a_reason_and_the_source_backs_off(
    app_context: AppContext, site: Site, route: Route, reason: str
) -> None:
    site.routes["/rss"] = route
    source = app_context.sources.add("feed", "bad", site.url("/rss"), interval_s=60)
    report = _collector(app_context, max_bytes=200_000, timeout_s=1.0, retries=0).collect(source)
    assert report.error is not None and reason in report.error
    health = app_context.source_store.get(source.id)
    assert health.last_error == report.error and health.failures == 1
    assert health.next_fetch_at is not None and health.last_fetch_at is not None
    assert (health.next_fetch_at - health.last_fetch_at).total_seconds() >= 60
    assert "ERROR" in health.health_line()


def test_a_malformed_feed_read_in_part_keeps_its_entries_and_says_so(app_context: AppContext, site: Site) -> None:
    site.routes["/rss"] = Route(
        "<rss><channel><title>T</title><item><title>Giá xăng tăng</title>"
        "<description>Giá xăng tăng 1.200 đồng.</description></item><item><title>broken".encode(),
        headers={"Content-Type": "application/rss+xml"},
    )
    source = app_context.sources.add("feed", "half", site.url("/rss"))
    report = _collector(app_context).collect(source)
    assert report.error is None and report.new >= 1
    assert "malformed feed" in (app_context.source_store.get(source.id).last_error or "")


def test_redirect_loop_and_dead_server(app_context: AppContext, site: Site) -> None:
    site.routes["/loop"] = Route(b"", status=302, headers={"Location": "/loop"})
    looping = app_context.sources.add("page", "loop", site.url("/loop"))
    dead = app_context.sources.add("page", "dead", "http://127.0.0.1:9/none")
    collector = _collector(app_context, retries=0)
    assert "redirect" in (collector.collect(looping).error or "")
    assert "cannot connect" in (collector.collect(dead).error or "")


def test_broken_html_is_read_and_an_empty_page_is_an_error(app_context: AppContext, site: Site) -> None:
    broken = "<html><head><title>Hỏng</title><body><div><p>" + "<p>".join(PARAGRAPHS) + "<div><span></table></b></html"
    site.routes["/hong"] = Route(broken.encode())
    site.routes["/rong"] = Route(b"<html><body><nav>Trang ch\xe1\xbb\xa7</nav></body></html>")
    collector = _collector(app_context)
    assert collector.collect(app_context.sources.add("page", "hong", site.url("/hong"))).new == 1
    empty = collector.collect(app_context.sources.add("page", "rong", site.url("/rong")))
    assert empty.error == "no article text found on the page"


def test_legacy_windows_1258_page_is_decoded(app_context: AppContext, site: Site) -> None:
    site.routes["/cu"] = Route(
        article_page("Trang cũ", PARAGRAPHS, charset="windows-1258"),
        headers={"Content-Type": "text/html; charset=windows-1258"},
    )
    source = app_context.sources.add("page", "cu", site.url("/cu"))
    assert _collector(app_context).collect(source).new == 1
    app_context.monitor.drain()
    [post] = _posts(app_context)
    assert "Sở Giao thông vận tải thành phố" in str(post["text"])


def test_one_failing_source_does_not_stop_the_others(app_context: AppContext, site: Site) -> None:
    site.routes["/good"] = Route(rss([{"title": "G", "link": site.url("/g"), "description": " ".join(PARAGRAPHS)}]))
    site.routes["/bad"] = Route(b"oops", status=500)
    app_context.sources.add("feed", "bad", site.url("/bad"))
    app_context.sources.add("feed", "good", site.url("/good"))
    fetcher = app_context.monitor.collector.fetcher
    fetcher.policy = dataclasses.replace(fetcher.policy, retries=0, host_interval_s=0.0)
    status = app_context.monitor.run_once()
    lines = {r.source: r.line() for r in status.last_collect}
    assert "ERROR HTTP 500" in lines["bad"] and "1 new" in lines["good"]
    assert status.processed.stored == 1


def test_sources_file_sync(app_context: AppContext, tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[source]]\nname = "a"\nkind = "feed"\nurl = "https://example.org/rss"\ninterval = 600\n'
        '[[source]]\nname = "b"\nkind = "sitemap"\nurl = "https://example.org/sitemap.xml"\nmax_pages = 10\n',
        encoding="utf-8",
    )
    report = app_context.sources.sync(path)
    assert (report.added, report.updated) == (["a", "b"], [])
    path.write_text(path.read_text(encoding="utf-8").replace("600", "1200"), encoding="utf-8")
    report = app_context.sources.sync(path)
    assert (report.updated, report.unchanged) == (["a"], ["b"])
    assert app_context.source_store.find("a").interval_s == 1200
    path.write_text('[[source]]\nname = "c"\nkind = "feed"\nurl = "ftp://x"\n', encoding="utf-8")
    with pytest.raises(Exception, match="needs an http"):
        app_context.sources.sync(path)


def test_health_as_json_in_the_cli_shape(app_context: AppContext, site: Site) -> None:
    site.routes["/rss"] = Route(b"", status=500)
    source = app_context.sources.add("feed", "x", site.url("/rss"))
    _collector(app_context, retries=0).collect(source)
    health = app_context.source_store.get(source.id)
    assert json.loads(json.dumps({"error": health.last_error})) == {"error": "HTTP 500 from " + site.url("/rss")}
    assert time.time() > 0


def test_a_slow_source_does_not_hold_up_the_others(app_context: AppContext) -> None:
    """The dripping source is cut at its deadline; meanwhile the fast one is collected (sources side by side)."""
    with serve_site() as slow_site, serve_site() as fast_site:
        slow_site.routes["/rss"] = Route(rss([{"title": "Chậm", "link": slow_site.url("/c"), "description": "x"}]),
                                         drip_s=0.1)  # fmt: skip
        fast_site.routes["/rss"] = Route(rss([{"title": "Nhanh", "link": fast_site.url("/n"),
                                               "description": " ".join(PARAGRAPHS)}]))  # fmt: skip
        app_context.sources.add("feed", "slow", slow_site.url("/rss"))  # due first
        fast = app_context.sources.add("feed", "fast", fast_site.url("/rss"))
        collector = _collector(app_context, timeout_s=3.0, retries=0)
        reports: list[CollectReport] = []
        collecting = threading.Thread(target=lambda: reports.extend(collector.collect_due()))
        collecting.start()
        waited = time.monotonic()
        while app_context.source_store.get(fast.id).last_success_at is None and time.monotonic() - waited < 2.5:
            time.sleep(0.05)
        fast_done_while_slow_runs = collecting.is_alive()
        collecting.join(10)
    assert app_context.source_store.get(fast.id).items_total == 1 and fast_done_while_slow_runs
    lines = {r.source: r.line() for r in reports}
    assert lines["fast"] == "fast: 1 new, 0 seen before" and "timed out after 3 s" in lines["slow"]

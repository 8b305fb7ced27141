"""The /trends dashboard and a narrative's page in real headless Chromium (issue 12): posts imported through
the pipeline (a quiet start, then a burst two hours ago), read by a fact-checker at desktop width and on a
375-px phone screen (nothing wider than the screen), and as printed. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_ORGANISATION, DEMO_PASSWORD, set_up_demo
from kiemchung.settings import load_settings
from kiemchung.web.app import create_app
from tests.browser.test_drills_browser import PHONE, _fits
from tests.browser.test_workbench_browser import ARGS, _chromium, _shot
from tests.integration.test_narrative_trends import _import, _line, _rows

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppContext, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory: Path = tmp_path_factory.mktemp("trends")
    settings = load_settings(environ={}, data_dir=directory / "data", embedder="hashing",
                             public_url=f"http://127.0.0.1:{port}", background_embedding=False)  # fmt: skip
    context = AppContext(settings)
    context.database.migrate()
    set_up_demo(context)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    _import(settings, settings.resolved_database_url, directory, _rows(start=now - timedelta(hours=2)), "p.jsonl")
    desk = context.organisations.by_name(DEMO_ORGANISATION)
    assert desk is not None
    number = int(_line(list(context.narratives.export(desk.id)), "chanh-b0")["id"])
    config = uvicorn.Config(create_app(settings, context), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started
    yield f"http://127.0.0.1:{port}", context, number
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        yield launched
        launched.close()


def _sign_in(page: object, base: str) -> None:
    page.goto(f"{base}/login?next=/trends")  # type: ignore[attr-defined]
    page.fill("#email", "factchecker@demo.kiemchung")  # type: ignore[attr-defined]
    page.fill("#password", DEMO_PASSWORD)  # type: ignore[attr-defined]
    page.click("form[action='/login'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/trends")  # type: ignore[attr-defined]


def _read(page: object, base: str, number: int, width: int, name: str) -> None:
    page.goto(f"{base}/trends?window=7d")  # type: ignore[attr-defined]
    first = page.locator("ol.trend-list > li").first  # type: ignore[attr-defined]
    assert first.get_attribute("data-narrative") == str(number)
    assert first.locator("svg.sparkline").count() == 1 and first.locator(".bursting").count() == 1
    _fits(page, width)
    _shot(page, f"trends-01-{name}")
    with page.expect_navigation():  # type: ignore[attr-defined]
        first.locator("h2 a").click()
    assert page.url.endswith(f"/narratives/{number}")  # type: ignore[attr-defined]
    charts = page.locator("#trend svg.chart.trend")  # type: ignore[attr-defined]
    assert charts.count() == 2 and page.locator("#trend polygon.band").count() == 2  # type: ignore[attr-defined]
    box = charts.first.bounding_box()
    assert box is not None and box["width"] <= width
    _fits(page, width)
    _shot(page, f"trends-02-{name}-narrative")


def test_the_dashboard_and_a_narrative_at_desktop_and_phone_width_and_printed(
    server: tuple[str, AppContext, int], browser: object
) -> None:
    base, _context, number = server
    errors: list[str] = []
    desktop = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")  # type: ignore[attr-defined]
    desktop.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(desktop, base)
    _read(desktop, base, number, 1280, "desktop")

    phone = browser.new_page(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)  # type: ignore[attr-defined]
    phone.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(phone, base)
    _read(phone, base, number, PHONE["width"], "phone")

    desktop.emulate_media(media="print")
    desktop.goto(f"{base}/trends?window=7d")
    assert desktop.locator("header.site nav").is_hidden() and desktop.locator("form.trend-filters").is_hidden()
    assert desktop.locator("ol.trend-list > li").first.is_visible()
    _shot(desktop, "trends-03-print")
    assert errors == []

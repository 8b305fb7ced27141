"""The /trends dashboard and a narrative's page in real headless Chromium (issue 12): posts imported through
the pipeline (a quiet start, then a burst two hours ago), read by a fact-checker at desktop width and on a
375-px phone screen (nothing wider than the screen), and as printed. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_ORGANISATION
from tests.browser.harness import PHONE, demo_context, fits, free_port, launched_browser, serving, shot, sign_in
from tests.integration.test_narrative_trends import _import, _line, _rows

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppContext, int]]:
    port = free_port()
    directory: Path = tmp_path_factory.mktemp("trends")
    context = demo_context(directory / "data", port)
    settings = context.settings
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    _import(settings, settings.resolved_database_url, directory, _rows(start=now - timedelta(hours=2)), "p.jsonl")
    desk = context.organisations.by_name(DEMO_ORGANISATION)
    assert desk is not None
    number = int(_line(list(context.narratives.export(desk.id)), "chanh-b0")["id"])
    with serving(context, port) as base:
        yield base, context, number


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launched_browser(playwright_api)


def _sign_in(page: object, base: str) -> None:
    sign_in(page, base, "factchecker@demo.kiemchung", "/trends")


def _read(page: object, base: str, number: int, width: int, name: str) -> None:
    page.goto(f"{base}/trends?window=7d")  # type: ignore[attr-defined]
    first = page.locator("ol.trend-list > li").first  # type: ignore[attr-defined]
    assert first.get_attribute("data-narrative") == str(number)
    assert first.locator("svg.sparkline").count() == 1 and first.locator(".bursting").count() == 1
    fits(page, width)
    shot(page, f"trends-01-{name}")
    with page.expect_navigation():  # type: ignore[attr-defined]
        first.locator("h2 a").click()
    assert page.url.endswith(f"/narratives/{number}")  # type: ignore[attr-defined]
    charts = page.locator("#trend svg.chart.trend")  # type: ignore[attr-defined]
    assert charts.count() == 2 and page.locator("#trend polygon.band").count() == 2  # type: ignore[attr-defined]
    box = charts.first.bounding_box()
    assert box is not None and box["width"] <= width
    fits(page, width)
    shot(page, f"trends-02-{name}-narrative")


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
    shot(desktop, "trends-03-print")
    assert errors == []

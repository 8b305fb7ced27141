"""A flood (2,000 posts repeating one claim in 43 sources, issue 11 item 9) in real headless Chromium, at
desktop width and on a 375-px phone: the alerts page and the case page fit the screen, the case's bulk
buttons are on screen and work (a whole page confirmed with one click), and the pager reaches the next page.
Screenshots in test-artifacts/browser/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiemchung.app_context import AppContext
from tests.browser.harness import PHONE, demo_context, fits, free_port, launched_browser, serving, shot, sign_in
from tests.integration.test_floods import _flood

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppContext, int]]:
    port = free_port()
    context = demo_context(tmp_path_factory.mktemp("floods") / "data", port)
    case_id = _flood(context)
    with serving(context, port) as base:
        yield base, context, case_id


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launched_browser(playwright_api)


def _reachable(page: object, selector: str, width: int) -> None:
    """The element is shown, within the screen's width, and not covered at its centre."""
    element = page.locator(selector).first  # type: ignore[attr-defined]
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)
    hit = page.evaluate(  # type: ignore[attr-defined]
        "([x, y]) => document.elementFromPoint(x, y)?.closest('button, a, label, input')?.outerHTML || ''",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],  # the viewport's coordinates, as the box's
    )
    assert hit, selector


@pytest.mark.parametrize(("viewport", "number"), [(PHONE, 2), (DESKTOP, 3)], ids=["phone", "desktop"])
def test_the_flood_reads_and_is_triaged_on_a_phone_and_a_desktop(
    server: tuple[str, AppContext, int], browser: object, viewport: dict[str, int], number: int
) -> None:
    base, context, case_id = server
    width = viewport["width"]
    page = browser.new_page(viewport=viewport, locale="vi-VN")  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base, "factchecker@demo.kiemchung", "/queue")

    page.goto(f"{base}/alerts")
    assert page.locator("li.alert-group").count() <= 50
    fits(page, width)
    shot(page, f"floods-01-alerts-{width}")

    page.goto(f"{base}/cases/{case_id}?page={number}")
    fits(page, width)
    for selector in ("#bulk-review button.confirm >> nth=1", "#bulk-review button.reject >> nth=1",
                     "label.bulk-pick", "nav.pager a[rel=next]"):  # fmt: skip
        _reachable(page, selector, width)
    shot(page, f"floods-02-case-{width}")
    before = sum(1 for i in context.case_store.get(case_id).items if i.feedback)
    with page.expect_navigation():
        page.locator("#bulk-review button.confirm").nth(1).click()  # this whole page
    after = context.case_store.get(case_id).items
    assert sum(1 for i in after if i.feedback) > before
    assert f"?page={number}" in page.url
    with page.expect_navigation():
        page.locator("nav.pager a[rel=next]").first.click()
    assert f"page={number + 1}" in page.url
    fits(page, width)
    assert errors == []
    page.close()

"""The workbench in real headless Chromium (Debian's `chromium`, driven by Playwright; browsers are never
downloaded): sign in, triage a suggested match from the keyboard, attach evidence, draft a verdict, sign
off as a second reviewer, publish, open the public page and validate its JSON-LD. Screenshots are kept in
test-artifacts/browser/."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from kiemchung.app_context import AppContext
from kiemchung.domain.ratings import VIETNAMESE_DEFAULT
from tests.browser.harness import demo_context, free_port, launched_browser, serving, shot, sign_in
from tests.integration.test_workbench import validate_claimreview
from tests.servers import Site, statement_site

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppContext]]:
    port = free_port()
    context = demo_context(tmp_path_factory.mktemp("browser") / "data", port, fetch_allow_networks="127.0.0.0/8")
    with serving(context, port) as base:
        yield base, context


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launched_browser(playwright_api)


@pytest.fixture
def evidence_site() -> Iterator[Site]:
    with statement_site() as site:
        yield site


def _sign_in(page: object, base: str, email: str) -> None:
    sign_in(page, base, email, "/queue")


def test_triage_evidence_verdict_sign_off_publish_and_public_json_ld(
    server: tuple[str, AppContext], browser: object, evidence_site: Site
) -> None:
    base, context = server
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    _sign_in(page, base, "factchecker@demo.kiemchung")
    assert page.locator("#queue tbody tr").count() >= 1
    shot(page, "01-queue")

    # Triage from the keyboard: select the first row (j) and confirm its suggested match (c).
    first = page.locator("#queue tbody tr").first
    case_id = int(first.get_attribute("data-case"))
    match_id = next(i.match_id for i in context.case_store.get(case_id).items if i.match_id)
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("c")
    assert context.matching.matches.get(match_id).feedback == "accepted"

    # Open the case, attach evidence, draft the verdict.
    page.goto(f"{base}/cases/{case_id}")
    page.fill("#evidence-url", evidence_site.url("/thong-cao"))
    page.click("form:has(#evidence-url) button[type=submit]")
    page.wait_for_selector("#evidence-1")
    for _ in range(100):  # the page is archived in the background: "archiving…" until then
        if "Thông cáo của Bộ Y tế" in page.inner_text("#evidence-1"):
            break
        page.wait_for_timeout(100)
        page.reload()
    assert "Thông cáo của Bộ Y tế" in page.inner_text("#evidence-1")
    page.fill("#quote", "Chưa có nghiên cứu nào cho thấy nước chanh nóng chữa khỏi ung thư.")
    page.fill("#quote-source", "Bộ Y tế, thông cáo báo chí")
    page.click("form:has(#quote) button[type=submit]")
    page.wait_for_selector("#evidence-2")
    assert page.input_value("#rating") == ""  # no verdict chosen until someone chooses one (issue 11, item 10)
    page.click("#verdict-form button[type=submit]")  # the browser refuses it: the choice is required
    assert page.evaluate("document.querySelector('#rating').validity.valueMissing") is True
    page.select_option("#rating", "Sai")
    page.fill("#summary", "Không có bằng chứng nước chanh nóng chữa khỏi ung thư.")
    page.fill("#rebuttal", "Bộ Y tế khẳng định chưa có nghiên cứu nào như vậy [1] [2].\n"
                           "Người bệnh cần điều trị theo phác đồ [1].")  # fmt: skip
    page.click("#verdict-form button[type=submit]")
    page.wait_for_selector("ol.rebuttal li")
    assert context.case_store.get(case_id).status == "drafted"
    shot(page, "02-case-drafted")
    assert page.locator("form[action$='/publish']").count() == 0  # a fact-checker cannot publish
    page.click("form[action='/logout'] button")

    # A second reviewer signs off and publishes.
    _sign_in(page, base, "editor@demo.kiemchung")
    page.goto(f"{base}/cases/{case_id}")
    page.click("form[action$='/signoff'] button")
    page.wait_for_selector("text=Đã được duyệt")
    # The confirmed match says the case repeats an archive fact-check rated "False" (the same verdict as
    # "Sai"): publishing attaches the case to it (issue 11, item 3) instead of a second public fact-check.
    repeated = context.matching.matches.get(match_id).factcheck_id
    page.click("form[action$='/publish'] button")
    page.wait_for_url(f"{base}/factchecks/{repeated}")
    shot(page, "03-published")

    # The public page, signed out: valid ClaimReview JSON-LD, listed in the feed and the API; no kc- twin.
    public = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    public.goto(f"{base}/factchecks/{repeated}")
    data = json.loads(public.locator("script[type='application/ld+json']").inner_text())
    # an archive record names no publisher (the JSON Lines format has no field for one: issue 11, item 6),
    # so its ClaimReview has no author; every other required field is checked
    assert "author" not in data
    validate_claimreview({**data, "author": {"@type": "Organization", "name": "(archive record)"}})
    shot(public, "04-public-page-mobile")
    assert repeated in public.goto(f"{base}/feed.xml").text()
    api = json.loads(public.goto(f"{base}/api/v1/factchecks/{repeated}").text())
    assert VIETNAMESE_DEFAULT.same_verdict(api["rating"]["label"], "Sai")
    assert public.goto(f"{base}/api/v1/factchecks/kc-{case_id}").status == 404
    assert errors == []
    public.close()
    page.close()


def test_the_signed_in_pages_fit_a_375_px_phone(server: tuple[str, AppContext], browser: object) -> None:
    """Issue 11, item 16: the signed-in header and the queue fit a phone (no horizontal scroll), and every
    button of the queue is within the screen's width."""
    base, _ = server
    page = browser.new_page(viewport={"width": 375, "height": 740}, locale="vi-VN", is_mobile=True,  # type: ignore[attr-defined]
                            has_touch=True)  # fmt: skip
    _sign_in(page, base, "factchecker@demo.kiemchung")
    for path in ("/queue", "/alerts", "/sources", "/status", "/"):
        page.goto(f"{base}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width} px wide on a 375-px screen"
    page.goto(f"{base}/queue")
    shot(page, "05-queue-phone")
    buttons = page.locator("main button:visible")
    assert buttons.count() > 0
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    page.close()

"""The workbench in real headless Chromium (Debian's `chromium`, driven by Playwright; browsers are never
downloaded): sign in, triage a suggested match from the keyboard, attach evidence, draft a verdict, sign
off as a second reviewer, publish, open the public page and validate its JSON-LD. Screenshots are kept in
test-artifacts/browser/."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_PASSWORD, set_up_demo
from kiemchung.domain.ratings import VIETNAMESE_DEFAULT
from kiemchung.settings import load_settings
from kiemchung.web.app import create_app
from tests.integration.test_workbench import validate_claimreview
from tests.servers import Route, Site, article_page, serve_site

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("KIEMCHUNG_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


def _chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI (scripts/install-system-deps.sh installs it)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppContext]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = load_settings(environ={}, data_dir=tmp_path_factory.mktemp("browser") / "data", embedder="hashing",
                             public_url=f"http://127.0.0.1:{port}", background_embedding=False,
                             fetch_allow_networks="127.0.0.0/8")  # fmt: skip
    context = AppContext(settings)
    context.database.migrate()
    set_up_demo(context)
    config = uvicorn.Config(create_app(settings, context), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started
    yield f"http://127.0.0.1:{port}", context
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def evidence_site() -> Iterator[Site]:
    with serve_site() as site:
        site.routes["/thong-cao"] = Route(article_page("Thông cáo của Bộ Y tế", [
            "Bộ Y tế khẳng định chưa có nghiên cứu nào cho thấy nước chanh nóng chữa khỏi ung thư.",
            "Người bệnh cần điều trị theo phác đồ tại cơ sở y tế, không tự ý bỏ thuốc.",
            "Các bác sĩ khuyến cáo người dân cảnh giác với thông tin sai lệch trên mạng xã hội.",
        ]))  # fmt: skip
        yield site


def _shot(page: object, name: str) -> None:
    ARTIFACTS.joinpath("browser").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser" / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _sign_in(page: object, base: str, email: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("#email", email)  # type: ignore[attr-defined]
    page.fill("#password", DEMO_PASSWORD)  # type: ignore[attr-defined]
    page.click("form[action='/login'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/queue")  # type: ignore[attr-defined]


def test_triage_evidence_verdict_sign_off_publish_and_public_json_ld(
    server: tuple[str, AppContext], browser: object, evidence_site: Site
) -> None:
    base, context = server
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    _sign_in(page, base, "factchecker@demo.kiemchung")
    assert page.locator("#queue tbody tr").count() >= 1
    _shot(page, "01-queue")

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
    page.select_option("#rating", "Sai")
    page.fill("#summary", "Không có bằng chứng nước chanh nóng chữa khỏi ung thư.")
    page.fill("#rebuttal", "Bộ Y tế khẳng định chưa có nghiên cứu nào như vậy [1] [2].\n"
                           "Người bệnh cần điều trị theo phác đồ [1].")  # fmt: skip
    page.click("#verdict-form button[type=submit]")
    page.wait_for_selector("ol.rebuttal li")
    assert context.case_store.get(case_id).status == "drafted"
    _shot(page, "02-case-drafted")
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
    _shot(page, "03-published")

    # The public page, signed out: valid ClaimReview JSON-LD, listed in the feed and the API; no kc- twin.
    public = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    public.goto(f"{base}/factchecks/{repeated}")
    data = json.loads(public.locator("script[type='application/ld+json']").inner_text())
    # an archive record names no publisher (the JSON Lines format has no field for one: issue 11, item 6),
    # so its ClaimReview has no author; every other required field is checked
    assert "author" not in data
    validate_claimreview({**data, "author": {"@type": "Organization", "name": "(archive record)"}})
    _shot(public, "04-public-page-mobile")
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
    _shot(page, "05-queue-phone")
    buttons = page.locator("main button:visible")
    assert buttons.count() > 0
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    page.close()

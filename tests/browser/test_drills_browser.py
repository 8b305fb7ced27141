"""Training drills in real headless Chromium (issue 15): an editor reviews and readies a drill; a trainee
takes the whole drill at desktop width, answering from the keyboard; another takes it on a 375-px phone
screen (nothing wider than the screen); then the editor's cohort view lists both. Screenshots are kept in
test-artifacts/browser/."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_PASSWORD, set_up_demo
from kiemchung.domain.accounts import Actor
from kiemchung.services.drills import DrillOptions
from kiemchung.settings import load_settings
from kiemchung.web.app import create_app
from tests.browser.test_workbench_browser import ARGS, _chromium, _shot
from tests.integration.test_drills import FALSE_CLAIMS, TRUE_CLAIMS, _publish

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppContext, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = load_settings(environ={}, data_dir=tmp_path_factory.mktemp("drills") / "data", embedder="hashing",
                             public_url=f"http://127.0.0.1:{port}", background_embedding=False)  # fmt: skip
    context = AppContext(settings)
    context.database.migrate()
    set_up_demo(context)
    editor = context.account_store.user_by_email("editor@demo.kiemchung")
    assert editor is not None
    _publish(context, editor.organisation_id, "a", FALSE_CLAIMS)
    _publish(context, editor.organisation_id, "t", [(claim, "Đúng") for claim in TRUE_CLAIMS])
    actor = Actor("editor", editor.organisation_id, user_id=editor.id)
    drill = context.drills.assemble(actor, DrillOptions("Buổi tập huấn", size=10, seed=11)).drill
    config = uvicorn.Config(create_app(settings, context), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started
    yield f"http://127.0.0.1:{port}", context, drill.id
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        yield launched
        launched.close()


def _sign_in(page: object, base: str, email: str) -> None:
    page.goto(f"{base}/login?next=/drills")  # type: ignore[attr-defined]
    page.fill("#email", email)  # type: ignore[attr-defined]
    page.fill("#password", DEMO_PASSWORD)  # type: ignore[attr-defined]
    page.click("form[action='/login'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/drills")  # type: ignore[attr-defined]


def _fits(page: object, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    wide = page.evaluate(  # type: ignore[attr-defined]
        f"[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > {width})"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert scroll <= width, f"{page.url}: {scroll} px wide on a {width}-px screen: {wide}"  # type: ignore[attr-defined]


def _take(page: object, base: str, drill_id: int, keyboard: bool, width: int, name: str) -> int:
    """Take the whole drill; the number of items answered."""
    page.goto(f"{base}/drills/{drill_id}")  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.click("form[action$='/take'] button[type=submit]")  # type: ignore[attr-defined]
    answered = 0
    while "/take" in page.url:  # type: ignore[attr-defined]
        _fits(page, width)
        if answered == 0:
            _shot(page, f"{name}-item")
        if keyboard:  # from the first verdict (autofocus; focused here as a Tab would): arrows choose, Tab moves
            page.focus("input[name=verdict]")  # type: ignore[attr-defined]
            for key in ("ArrowRight", "Tab", "ArrowRight", "Tab", "Tab"):
                page.keyboard.press(key)  # type: ignore[attr-defined]
            with page.expect_navigation():  # type: ignore[attr-defined]
                page.keyboard.press("Enter")  # type: ignore[attr-defined]
        else:
            page.check("input[name=verdict][value='Đúng']")  # type: ignore[attr-defined]
            page.check("input[name=confidence][value='90']")  # type: ignore[attr-defined]
            page.select_option("select[name=technique]", "scam")  # type: ignore[attr-defined]
            with page.expect_navigation():  # type: ignore[attr-defined]
                page.click("form.drill-form button[type=submit]")  # type: ignore[attr-defined]
        assert "/feedback/" in page.url and page.locator("[role=status]").count() == 1  # type: ignore[attr-defined]
        _fits(page, width)
        if answered == 0:
            _shot(page, f"{name}-feedback")
        answered += 1
        with page.expect_navigation():  # type: ignore[attr-defined]
            page.click("#drill-next")  # type: ignore[attr-defined]
    assert page.url.endswith(f"/drills/{drill_id}/results")  # type: ignore[attr-defined]
    _fits(page, width)
    _shot(page, f"{name}-results")
    return answered


def test_a_drill_taken_at_desktop_and_phone_width_then_the_cohort(
    server: tuple[str, AppContext, int], browser: object
) -> None:
    base, context, drill_id = server
    errors: list[str] = []
    editor = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")  # type: ignore[attr-defined]
    editor.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(editor, base, "editor@demo.kiemchung")
    editor.goto(f"{base}/drills/{drill_id}")
    assert editor.locator("ol.drill-review li").count() == 10
    _shot(editor, "drill-01-review")
    with editor.expect_navigation():
        editor.click("form[action$='/ready'] button")
    assert context.drills.store.get(drill_id).status == "ready"  # type: ignore[union-attr]

    desktop = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")  # type: ignore[attr-defined]
    desktop.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(desktop, base, "factchecker@demo.kiemchung")
    assert _take(desktop, base, drill_id, keyboard=True, width=1280, name="drill-02-desktop") == 10
    assert desktop.locator("table.drill-mine tbody tr").count() == 1
    assert desktop.locator("table.drill-cohort").count() == 0  # a trainee sees only their own results

    phone = browser.new_page(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)  # type: ignore[attr-defined]
    phone.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(phone, base, "viewer@demo.kiemchung")
    assert _take(phone, base, drill_id, keyboard=False, width=PHONE["width"], name="drill-03-phone") == 10

    editor.goto(f"{base}/drills/{drill_id}/results")
    rows = editor.locator("table.drill-cohort tbody tr")
    assert rows.count() == 3  # two trainees and the mean
    names = rows.all_inner_texts()
    assert any("Kiểm chứng viên Demo" in row for row in names) and any("Người xem Demo" in row for row in names)
    _shot(editor, "drill-04-cohort")
    assert errors == []

"""Training drills in real headless Chromium (issue 15): an editor reviews and readies a drill; a trainee
takes the whole drill at desktop width, answering from the keyboard; another takes it on a 375-px phone
screen (nothing wider than the screen); then the editor's cohort view lists both. Screenshots are kept in
test-artifacts/browser/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import Actor
from kiemchung.services.drills import DrillOptions
from tests.browser.harness import PHONE, demo_context, fits, free_port, launched_browser, serving, shot, sign_in
from tests.integration.test_drills import FALSE_CLAIMS, TRUE_CLAIMS, _publish

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppContext, int]]:
    port = free_port()
    context = demo_context(tmp_path_factory.mktemp("drills") / "data", port)
    editor = context.account_store.user_by_email("editor@demo.kiemchung")
    assert editor is not None
    _publish(context, editor.organisation_id, "a", FALSE_CLAIMS)
    _publish(context, editor.organisation_id, "t", [(claim, "Đúng") for claim in TRUE_CLAIMS])
    actor = Actor("editor", editor.organisation_id, user_id=editor.id)
    drill = context.drills.assemble(actor, DrillOptions("Buổi tập huấn", size=10, seed=11)).drill
    with serving(context, port) as base:
        yield base, context, drill.id


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launched_browser(playwright_api)


def _sign_in(page: object, base: str, email: str) -> None:
    sign_in(page, base, email, "/drills")


def _take(page: object, base: str, drill_id: int, keyboard: bool, width: int, name: str) -> int:
    """Take the whole drill; the number of items answered."""
    page.goto(f"{base}/drills/{drill_id}")  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.click("form[action$='/take'] button[type=submit]")  # type: ignore[attr-defined]
    answered = 0
    while "/take" in page.url:  # type: ignore[attr-defined]
        fits(page, width)
        if answered == 0:
            shot(page, f"{name}-item")
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
        fits(page, width)
        if answered == 0:
            shot(page, f"{name}-feedback")
        answered += 1
        with page.expect_navigation():  # type: ignore[attr-defined]
            page.click("#drill-next")  # type: ignore[attr-defined]
    assert page.url.endswith(f"/drills/{drill_id}/results")  # type: ignore[attr-defined]
    fits(page, width)
    shot(page, f"{name}-results")
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
    shot(editor, "drill-01-review")
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
    shot(editor, "drill-04-cohort")
    assert errors == []

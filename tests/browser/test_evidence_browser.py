"""The evidence assistant in real headless Chromium (issue 14): a fact-checker imports documents on /evidence
(a .jsonl upload, the summary shown), opens a case, sees the suggested evidence — marked as a suggestion, with
the sentence's stance and its "number differs" flag — adds one sentence with one click and finds it in the
case's evidence, drafts the rebuttal from it ("Draft from evidence": the suggested rating chosen, the sentence
cited [1]) and saves it; the case page fits a 375-px phone screen. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import Actor
from tests.browser.harness import PHONE, demo_context, fits, free_port, launched_browser, serving, shot, sign_in
from tests.evidence_files import DOCS, ELECTRICITY_CLAIM, ELECTRICITY_SENTENCE, jsonl

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppContext, int, Path]]:
    port = free_port()
    directory: Path = tmp_path_factory.mktemp("evidence")
    context = demo_context(directory / "data", port)
    user = context.account_store.user_by_email("factchecker@demo.kiemchung")
    assert user is not None
    case = context.cases.open_case(Actor("factchecker", user.organisation_id, user.id), ELECTRICITY_CLAIM)
    library = directory / "thu-vien.jsonl"
    library.write_text(jsonl(DOCS), encoding="utf-8")
    with serving(context, port) as base:
        yield base, context, case.id, library


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launched_browser(playwright_api)


def test_import_see_the_suggestion_on_the_case_and_add_a_sentence_in_one_click(
    server: tuple[str, AppContext, int, Path], browser: object
) -> None:
    base, context, case_id, library = server
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base, "factchecker@demo.kiemchung", "/evidence")
    page.set_input_files("#evidence-file", str(library))
    with page.expect_navigation():
        page.click("form[action='/evidence/import'] button[type=submit]")
    summary = page.locator(".import-summary")
    assert "thu-vien.jsonl: thêm 3, cập nhật 0, không đổi 0, lỗi 0" in summary.inner_text()
    assert page.locator("table.evidence-documents tr[data-document]").count() == 3
    shot(page, "evidence-01-imported")

    page.goto(f"{base}/cases/{case_id}")
    block = page.locator("section.suggested-evidence")
    assert block.locator("h2").inner_text() == "Bằng chứng gợi ý"
    assert "không phải kết luận" in block.locator(".suggestion-note").inner_text()
    assert block.locator(".suggested-verdict strong").inner_text() in {"có cơ sở", "bị bác bỏ", "chưa đủ thông tin"}
    item = block.locator("li", has_text=ELECTRICITY_SENTENCE)
    assert item.locator(".flag-number_mismatch").inner_text() == "số liệu khác"
    assert item.locator(".stance").count() == 1
    assert item.locator("a").get_attribute("href") == "https://evn.com.vn/gia-dien-2026"
    shot(page, "evidence-02-suggested")
    with page.expect_navigation():
        item.locator("button", has_text="Thêm vào bằng chứng").click()
    assert page.url.startswith(f"{base}/cases/{case_id}")
    assert page.locator("p.flash").inner_text() == "Đã thêm câu vào bằng chứng"
    added = page.locator("ol.evidence li")
    assert added.count() == 1 and ELECTRICITY_SENTENCE in added.first.inner_text()
    assert "https://evn.com.vn/gia-dien-2026" in added.first.inner_text()
    suggested = page.locator("section.suggested-evidence li", has_text=ELECTRICITY_SENTENCE)
    assert suggested.locator(".tag").inner_text() == "đã có trong bằng chứng"
    shot(page, "evidence-03-accepted")
    assert [e.action for e in context.audit.entries(None, 2)] == ["evidence.accept", "evidence.add"]

    # "Draft from evidence": the verdict form comes back with the rebuttal written from the accepted sentence
    # (cited [1]) and the suggested rating chosen; nothing is saved until the fact-checker saves it.
    suggested_rating = page.locator(".suggested-rating").inner_text()
    version = context.case_store.get(case_id).version
    with page.expect_navigation():
        page.click("#verdict-form button.draft-from-evidence")  # the rebuttal is empty: no browser validation stops it
    assert "Đã soạn nháp phản bác" in page.locator("p.flash").inner_text()
    draft = page.locator("#rebuttal").input_value().splitlines()
    assert draft[0] == f"Nhận định “{ELECTRICITY_CLAIM}”: kết luận gợi ý là {suggested_rating}."
    assert draft[1].startswith("Theo Tập đoàn Điện lực Việt Nam (10/10/2026), ") and draft[1].endswith(". [1]")
    assert page.locator("#rating").input_value() == suggested_rating
    assert context.case_store.get(case_id).version == version  # nothing saved
    shot(page, "evidence-05-drafted")
    with page.expect_navigation():
        page.click("#verdict-form button[type=submit]:not(.draft-from-evidence)")
    saved = context.case_store.get(case_id)
    assert saved.rating_label == suggested_rating and [s["cites"] for s in saved.rebuttal] == [[], [1]]
    assert page.locator("ol.rebuttal a[href='#evidence-1']").count() == 1

    phone = browser.new_page(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)  # type: ignore[attr-defined]
    phone.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(phone, base, "factchecker@demo.kiemchung", f"/cases/{case_id}")
    fits(phone, PHONE["width"])
    shot(phone, "evidence-04-phone")
    phone.goto(f"{base}/evidence?q={ELECTRICITY_CLAIM}")
    assert ELECTRICITY_SENTENCE in phone.locator("ol.evidence-results").inner_text()
    fits(phone, PHONE["width"])
    assert errors == []

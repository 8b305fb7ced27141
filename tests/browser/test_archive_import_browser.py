"""A newsroom's first day in real headless Chromium (issue 11, items 12 and 13): on a fresh installation (one
admin, nothing else) the queue says what to do next; the admin follows "Import your fact-check archive", uploads
a small JSON Lines file with one bad line, watches the import's page (it reloads itself until done) and reads the
counts and the rejected line with its number and reason; back on the queue the import step is gone. The pages
fit a 375-px phone screen. Screenshots in test-artifacts/browser/; the README's small ones in
test-artifacts/readme/, or in docs/screenshots/ when KIEMCHUNG_UPDATE_SCREENSHOTS=1 (to refresh them on purpose:
a test run leaves the working tree as it found it)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_PASSWORD
from kiemchung.settings import load_settings
from tests.browser.harness import ARTIFACTS, PHONE, fits, free_port, launched_browser, serving, shot, sign_in

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
DOCS_SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("KIEMCHUNG_UPDATE_SCREENSHOTS") == "1"
    else ARTIFACTS / "readme"
)
ADMIN = "admin@toasoan.example"
RECORDS = [
    {"id": "ts-001", "claim": "Uống nước chanh nóng chữa khỏi ung thư", "rating": "Sai"},
    {"id": "ts-003", "claim": "Giá điện tăng gấp đôi từ tháng sau", "rating": "Gây hiểu lầm"},
]
BROKEN = '{"id": "ts-002", "claim": "thiếu dấu ngoặc"'  # line 2: not valid JSON; the file has no final line break
ARCHIVE = "\n".join([json.dumps(RECORDS[0], ensure_ascii=False), BROKEN, json.dumps(RECORDS[1], ensure_ascii=False)])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppContext, Path]]:
    """A fresh installation: a migrated database and one admin, nothing else."""
    port = free_port()
    directory: Path = tmp_path_factory.mktemp("fresh")
    settings = load_settings(environ={}, data_dir=directory / "data", embedder="hashing",
                             public_url=f"http://127.0.0.1:{port}", background_embedding=False)  # fmt: skip
    context = AppContext(settings)
    context.database.migrate()
    context.accounts.create_user("Toà soạn Mới", ADMIN, "Quản trị", "admin", DEMO_PASSWORD)
    archive = directory / "kho-kiem-chung.jsonl"
    archive.write_text(ARCHIVE, encoding="utf-8")
    with serving(context, port) as base:
        yield base, context, archive
    context.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launched_browser(playwright_api)


def docs_shot(page: object, name: str) -> None:
    """A small screenshot (the window, not the whole page) for the README."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def test_a_fresh_install_leads_to_an_archive_import_and_its_report(
    server: tuple[str, AppContext, Path], browser: object
) -> None:
    base, context, archive = server
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1000, "height": 640}, locale="vi-VN")  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base, ADMIN, "/queue")
    steps = page.locator("section.next-steps")
    assert steps.locator("h2").inner_text() == "Bắt đầu"
    assert steps.locator("li a").all_inner_texts() == ["Nhập kho bài kiểm chứng", "Thêm nguồn theo dõi",
                                                       "Mời đồng nghiệp"]  # fmt: skip
    shot(page, "import-01-fresh-queue")
    docs_shot(page, "onboarding-queue")

    with page.expect_navigation():
        steps.locator("a", has_text="Nhập kho bài kiểm chứng").click()
    assert page.url == f"{base}/archive/import"
    page.set_input_files("#archive-file", str(archive))
    with page.expect_navigation():
        page.click("#archive-import-form button[type=submit]")
    assert page.url.startswith(f"{base}/archive/import/")
    page.wait_for_selector(".import-progress[data-state='done']", timeout=30_000)  # it reloads itself until done
    assert page.locator(".import-summary").inner_text().startswith("Đã nhập 2 bài, loại 1 dòng, 0 ghi chú.")
    assert page.locator(".import-progress .lines").inner_text() == "3 / 3 dòng"
    rejected = page.locator("table.import-rejected tbody tr")
    assert rejected.count() == 1
    assert rejected.locator("td").first.inner_text() == "2"
    assert rejected.locator("td").nth(1).inner_text().startswith("invalid JSON")
    shot(page, "import-02-report")
    docs_shot(page, "archive-import-report")

    page.goto(f"{base}/queue")
    remaining = page.locator("section.next-steps li a").all_inner_texts()
    assert remaining == ["Thêm nguồn theo dõi", "Mời đồng nghiệp"]
    docs_shot(page, "onboarding-after-import")
    page.goto(f"{base}/")
    assert page.locator("ul.factchecks li").count() == 2
    assert [e.action for e in context.audit.entries(None, 2)] == ["archive.import_finished", "archive.import"]

    phone = browser.new_page(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)  # type: ignore[attr-defined]
    phone.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(phone, base, ADMIN, "/archive/import")
    fits(phone, PHONE["width"])
    phone.locator("table.archive-imports a").first.click()
    phone.wait_for_selector(".import-progress[data-state='done']")
    fits(phone, PHONE["width"])
    shot(phone, "import-03-phone-report")
    assert errors == []

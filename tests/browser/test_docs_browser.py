"""/docs in real headless Chromium (issue 11, item 5): the API page reads our OpenAPI 3.1 document and lists
the operations, with no "Unable to render this definition" box, from assets served by the app itself (no
request leaves the loopback address). Screenshot in test-artifacts/browser/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiemchung.app_context import AppContext
from kiemchung.settings import load_settings
from tests.browser.harness import free_port, launched_browser, serving, shot

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    settings = load_settings(environ={}, data_dir=tmp_path_factory.mktemp("docs") / "data", embedder="hashing",
                             background_embedding=False)  # fmt: skip
    context = AppContext(settings)
    context.database.migrate()
    with serving(context, port) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launched_browser(playwright_api)


def test_docs_lists_the_operations_of_the_openapi_3_1_document(base: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: None if request.url.startswith(base) else outside.append(request.url))
    page.goto(f"{base}/docs")
    match = page.locator(".opblock-post:has([data-path='/api/v1/match'])")
    match.first.wait_for(timeout=15_000)
    assert page.locator(".opblock").count() > 20
    assert page.get_by_text("Unable to render this definition").count() == 0
    assert page.locator(".errors-wrapper").count() == 0
    assert "OAS 3.1" in page.locator(".info .version-stamp").inner_text()
    shot(page, "docs-01-swagger")
    assert not errors and not outside, (errors, outside)

"""What every browser test shares: Debian's Chromium driven by Playwright (never downloaded), a demo
installation served by uvicorn on a free loopback port, signing in, screenshots and the phone-width check."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_PASSWORD, set_up_demo
from kiemchung.settings import load_settings
from kiemchung.web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("KIEMCHUNG_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip
PHONE = {"width": 375, "height": 740}


def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI (scripts/install-system-deps.sh installs it)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def demo_context(data_dir: Path, port: int, **overrides: object) -> AppContext:
    """A migrated demo installation (hashing embedder) whose public address is the served port."""
    settings = load_settings(environ={}, data_dir=data_dir, embedder="hashing", public_url=f"http://127.0.0.1:{port}",
                             background_embedding=False, **overrides)  # type: ignore[arg-type]  # fmt: skip
    context = AppContext(settings)
    context.database.migrate()
    set_up_demo(context)
    return context


@contextmanager
def serving(context: AppContext, port: int) -> Iterator[str]:
    """The app served on the port in a thread, for the block; yields its base URL."""
    config = uvicorn.Config(create_app(context.settings, context), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(10)


def launched_browser(playwright_api: object) -> Iterator[object]:
    with playwright_api.sync_playwright() as p:  # type: ignore[attr-defined]
        launched = p.chromium.launch(executable_path=chromium(), args=ARGS)
        yield launched
        launched.close()


def sign_in(page: object, base: str, email: str, landing: str = "/queue") -> None:
    page.goto(f"{base}/login?next={landing}")  # type: ignore[attr-defined]
    page.fill("#email", email)  # type: ignore[attr-defined]
    page.fill("#password", DEMO_PASSWORD)  # type: ignore[attr-defined]
    page.click("form[action='/login'] button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}{landing}")  # type: ignore[attr-defined]


def shot(page: object, name: str) -> None:
    ARTIFACTS.joinpath("browser").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser" / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def fits(page: object, width: int) -> None:
    """Nothing on the page is wider than the screen (the widest elements named when something is)."""
    scroll = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    wide = page.evaluate(  # type: ignore[attr-defined]
        f"[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > {width})"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert scroll <= width, f"{page.url}: {scroll} px wide on a {width}-px screen: {wide}"  # type: ignore[attr-defined]

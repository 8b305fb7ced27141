"""Issue 11, items 1 and 2: every link to a fact-check opens, and published links use the address people
reach (the served host and port unless KIEMCHUNG_PUBLIC_URL says otherwise)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import Actor
from kiemchung.errors import ConfigError
from kiemchung.services.archive import import_files
from kiemchung.settings import Settings, load_settings
from kiemchung.store.alerts import AlertStore, NewAlert
from kiemchung.store.posts import NewPost, PostStore
from kiemchung.web.app import create_app

SOURCE_URL = "https://factcheck.example/kiem-chung/uong-nuoc-chanh-nong-chua-ung-thu/"
THIRD_PARTY = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": SOURCE_URL,
    "claimReviewed": "Uống nước chanh nóng mỗi sáng chữa khỏi ung thư",
    "author": {"@type": "Organization", "name": "Báo Ví Dụ", "url": "https://factcheck.example/"},
    "reviewRating": {"@type": "Rating", "ratingValue": 1, "bestRating": 5, "worstRating": 1, "alternateName": "Sai"},
}


def _import_markup(app_context: AppContext, tmp_path: Path) -> str:
    markup = tmp_path / "third-party.json"
    markup.write_text(json.dumps([THIRD_PARTY], ensure_ascii=False), encoding="utf-8")
    report = import_files(app_context.factcheck_store, [markup])
    assert report.ok and report.imported == 1
    (only,) = app_context.factcheck_store.iter_all()
    return only.id


def _repeat_alert(app_context: AppContext, factcheck_id: str) -> dict[str, Any]:
    """The repeat alert a post raised on the fact-check, as the pipeline's last stage stores it, as sent."""
    source = app_context.sources.ensure("push", "partner")
    text = "Ae ơi, uống nước chanh nóng mỗi sáng chữa khỏi ung thư nhé!"
    post = NewPost("p1", source.id, text, None, None, None, "vi", None, "h1", None, None, b"")
    with app_context.database.write() as connection:
        PostStore.insert(connection, post)
        AlertStore.add(connection, [NewAlert("repeat", "repeat:p1", "p1", factcheck_id, text, 0.9)])
    (alert,) = app_context.alert_store.recent(kind="repeat")
    return alert.as_json(app_context.settings.base_url)


def test_imported_markup_without_identifier_opens_everywhere(app_context: AppContext, tmp_path: Path) -> None:
    factcheck_id = _import_markup(app_context, tmp_path)
    assert factcheck_id.startswith("cr-uong-nuoc-chanh-nong-chua-ung-thu-") and "/" not in factcheck_id
    assert _import_markup(app_context, tmp_path) == factcheck_id  # stable: the same markup, the same row
    client = TestClient(create_app(app_context.settings, app_context))

    page = client.get(f"/factchecks/{factcheck_id}")
    assert page.status_code == 200 and "Uống nước chanh nóng" in page.text and SOURCE_URL in page.text
    record = client.get(f"/api/v1/factchecks/{factcheck_id}")
    assert record.status_code == 200 and record.json()["url"] == SOURCE_URL
    assert client.get(f"/api/v1/factchecks/{factcheck_id}/claimreview").json()["url"] == SOURCE_URL
    listed = client.get("/").text
    assert f'href="/factchecks/{factcheck_id}"' in listed

    link = _repeat_alert(app_context, factcheck_id)["factcheck"]["link"]
    assert client.get(urlsplit(link).path).status_code == 200

    feed = client.get("/feed.xml").text
    assert f"/factchecks/{factcheck_id}</id>" in feed


# --- item 2: published links use the address people reach -------------------------------------------------

PASSWORD = "a long password"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _signed_in(context: AppContext, email: str) -> TestClient:
    client = TestClient(create_app(context.settings, context))
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    client.post("/login", data={"email": email, "password": PASSWORD, "login_csrf": token.group(1)})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/queue").text)
    assert csrf
    client.headers["X-CSRF-Token"] = csrf.group(1)
    return client


@pytest.fixture
def served_on_9555(settings: Settings, database_url: str) -> Iterator[AppContext]:
    """The app as `kiemchung serve --port 9555` builds it, KIEMCHUNG_PUBLIC_URL unset."""
    context = AppContext(settings.with_overrides(database_url=database_url, port=9555))
    context.database.migrate()
    yield context
    context.close()


def test_published_links_default_to_the_served_port(served_on_9555: AppContext, tmp_path: Path) -> None:
    context = served_on_9555
    base = "http://127.0.0.1:9555"
    assert context.settings.public_url == "" and context.settings.base_url == base
    admin = context.accounts.create_user("Tòa soạn", "admin@toasoan.example", "Quản trị", "admin", PASSWORD)
    editor = Actor("admin", admin.organisation_id, user_id=admin.id, name="Quản trị")
    case = context.cases.open_case(editor, "Uống nước chanh nóng mỗi sáng chữa khỏi ung thư")
    case = context.cases.draft_verdict(editor, case.id, case.version, "Sai", "Tóm tắt.", "Không đúng.", False)
    factcheck_id = context.cases.publish(editor, case.id, case.version).factcheck.id

    client = _signed_in(context, "admin@toasoan.example")
    review = client.get(f"/api/v1/factchecks/{factcheck_id}/claimreview").json()
    assert review["url"] == f"{base}/factchecks/{factcheck_id}" and review["author"]["url"] == base
    page = client.get(f"/factchecks/{factcheck_id}").text
    assert f'href="{base}/factchecks/{factcheck_id}"' in page  # "Nguồn"
    feed = client.get("/feed.xml").text
    assert f'<link rel="self" href="{base}/feed.xml"/>' in feed and f"{base}/factchecks/{factcheck_id}" in feed
    invite = client.post("/api/v1/invites", json={"email": "moi@toasoan.example", "role": "viewer"})
    assert invite.status_code == 201 and invite.json()["link"].startswith(f"{base}/invite/")
    alert = _repeat_alert(context, factcheck_id)
    assert alert["factcheck"]["link"] == f"{base}/factchecks/{factcheck_id}" and alert["link"].startswith(base)
    assert ":8000" not in page + feed


def test_a_set_public_url_wins_and_a_guess_is_flagged_only_off_loopback() -> None:
    assert load_settings({}, port=8123).base_url == "http://127.0.0.1:8123"
    chosen = load_settings({"KIEMCHUNG_PUBLIC_URL": "https://kiemchung.example/"}, port=8123)
    assert chosen.base_url == "https://kiemchung.example" and not chosen.public_url_guessed
    assert not load_settings({}, host="localhost").public_url_guessed
    assert not load_settings({}, host="::1").public_url_guessed
    wildcard = load_settings({}, host="0.0.0.0", port=8123)
    assert wildcard.public_url_guessed and wildcard.base_url == f"http://{socket.gethostname()}:8123"
    assert load_settings({}, host="192.0.2.7").public_url_guessed
    with pytest.raises(ConfigError, match="KIEMCHUNG_PUBLIC_URL"):
        load_settings({"KIEMCHUNG_PUBLIC_URL": "kiemchung.example"})


def test_serve_publishes_links_on_the_port_it_serves(tmp_path: Path) -> None:
    """`kiemchung serve --port P` without KIEMCHUNG_PUBLIC_URL: the Atom feed links to port P, and serving on
    loopback prints no warning."""
    port = _free_port()
    base = [sys.executable, "-m", "kiemchung", "--data-dir", str(tmp_path / "data")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIEMCHUNG_")} | {"KIEMCHUNG_EMBEDDER": "hashing"}
    markup = tmp_path / "third-party.json"
    markup.write_text(json.dumps([THIRD_PARTY], ensure_ascii=False), encoding="utf-8")
    subprocess.run([*base, "init"], check=True, capture_output=True, env=env, timeout=120)
    subprocess.run([*base, "factchecks", "import", str(markup)], check=True, capture_output=True, env=env, timeout=120)
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen([*base, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        feed = _get_when_up(f"http://127.0.0.1:{port}/feed.xml", server, log_path)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert f'<link rel="self" href="http://127.0.0.1:{port}/feed.xml"/>' in feed
    assert f'<link href="http://127.0.0.1:{port}/factchecks/cr-uong-nuoc-chanh' in feed
    assert "warning" not in log_path.read_text(errors="replace")


def _get_when_up(url: str, server: subprocess.Popen[bytes], log_path: Path) -> str:
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(url, timeout=5).text
        except httpx.TransportError:
            assert server.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, "server did not start within 60 s"
            time.sleep(0.2)

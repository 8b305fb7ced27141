"""A server that never freezes (issue 10, findings 3 and 10), over real HTTP on loopback:

- a body over its limit is refused with 413 before it is read (declared length) or as soon as it passes the
  limit (chunked), uploads included;
- public matching: a small batch for anonymous callers, a budget per client (429 with Retry-After), and one
  anonymous batch at a time, so a partner is never queued behind a crowd of anonymous batches;
- the event loop never waits on blocking work: a slow evidence URL is archived in the background, and
  /healthz answers meanwhile.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_PASSWORD, set_up_demo
from kiemchung.services.rate import MatchBudgets
from kiemchung.settings import Settings
from kiemchung.web.app import create_app
from tests.integration.test_workbench import _client
from tests.servers import Route, Site, article_page, serve_app, serve_site

UPLOAD_MAX = 200_000
ANONYMOUS_BODY_MAX = 100_000


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(upload_max_bytes=UPLOAD_MAX, anonymous_body_max_bytes=ANONYMOUS_BODY_MAX,
                                   background_embedding=False)  # fmt: skip


@pytest.fixture
def served(app_context: AppContext) -> Iterator[tuple[AppContext, str]]:
    set_up_demo(app_context)
    with serve_app(create_app(app_context.settings, app_context)) as base:
        yield app_context, base


def _exchange(base: str, head: str, chunks: list[bytes], read_timeout_s: float = 5.0) -> str:
    """Send a request head and body chunks over a raw socket (stopping when the server answers or closes),
    and return the status line and headers the server sent."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=read_timeout_s) as connection:
        connection.sendall(head.encode("latin-1"))
        try:
            for chunk in chunks:
                connection.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: what we want to read
        answer = b""
        while b"\r\n\r\n" not in answer:
            part = connection.recv(65536)
            if not part:
                break
            answer += part
    return answer.decode("latin-1")


def _chunked(data: bytes, size: int = 16_384) -> list[bytes]:
    """`data` as HTTP/1.1 chunks, *without* the terminating chunk: the server must answer before the end."""
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    return [f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for piece in pieces]


def _session(context: AppContext) -> tuple[str, str]:
    """A fact-checker's session cookie and CSRF token (signed in through the app)."""
    client = _client(context, "factchecker@demo.kiemchung")
    cookie, csrf = client.cookies.get("kc_session"), client.headers["X-CSRF-Token"]
    client.close()
    assert cookie
    return cookie, csrf


# -- 1. body limits ---------------------------------------------------------------------------------------


def test_a_declared_body_over_its_limit_is_refused_before_it_is_read(served: tuple[AppContext, str]) -> None:
    context, base = served
    # 60 MB announced, a few bytes sent: the answer comes at once, without waiting for the rest.
    head = ("POST /api/v1/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 60000000\r\n\r\n")  # fmt: skip
    started = time.monotonic()
    answer = _exchange(base, head, [b'{"posts": ['])
    assert answer.startswith("HTTP/1.1 413"), answer
    assert time.monotonic() - started < 3

    cookie, csrf = _session(context)
    case = context.cases.open_case(context.accounts.sign_in("factchecker@demo.kiemchung", DEMO_PASSWORD).actor,
                                   "Một nhận định cần bằng chứng")  # fmt: skip
    upload = (f"POST /api/v1/cases/{case.id}/evidence/file HTTP/1.1\r\nHost: x\r\nCookie: kc_session={cookie}\r\n"
              f"X-CSRF-Token: {csrf}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
              f"Content-Length: 60000000\r\n\r\n")  # fmt: skip
    assert _exchange(base, upload, [b"--b\r\n"]).startswith("HTTP/1.1 413")
    # under the limits, the same routes answer as before
    assert httpx.post(base + "/api/v1/match", json={"text": "Uống nước chanh chữa ung thư"}).status_code == 200


def test_a_chunked_body_is_cut_as_soon_as_it_passes_its_limit(served: tuple[AppContext, str]) -> None:
    context, base = served
    head = ("POST /api/v1/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
    body = b'{"text": "' + b"a" * (3 * ANONYMOUS_BODY_MAX)
    assert _exchange(base, head, _chunked(body)).startswith("HTTP/1.1 413")

    cookie, csrf = _session(context)
    actor = context.accounts.sign_in("factchecker@demo.kiemchung", DEMO_PASSWORD).actor
    case = context.cases.open_case(actor, "Một nhận định cần bằng chứng")
    upload = (f"POST /api/v1/cases/{case.id}/evidence/file HTTP/1.1\r\nHost: x\r\nCookie: kc_session={cookie}\r\n"
              f"X-CSRF-Token: {csrf}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
              "Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
    form = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n' + b"x" * (3 * UPLOAD_MAX)
    assert _exchange(base, upload, _chunked(form)).startswith("HTTP/1.1 413")
    assert context.cases.get(actor, case.id).evidence == []
    uploads = context.settings.data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_a_made_up_token_or_session_gets_the_anonymous_limit_unparsed(served: tuple[AppContext, str]) -> None:
    """A forged `Authorization` or session cookie used to lift the limit to the batch one (20 MB), and the body
    was parsed before the credential was refused; now a real credential is checked first."""
    context, base = served
    batch = {"posts": [{"id": str(n), "text": "Uống nước chanh nóng chữa khỏi ung thư " * 40} for n in range(150)]}
    for headers in ({"Authorization": "Bearer made-up"}, {"Cookie": "kc_session=made-up"}):
        assert httpx.post(base + "/api/v1/match", json=batch, headers=headers).status_code == 413, headers
    token = _partner_token(context)
    answer = httpx.post(base + "/api/v1/match", json=batch, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    assert answer.status_code == 200


# -- 2. public matching -----------------------------------------------------------------------------------

LONG_POST = " ".join(["Bộ Y tế khẳng định uống nước chanh nóng không chữa được ung thư, thông tin lan truyền "
                      "trên mạng là sai sự thật."] * 10)  # fmt: skip


def _partner_token(context: AppContext) -> str:
    admin = context.accounts.sign_in("admin@demo.kiemchung", DEMO_PASSWORD).actor
    _, secret = context.accounts.create_token(admin, "đối tác", "partner")
    return str(secret)


def test_anonymous_batches_are_small_and_budgeted_per_address(app_context: AppContext) -> None:
    context = app_context
    context.match_budgets = MatchBudgets(context.settings.with_overrides(anonymous_match_rate=20))
    set_up_demo(context)
    public = TestClient(create_app(context.settings, context))
    posts = [{"id": n, "text": "Uống nước chanh chữa ung thư"} for n in range(17)]

    too_many = public.post("/api/v1/match", json={"posts": posts})
    assert too_many.status_code == 422
    assert too_many.json()["error"] == "at most 16 posts per request without an API token (256 with one)"
    assert public.post("/api/v1/match", json={"posts": posts[:16]}).status_code == 200  # 16 of 20 spent
    refused = public.post("/api/v1/match", json={"posts": posts[:16]})
    assert refused.status_code == 429 and "too many posts matched" in refused.json()["error"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert public.post("/match", data={"text": "Uống nước chanh chữa ung thư"}).status_code == 200  # 4 left: 1 spent

    partner = {"Authorization": f"Bearer {_partner_token(context)}"}  # its own budget, and 256 posts a request
    batch = public.post("/api/v1/match", json={"posts": posts * 15}, headers=partner)
    assert batch.status_code == 200 and len(batch.json()["results"]) == 255


def test_a_partner_is_not_queued_behind_anonymous_batches(served: tuple[AppContext, str]) -> None:
    context, base = served
    context.match_budgets = MatchBudgets(context.settings.with_overrides(anonymous_match_rate=100_000))
    partner = {"Authorization": f"Bearer {_partner_token(context)}"}
    batch = {"posts": [{"id": n, "text": LONG_POST} for n in range(16)]}
    httpx.post(base + "/api/v1/match", json=batch, timeout=60)  # warm the engine
    started = time.monotonic()
    assert httpx.post(base + "/api/v1/match", json=batch, timeout=60).status_code == 200
    one_batch = time.monotonic() - started

    finished: list[float] = []

    def anonymous() -> None:
        assert httpx.post(base + "/api/v1/match", json=batch, timeout=120).status_code == 200
        finished.append(time.monotonic())

    crowd = [threading.Thread(target=anonymous) for _ in range(5)]
    for thread in crowd:
        thread.start()
    time.sleep(0.3)
    asked = time.monotonic()
    answer = httpx.post(base + "/api/v1/match", json={"text": "Uống nước chanh chữa ung thư"}, headers=partner,
                        timeout=120)  # fmt: skip
    answered = time.monotonic()
    for thread in crowd:
        thread.join(120)
    assert answer.status_code == 200 and len(finished) == 5
    # The partner is served ahead of the queue: most anonymous batches, asked before it, finish after it.
    # (An order, not a duration: a wall-clock bound failed on a busy 2-core machine.)
    assert sum(1 for moment in finished if moment > answered) >= 3, (answered - asked, one_batch)


# -- 3. nothing blocking on the event loop ----------------------------------------------------------------


@pytest.fixture
def slow_site() -> Iterator[Site]:
    with serve_site() as site:
        page = article_page("Thông cáo của Bộ Y tế", ["Bộ Y tế khẳng định nước chanh nóng không chữa được ung thư."])
        site.routes["/cham"] = Route(page, delay_s=3.0)
        yield site


def _healthz_latencies(base: str, seconds: float) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base, timeout=10) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert client.get("/healthz").status_code == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)
    return latencies


def test_a_slow_evidence_url_is_archived_in_the_background_and_healthz_answers_meanwhile(
    served: tuple[AppContext, str], slow_site: Site, request: pytest.FixtureRequest
) -> None:
    context, base = served
    cookie, csrf = _session(context)
    actor = context.accounts.sign_in("factchecker@demo.kiemchung", DEMO_PASSWORD).actor
    case = context.cases.open_case(actor, "Nước chanh nóng chữa được ung thư")
    browser = httpx.Client(base_url=base, cookies={"kc_session": cookie}, timeout=30)
    request.addfinalizer(browser.close)
    posted: dict[str, Any] = {}

    def add_evidence() -> None:  # the browser's form, as a person sends it
        started = time.monotonic()
        response = browser.post(f"/cases/{case.id}/evidence", data={"kind": "url", "url": slow_site.url("/cham"),
                                                                      "csrf_token": csrf})  # fmt: skip
        posted.update(status=response.status_code, seconds=time.monotonic() - started)

    adding = threading.Thread(target=add_evidence)
    adding.start()
    latencies = _healthz_latencies(base, 1.5)
    adding.join(30)
    assert posted["status"] == 303 and posted["seconds"] < 1.5  # the page was not waited for
    # A loop blocked for the 3 s page makes the first /healthz wait about 3 s (the code before: ~2.9 s); an
    # unblocked one answers in milliseconds, with rare pauses of about 1 s when the 2 cores are busy (1.17 s seen
    # in a clean-clone run on PostgreSQL).
    assert max(latencies) < 2.0, latencies
    page = browser.get(f"/cases/{case.id}").text
    assert "đang lưu bản sao…" in page  # archiving…
    deadline = time.monotonic() + 15
    while "đang lưu bản sao…" in page and time.monotonic() < deadline:
        time.sleep(0.1)
        page = browser.get(f"/cases/{case.id}").text
    assert "Thông cáo của Bộ Y tế" in page and re.search(r"\(<span[^>]*>đã lưu bản sao</span>\)", page)
    assert len(slow_site.hits("/cham")) == 1

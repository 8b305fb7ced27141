"""Real HTTP servers on loopback for tests: a site with routes, and a webhook receiver."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    etag: str | None = None  # answer 304 when the client sends this ETag back
    drip_s: float = 0.0  # send the answer one byte every drip_s seconds: all of it, or only the body
    drip_body_only: bool = False


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Site:
    """Routes by path; every request is recorded (method, path, headers, body, monotonic time)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route | Callable[[Request], Route]] = {}
        self.requests: list[Request] = []
        self.server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(self.command, self.path, dict(self.headers), self.rfile.read(length), time.monotonic())
            site.requests.append(request)
            route = site.routes.get(self.path)
            if callable(route):
                route = route(request)
            if route is None:
                route = Route(b"not found", 404)
            if route.delay_s:
                time.sleep(route.delay_s)
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if route.drip_s:
                self._drip(route)
                return
            self.send_response(route.status)
            headers = {"Content-Type": "text/html; charset=utf-8", **route.headers}
            if route.etag:
                headers["ETag"] = route.etag
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(route.body)

        def _drip(self, route: Route) -> None:
            head = f"HTTP/1.1 {route.status} OK\r\nContent-Length: {len(route.body)}\r\n"
            head += "".join(f"{name}: {value}\r\n" for name, value in route.headers.items())
            answer = (head + "\r\n").encode() + route.body
            start = len(answer) - len(route.body) if route.drip_body_only else 0
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(answer[:start])
                for index in range(start, len(answer)):
                    self.wfile.write(answer[index : index + 1])
                    self.wfile.flush()
                    time.sleep(route.drip_s)
            self.close_connection = True

        do_GET = _serve
        do_POST = _serve

    return Handler


@contextmanager
def serve_site(site: Site | None = None, host: str = "127.0.0.1") -> Iterator[Site]:
    """A site on a loopback address (127.0.0.1 unless told: any 127.x.y.z is loopback on Linux)."""
    site = site or Site()
    server = ThreadingHTTPServer((host, 0), _handler(site))
    server.daemon_threads = True
    site.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def rss(items: list[dict[str, str]], title: str = "Tin tức") -> bytes:
    entries = "".join(
        f"<item><title>{i['title']}</title><link>{i['link']}</link><guid>{i.get('guid', i['link'])}</guid>"
        f"<description><![CDATA[{i.get('description', '')}]]></description>"
        f"<pubDate>{i.get('date', 'Fri, 27 Nov 2026 08:00:00 +0700')}</pubDate></item>"
        for i in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://example.invalid/</link><description>feed</description>{entries}</channel></rss>"
    ).encode()


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as legacy Vietnamese sites wrote it: tone marks as separate combining characters."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            tones = "".join(c for c in decomposed if c in _TONES)
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
            out += (base + tones).encode("cp1258")
    return bytes(out)


def article_page(title: str, paragraphs: list[str], charset: str = "utf-8") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="{charset}"><title>{title}</title></head><body>'
        f'<nav><a href="/">Trang chủ</a> <a href="/thoi-su">Thời sự</a></nav>'
        f"<article><h1>{title}</h1>{body}</article>"
        f"<footer>Bản quyền thuộc về Báo Mẫu. Liên hệ quảng cáo.</footer></body></html>"
    )
    return to_cp1258(html) if charset == "windows-1258" else html.encode(charset)


@contextmanager
def serve_app(app: object) -> Iterator[str]:
    """An ASGI app served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    import socket

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


MINISTRY_STATEMENT = article_page(
    "Thông cáo của Bộ Y tế",
    [
        "Bộ Y tế khẳng định chưa có nghiên cứu nào cho thấy nước chanh nóng chữa khỏi ung thư.",
        "Người bệnh cần điều trị theo phác đồ tại cơ sở y tế, không tự ý bỏ thuốc.",
        "Các bác sĩ khuyến cáo người dân cảnh giác với thông tin sai lệch trên mạng xã hội.",
    ],
)


@contextmanager
def statement_site() -> Iterator[Site]:
    """A site on loopback serving a ministry's statement at /thong-cao (evidence for the demo's lemon claim)."""
    with serve_site() as site:
        site.routes["/thong-cao"] = Route(MINISTRY_STATEMENT)
        yield site

"""A polite HTTP client: robots.txt, one request at a time per host with a pause between, timeouts,
conditional GET, a size cap, bounded redirects and retries with back-off."""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from kiemchung import __version__

RETRY_STATUSES = {429, 500, 502, 503, 504}
ROBOTS_TTL_S = 3600.0


class FetchError(Exception):
    """Why a URL could not be fetched, in words for the source's health line."""


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = 20.0
    max_bytes: int = 5_000_000
    host_interval_s: float = 1.0
    retries: int = 2
    backoff_s: float = 1.0
    max_redirects: int = 5
    user_agent: str = f"kiemchung/{__version__} (+https://github.com/kiemchung)"
    obey_robots: bool = True


class Fetcher:
    def __init__(
        self,
        policy: FetchPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self._client = httpx.Client(
            timeout=self.policy.timeout_s,
            follow_redirects=True,
            max_redirects=self.policy.max_redirects,
            headers={"User-Agent": self.policy.user_agent},
            transport=transport,
        )
        self._sleep = sleep
        self._lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, tuple[float, urllib.robotparser.RobotFileParser | None]] = {}

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Response:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise FetchError(f"not an http(s) URL: {url}")
        if self.policy.obey_robots and not self.allowed(url):
            raise FetchError(f"robots.txt of {parts.hostname} disallows {parts.path or '/'}")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            try:
                response = self._request(url, headers)
            except FetchError as exc:
                if attempt >= self.policy.retries or not getattr(exc, "retryable", False):
                    raise
            else:
                if response.status not in RETRY_STATUSES or attempt >= self.policy.retries:
                    return self._check_status(response)
            attempt += 1
            self._sleep(self.policy.backoff_s * 2 ** (attempt - 1))

    def _check_status(self, response: Response) -> Response:
        if response.status == 304 or 200 <= response.status < 300:
            return response
        raise FetchError(f"HTTP {response.status} from {response.url}")

    def _request(self, url: str, headers: dict[str, str]) -> Response:
        host = urlsplit(url).netloc.lower()
        with self._host_lock(host):
            self._wait_turn(host)
            try:
                with self._client.stream("GET", url, headers=headers) as response:
                    content = self._read_capped(response)
                    return Response(
                        str(response.url),
                        response.status_code,
                        content,
                        response.headers.get("content-type"),
                        response.headers.get("etag"),
                        response.headers.get("last-modified"),
                    )
            except httpx.TooManyRedirects:
                raise FetchError(f"more than {self.policy.max_redirects} redirects (a redirect loop?)") from None
            except httpx.TimeoutException:
                raise _retryable(f"timed out after {self.policy.timeout_s:g} s") from None
            except httpx.TransportError as exc:
                raise _retryable(f"cannot connect: {type(exc).__name__} {exc}".strip()) from None
            finally:
                self._last_request[host] = time.monotonic()

    def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
            raise FetchError(f"larger than {self.policy.max_bytes:,} bytes ({int(declared):,} declared)")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.policy.max_bytes:
                raise FetchError(f"larger than {self.policy.max_bytes:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _host_lock(self, host: str) -> threading.Lock:
        with self._lock:
            return self._host_locks.setdefault(host, threading.Lock())

    def _wait_turn(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            pause = self.policy.host_interval_s - (time.monotonic() - last)
            if pause > 0:
                self._sleep(pause)

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        cached = self._robots.get(origin)
        if cached is None or time.monotonic() - cached[0] > ROBOTS_TTL_S:
            cached = (time.monotonic(), self._load_robots(origin))
            self._robots[origin] = cached
        parser = cached[1]
        return parser is None or parser.can_fetch(self.policy.user_agent, url)

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """The site's rules; None (everything allowed) when it has none or they cannot be read."""
        try:
            response = self._request(origin + "/robots.txt", {})
        except FetchError:
            return None
        if response.status != 200:
            return None
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(response.content.decode("utf-8", errors="replace").splitlines())
        return parser


def _retryable(reason: str) -> FetchError:
    error = FetchError(reason)
    error.retryable = True  # type: ignore[attr-defined]
    return error

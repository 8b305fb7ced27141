"""A polite and guarded HTTP client: robots.txt, one request at a time per host with a pause between,
conditional GET, a size cap, bounded redirects and retries with back-off.

Guarded, because what it fetches (sources, links in feeds, evidence URLs, subscriptions) is chosen by
people and by other sites. Every request, robots.txt included, runs under one wall-clock deadline
(`FetchPolicy.timeout_s`: connect, every redirect hop and the whole body), and connects only to public
addresses or to the networks in `FetchPolicy.allow_networks` — checked on the connected peer address
after DNS, on every redirect hop: httpcore's network backend is replaced by one that resolves the name
itself, connects by IP only to permitted addresses and checks the socket's peer before a byte is sent,
while TLS (SNI, certificate) and the Host header keep the name (`ingest/transport.py` says why this way,
and `ingest/addresses.py` which addresses are refused). URLs with
credentials are refused, on the first request and on every hop. Proxies from the environment are
ignored: a proxy would connect on our behalf, past the check. A request that ran out of time is not
retried (the source backs off instead).
"""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from kiemchung import __version__
from kiemchung.ingest.addresses import AddressPolicy, parse_networks
from kiemchung.ingest.transport import AddressRefused, GuardedTransport, fetch_deadline, time_left

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
    timeout_s: float = 20.0  # one deadline per request: connect, redirects and the whole body
    max_bytes: int = 5_000_000
    host_interval_s: float = 1.0
    retries: int = 2
    backoff_s: float = 1.0
    max_redirects: int = 5
    user_agent: str = f"kiemchung/{__version__} (+https://github.com/kiemchung)"
    obey_robots: bool = True
    allow_networks: tuple[str, ...] = ()  # CIDRs fetched although not public (an intranet; loopback in tests)
    max_tracked_hosts: int = 4096  # per-host pauses and robots.txt rules kept in memory on a long run


class Fetcher:
    def __init__(
        self,
        policy: FetchPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`transport` replaces the guarded one (a test double); the address policy is fixed here."""
        self.policy = policy or FetchPolicy()
        addresses = AddressPolicy(parse_networks(",".join(self.policy.allow_networks)))
        self._client = httpx.Client(
            timeout=self.policy.timeout_s,
            follow_redirects=True,
            max_redirects=self.policy.max_redirects,
            headers={"User-Agent": self.policy.user_agent},
            transport=transport or GuardedTransport(addresses),
            trust_env=False,
            event_hooks={"request": [_refuse_credentials]},
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
        if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
            raise FetchError(f"not an http(s) URL: {url}")
        if "@" in parts.netloc:
            raise FetchError(_CREDENTIALS)
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
                with fetch_deadline(self.policy.timeout_s):
                    return self._send(url, headers)
            except httpx.TooManyRedirects:
                raise FetchError(f"more than {self.policy.max_redirects} redirects (a redirect loop?)") from None
            except AddressRefused as exc:
                raise FetchError(str(exc)) from None
            except httpx.TimeoutException:
                raise FetchError(f"timed out after {self.policy.timeout_s:g} s") from None
            except httpx.InvalidURL as exc:
                raise FetchError(f"not a valid URL: {exc}") from None
            except httpx.DecodingError as exc:  # e.g. a body declared gzip that is not: not a TransportError
                raise FetchError(f"cannot decode the answer: {exc}") from None
            except httpx.TransportError as exc:
                raise _retryable(f"cannot connect: {type(exc).__name__} {exc}".strip()) from None
            finally:
                self._last_request[host] = time.monotonic()

    def _send(self, url: str, headers: dict[str, str]) -> Response:
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

    def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
            raise FetchError(f"larger than {self.policy.max_bytes:,} bytes ({int(declared):,} declared)")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            time_left(None, httpx.ReadTimeout)  # also with a transport that does not keep the deadline
            size += len(chunk)
            if size > self.policy.max_bytes:
                raise FetchError(f"larger than {self.policy.max_bytes:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _host_lock(self, host: str) -> threading.Lock:
        with self._lock:
            if host not in self._host_locks and len(self._host_locks) >= self.policy.max_tracked_hosts:
                self._forget_idle_hosts()
            return self._host_locks.setdefault(host, threading.Lock())

    def _forget_idle_hosts(self) -> None:
        """Keep the per-host state bounded over a long run across many hosts: a host whose pause is over and
        whose lock is free needs no memory (its next request may go at once). Called under `self._lock`."""
        now = time.monotonic()
        for host, lock in list(self._host_locks.items()):
            last = self._last_request.get(host)
            if not lock.locked() and (last is None or now - last >= self.policy.host_interval_s):
                del self._host_locks[host]
                self._last_request.pop(host, None)

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
            self._remember_robots(origin, cached)
        parser = cached[1]
        return parser is None or parser.can_fetch(self.policy.user_agent, url)

    def _remember_robots(self, origin: str, rules: tuple[float, urllib.robotparser.RobotFileParser | None]) -> None:
        """Cache an origin's rules; past the bound, expired rules go first, then the oldest."""
        with self._lock:
            self._robots.pop(origin, None)
            if len(self._robots) >= self.policy.max_tracked_hosts:
                now = time.monotonic()
                for known, (loaded, _) in list(self._robots.items()):
                    if now - loaded > ROBOTS_TTL_S:
                        del self._robots[known]
            while len(self._robots) >= self.policy.max_tracked_hosts:
                del self._robots[next(iter(self._robots))]
            self._robots[origin] = rules

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


_CREDENTIALS = "URLs with credentials (user:password@host) are not fetched"


def _refuse_credentials(request: httpx.Request) -> None:
    """Called by httpx before the first request and before every redirect hop."""
    if request.url.userinfo:
        raise FetchError(_CREDENTIALS)


def _retryable(reason: str) -> FetchError:
    error = FetchError(reason)
    error.retryable = True  # type: ignore[attr-defined]
    return error

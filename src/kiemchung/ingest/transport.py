"""The httpx transport under the fetcher: it connects only to permitted addresses, and never past a deadline.

Where the check sits. httpx hands every connection — the first request and each redirect hop, since a hop
to a new origin opens a new connection — to httpcore's network backend as `connect_tcp(host, port)`.
`GuardedBackend` resolves the host itself, keeps the addresses the `AddressPolicy` permits, connects to
one of those IP addresses (never to the name, so a second DNS answer cannot differ from the checked one)
and checks the connected socket's peer address once more before any byte is sent. TLS is unchanged:
httpcore starts it on that socket with the URL's host name, so SNI and certificate checks are those of
the name; the Host header is the URL's. A refused address raises `AddressRefused` before any packet is
sent to it, so an open port and a closed one give the same answer. Keep-alive connections are reused only
for their own origin, which was checked when they were opened.

The deadline. `fetch_deadline(seconds)` sets one wall-clock deadline for everything done inside it:
resolving (in a helper thread, since getaddrinfo cannot be timed out), connecting, the TLS handshake and
every read and write are given at most the time left, so a server that drips one byte a second is cut at
the deadline, even while it drips the headers.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

from kiemchung.ingest.addresses import AddressPolicy, IPAddress

_DEADLINE: ContextVar[float | None] = ContextVar("kiemchung_fetch_deadline", default=None)
SocketOption = Any  # httpcore's SOCKET_OPTION, not exported
Resolver = Callable[[str, int, float | None], list[IPAddress]]  # (host, port, timeout) → addresses


class AddressRefused(Exception):
    """The host's addresses are not permitted (the message names the host, never a port or its state)."""

    def __init__(self, host: str) -> None:
        super().__init__(
            f"refused: {host} is not a public address (KIEMCHUNG_FETCH_ALLOW_NETWORKS permits intranet ones)"
        )


@contextmanager
def fetch_deadline(seconds: float) -> Iterator[None]:
    """Everything the guarded transport does inside this block ends `seconds` from now at the latest."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def time_left(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout` shortened to what is left of the deadline; `expired` raised when nothing is left."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the fetch's deadline passed")
    return left if timeout is None else min(timeout, left)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, with the guarded network backend under its connection pool."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None) -> None:
        super().__init__()
        # The pool is the one private name relied on (stable since httpx 0.18); tests prove the guard is live.
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                             network_backend=GuardedBackend(policy, resolver))  # fmt: skip


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, connecting only to the permitted addresses of a host (see the docstring)."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None) -> None:
        self.policy = policy
        self._resolve = resolver or resolve  # another resolver: tests (a name that points at loopback)
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        permitted = [a for a in self._resolve(host, port, timeout) if self.policy.permits(a)]
        if not permitted:
            raise AddressRefused(host)
        failure: Exception | None = None
        for address in permitted:
            try:
                stream = self._backend.connect_tcp(str(address), port, time_left(timeout, httpcore.ConnectTimeout),
                                                   local_address, socket_options)  # fmt: skip
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            self._check_peer(stream, host)
            return DeadlineStream(stream)
        assert failure is not None
        raise failure

    def _check_peer(self, stream: httpcore.NetworkStream, host: str) -> None:
        peer = stream.get_extra_info("server_addr")
        if not peer or not self.policy.permits(ipaddress.ip_address(peer[0])):
            stream.close()
            raise AddressRefused(host)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SocketOption] | None = None
    ) -> httpcore.NetworkStream:
        raise AddressRefused(path)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def resolve(host: str, port: int, timeout: float | None) -> list[IPAddress]:
    """The host's addresses in the resolver's order; an IP literal is its own (no DNS)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    infos = _getaddrinfo(host, port, time_left(timeout, httpcore.ConnectTimeout))
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]))
        if address not in found:
            found.append(address)
    return found


def _getaddrinfo(host: str, port: int, timeout: float | None) -> list[Any]:
    """getaddrinfo in a daemon thread, waited for at most `timeout` (it cannot be interrupted)."""
    answer: list[Any] = []
    failure: list[OSError] = []

    def lookup() -> None:
        try:
            answer.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            failure.append(exc)

    worker = threading.Thread(target=lookup, name="kiemchung-resolve", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise httpcore.ConnectTimeout(f"resolving {host} took too long")
    if failure:
        raise httpcore.ConnectError(str(failure[0]))
    return answer


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the current fetch's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = time_left(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)

"""Sign-in throttling: growing delays per (account, client), per client and per account, in bounded memory.

Three counters of failed sign-ins, each forgotten FORGET_S after its last failure:

- per (account, client): after PAIR_FREE failures this client waits 1, 2, 4 … s (at most MAX_DELAY_S) after
  each further failure before it may try this account again;
- per client (an IPv4 address, or an IPv6 /64): after CLIENT_FREE failures for any accounts it waits the same
  growing delays before any sign-in — one address cannot try many e-mails;
- per account: after ACCOUNT_FREE failures from all clients together, clients that failed recently wait
  1, 2, 4 … s (at most ACCOUNT_MAX_DELAY_S). A client without recent failures is never slowed by it, so an
  attacker cannot lock the owner out of an account, whatever it tries.

An attempt counts as failed when it starts (parallel attempts cannot slip past a limit) and is taken back when
the password is right. A refused attempt checks no password and counts nothing. Each counter keeps at most
`max_entries` keys, forgetting the least recently failed first, so a flood of addresses or e-mails cannot grow
the memory it uses. The counters live in the process: several server processes each keep their own.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from kiemchung.errors import RateLimited

PAIR_FREE = 3
CLIENT_FREE = 10
ACCOUNT_FREE = 10
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 900.0
ACCOUNT_MAX_DELAY_S = 60.0
FORGET_S = 900.0
MAX_ENTRIES = 50_000


@dataclass
class _Failures:
    count: int
    last: float


class FailureCounter:
    """Failures per key, forgotten `forget_s` after the last one; at most `max_entries` keys (LRU). Not locked."""

    def __init__(self, max_entries: int, forget_s: float = FORGET_S) -> None:
        self.max_entries = max_entries
        self.forget_s = forget_s
        self._entries: OrderedDict[str, _Failures] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str, now: float) -> _Failures | None:
        entry = self._entries.get(key)
        if entry is not None and now - entry.last >= self.forget_s:
            del self._entries[key]
            return None
        return entry

    def add(self, key: str, now: float) -> None:
        entry = self.get(key, now) or self._entries.setdefault(key, _Failures(0, now))
        entry.count += 1
        entry.last = now
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def take_back(self, key: str) -> None:
        entry = self._entries.get(key)
        if entry is not None:
            entry.count -= 1
            if entry.count <= 0:
                del self._entries[key]

    def clear(self, key: str) -> None:
        self._entries.pop(key, None)


def wait_for(entry: _Failures | None, free: int, longest: float, now: float) -> float:
    """Seconds still to wait after `entry`'s last failure (0 while fewer than `free` failures)."""
    if entry is None or entry.count < free:
        return 0.0
    delay = min(FIRST_DELAY_S * 2 ** min(entry.count - free, 30), longest)
    return delay - (now - entry.last)


def client_key(host: str) -> str:
    """The client an address stands for: an IPv4 address, an IPv6 /64 (one subscriber's block)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass(frozen=True)
class Attempt:
    account: str
    client: str


class SignInThrottle:
    """Thread-safe; one per process (the AccountService owns it)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._pairs = FailureCounter(max_entries)
        self._clients = FailureCounter(max_entries)
        self._accounts = FailureCounter(max_entries)

    def size(self) -> int:
        """Keys held in all counters (bounded by 3 × max_entries)."""
        with self._lock:
            return len(self._pairs) + len(self._clients) + len(self._accounts)

    def begin(self, account: str, host: str) -> Attempt:
        """An attempt, counted as failed until `succeeded`; RateLimited while this client must still wait."""
        attempt = Attempt(account, client_key(host))
        pair = f"{attempt.account}\n{attempt.client}"
        with self._lock:
            now = self._clock()
            by_client = self._clients.get(attempt.client, now)
            wait = max(
                wait_for(self._pairs.get(pair, now), PAIR_FREE, MAX_DELAY_S, now),
                wait_for(by_client, CLIENT_FREE, MAX_DELAY_S, now),
                # an attacked account slows only clients that failed recently, never a clean one
                wait_for(self._accounts.get(account, now), ACCOUNT_FREE, ACCOUNT_MAX_DELAY_S, now) if by_client else 0,
            )
            if wait <= 0:
                self._pairs.add(pair, now)
                self._clients.add(attempt.client, now)
                self._accounts.add(account, now)
        if wait > 0:
            seconds = math.ceil(wait)
            raise RateLimited(f"too many failed sign-ins: try again in {seconds} s", seconds)
        return attempt

    def succeeded(self, attempt: Attempt) -> None:
        with self._lock:
            self._pairs.clear(f"{attempt.account}\n{attempt.client}")
            self._clients.take_back(attempt.client)
            self._accounts.take_back(attempt.account)

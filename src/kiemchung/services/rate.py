"""Matching budgets: a token bucket per client, in bounded memory.

Each caller of the public matching (POST /api/v1/match, the /match page) has a bucket of posts that refills
at its rate per minute and holds at most one minute's worth: an anonymous caller is keyed on its address
(an IPv4 address or an IPv6 /64, as sign-in throttling keys it) at KIEMCHUNG_ANONYMOUS_MATCH_RATE, an API
token or a signed-in person on its own id at KIEMCHUNG_MATCH_RATE. A request costs one token per post; a
request that finds too few is refused (`RateLimited`, answered 429 with Retry-After) and costs nothing.
Each set of buckets keeps at most `max_entries` keys, forgetting the least recently used first (a forgotten
bucket is a full one, which it would soon be anyway), so a flood of addresses cannot grow its memory.
The buckets live in the process: several server processes each keep their own.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from kiemchung.domain.accounts import Actor
from kiemchung.errors import RateLimited
from kiemchung.services.throttle import client_key
from kiemchung.settings import Settings

MAX_ENTRIES = 50_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """Buckets of `per_minute` tokens, refilled continuously; thread-safe."""

    def __init__(
        self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES
    ) -> None:
        self.capacity = float(per_minute)
        self.refill_per_s = per_minute / 60.0
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)

    def take(self, key: str, cost: int) -> None:
        """Spend `cost` tokens of `key`'s bucket (at most a full bucket), or raise RateLimited and spend none."""
        spend = min(float(cost), self.capacity)
        with self._lock:
            now = self._clock()
            bucket = self._refilled(key, now)
            if bucket.tokens < spend:
                wait = math.ceil((spend - bucket.tokens) / self.refill_per_s)
                raise RateLimited(f"too many posts matched: try again in {wait} s", wait)
            bucket.tokens -= spend

    def _refilled(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.refill_per_s)
            bucket.at = now
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_entries:
            self._buckets.popitem(last=False)
        return bucket


class MatchBudgets:
    """The anonymous and the signed buckets of one process (the app context owns it)."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.anonymous = TokenBuckets(settings.anonymous_match_rate, clock)
        self.signed = TokenBuckets(settings.match_rate, clock)

    def charge(self, actor: Actor | None, client: str, posts: int) -> None:
        """Spend `posts` from the caller's budget: an actor's own, or its address's when anonymous."""
        if actor is None:
            self.anonymous.take(client_key(client), posts)
        elif actor.token_id is not None:
            self.signed.take(f"token:{actor.token_id}", posts)
        else:
            self.signed.take(f"user:{actor.user_id}", posts)

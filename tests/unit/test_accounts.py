"""Account rules without a database: sign-in throttling, the role table."""

from __future__ import annotations

import pytest

from kiemchung.domain.accounts import ROLES, USER_ROLES, Actor, require, roles_beyond
from kiemchung.errors import AuthenticationError, PermissionDenied, RateLimited
from kiemchung.services import throttle as limits
from kiemchung.services.throttle import SignInThrottle, client_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: SignInThrottle, account: str, client: str, times: int = 1) -> None:
    for _ in range(times):
        throttle.begin(account, client)  # counted as failed until `succeeded`


def test_one_client_guessing_one_account_waits_longer_after_each_failure() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock=clock)
    fail(throttle, "a@x", "203.0.113.1", limits.PAIR_FREE)
    with pytest.raises(RateLimited) as refused:
        throttle.begin("a@x", "203.0.113.1")
    assert refused.value.retry_after == 1
    clock.now += 1
    fail(throttle, "a@x", "203.0.113.1")  # allowed after the wait, and failed again
    with pytest.raises(RateLimited) as refused:
        throttle.begin("a@x", "203.0.113.1")
    assert refused.value.retry_after == 2  # growing: 1, 2, 4 … s
    throttle.begin("a@x", "198.51.100.7")  # the owner, elsewhere, is not affected
    clock.now += limits.FORGET_S + 1
    throttle.begin("a@x", "203.0.113.1")  # forgotten after FORGET_S


def test_a_clean_client_passes_an_attacked_account_and_a_correct_password_is_taken_back() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock=clock)
    for n in range(limits.ACCOUNT_FREE * 3):  # a botnet: one guess from each of many addresses
        fail(throttle, "victim@x", f"203.0.113.{n}")
    with pytest.raises(RateLimited):
        throttle.begin("victim@x", "203.0.113.0")  # a client that failed recently is slowed by the account
    attempt = throttle.begin("victim@x", "198.51.100.7")  # a client without failures is not
    throttle.succeeded(attempt)
    for _ in range(limits.CLIENT_FREE * 2):  # successes never count against the client
        throttle.succeeded(throttle.begin("colleague@x", "198.51.100.8"))


def test_one_client_trying_many_accounts_is_refused() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock=clock)
    for n in range(limits.CLIENT_FREE):
        fail(throttle, f"user{n}@x", "203.0.113.9")
    with pytest.raises(RateLimited, match="too many failed sign-ins"):
        throttle.begin("someone-else@x", "203.0.113.9")
    throttle.begin("someone-else@x", "203.0.113.10")  # another client is not affected


def test_an_ipv6_client_is_its_64_block() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert client_key("::ffff:203.0.113.5") == "203.0.113.5"
    assert client_key("testclient") == "testclient"


def test_flooding_the_throttle_with_addresses_and_e_mails_keeps_its_memory_bounded() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock=clock, max_entries=1000)
    for n in range(100_000):
        throttle.begin(f"user{n}@x", f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
    assert throttle.size() <= 3 * 1000
    assert SignInThrottle().size() == 0 and limits.MAX_ENTRIES == 50_000


def test_demoted_people_keep_handing_out_only_what_they_still_have() -> None:
    assert roles_beyond(ROLES["editor"]) == ["admin", "partner"]  # partners push, editors do not
    assert roles_beyond(frozenset()) == list(ROLES)
    assert roles_beyond(ROLES["admin"]) == []


def test_roles_grow_from_viewer_to_admin_and_partners_only_push_and_match() -> None:
    for lower, higher in zip(USER_ROLES[::-1], USER_ROLES[::-1][1:], strict=False):
        assert ROLES[lower] < ROLES[higher]
    assert ROLES["partner"] == {"push", "match"}
    with pytest.raises(AuthenticationError):
        require(None, "read")
    with pytest.raises(PermissionDenied):
        require(Actor("viewer", 1, user_id=1), "triage")

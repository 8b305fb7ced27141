"""Account rules without a database: sign-in throttling, the role table."""

from __future__ import annotations

import pytest

from kiemchung.domain.accounts import ROLES, USER_ROLES, Actor, require
from kiemchung.errors import AuthenticationError, PermissionDenied
from kiemchung.services.accounts import SignInThrottle


def test_sign_in_is_throttled_after_repeated_wrong_passwords() -> None:
    now = [1000.0]
    throttle = SignInThrottle(clock=lambda: now[0])
    for _ in range(SignInThrottle.MAX_FAILURES):
        throttle.check("a@x")
        throttle.failed("a@x")
    with pytest.raises(AuthenticationError, match="too many wrong passwords"):
        throttle.check("a@x")
    throttle.check("b@x")  # another e-mail is not affected
    now[0] += SignInThrottle.WINDOW_S + 1
    throttle.check("a@x")  # the window passed


def test_roles_grow_from_viewer_to_admin_and_partners_only_push_and_match() -> None:
    for lower, higher in zip(USER_ROLES[::-1], USER_ROLES[::-1][1:], strict=False):
        assert ROLES[lower] < ROLES[higher]
    assert ROLES["partner"] == {"push", "match"}
    with pytest.raises(AuthenticationError):
        require(None, "read")
    with pytest.raises(PermissionDenied):
        require(Actor("viewer", 1, user_id=1), "triage")

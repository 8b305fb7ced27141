"""Accounts over HTTP, on both databases: what a departed or demoted person handed out stops working; sign-in
throttling slows attackers (per client, per account) without locking owners out, audits failures and stays
bounded in memory; password hashing never runs on the event loop; people change their password, and admins
hand out single-use reset links."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import USER_ROLES
from kiemchung.services.accounts import AccountService
from kiemchung.services.throttle import ACCOUNT_FREE, CLIENT_FREE, PAIR_FREE, SignInThrottle
from kiemchung.store.accounts import User
from kiemchung.web.app import create_app
from kiemchung.web.auth import CSRF_HEADER

PASSWORD = "một mật khẩu dài"
NEW_PASSWORD = "mật khẩu mới, cũng dài"
ORGANISATION = "Báo Một"


class Clock:
    """The throttle's clock, moved by hand: the tests never sleep."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app_context: AppContext) -> Clock:
    clock = Clock()
    app_context.accounts.throttle = SignInThrottle(clock=clock)
    return clock


@pytest.fixture
def people(app_context: AppContext, clock: Clock) -> dict[str, User]:
    return {
        role: app_context.accounts.create_user(ORGANISATION, f"{role}@mot.vn", role.title(), role, PASSWORD)
        for role in USER_ROLES
    }


@pytest.fixture
def browsers(app_context: AppContext) -> Iterator[Any]:
    opened: list[TestClient] = []

    def browser(address: str = "198.51.100.1") -> TestClient:
        client = TestClient(create_app(app_context.settings, app_context), client=(address, 50000))
        opened.append(client)
        return client

    yield browser
    for client in opened:
        client.close()


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> httpx.Response:
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert token
    data = {"email": email, "password": password, "login_csrf": token.group(1), "next": "/queue"}
    return client.post("/login", data=data, follow_redirects=False)


def signed_in(browser: Any, email: str, address: str = "198.51.100.1", password: str = PASSWORD) -> TestClient:
    client: TestClient = browser(address)
    assert sign_in(client, email, password).status_code == 303
    return client


def csrf(client: TestClient) -> dict[str, str]:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/status").text)
    assert found
    return {CSRF_HEADER: found.group(1)}


def path(link: str) -> str:
    return urlsplit(link).path


def audit(client: TestClient) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get("/api/v1/audit", headers=csrf(client)).json()
    return entries


def token_works(client: TestClient, secret: str) -> bool:
    """401 only for an unknown or revoked token (a partner token may not read: 403, but it is still valid)."""
    return client.get("/api/v1/status", headers={"Authorization": f"Bearer {secret}"}).status_code != 401


# -- finding 5: what a departed or demoted person handed out --------------------------------------------------


def test_deactivating_a_person_revokes_their_tokens_invites_and_reset_links(
    app_context: AppContext, people: dict[str, User], browsers: Any
) -> None:
    boss = signed_in(browsers, "admin@mot.vn")
    second = app_context.accounts.create_user(ORGANISATION, "second@mot.vn", "Second", "admin", PASSWORD)
    departing = signed_in(browsers, "second@mot.vn", "198.51.100.2")
    headers = csrf(departing)
    token = departing.post("/api/v1/tokens", json={"name": "backdoor", "role": "admin"}, headers=headers)
    invite = departing.post("/api/v1/invites", json={"email": "me-again@example.org", "role": "admin"},
                            headers=headers)  # fmt: skip
    machine = browsers("192.0.2.1")
    assert token_works(machine, token.json()["token"]) and invite.status_code == 201
    reset = departing.post(f"/api/v1/users/{people['editor'].id}/password-reset", headers=headers)
    own_reset = boss.post(f"/api/v1/users/{second.id}/password-reset", headers=csrf(boss))

    assert boss.patch(f"/api/v1/users/{second.id}", json={"active": False}, headers=csrf(boss)).status_code == 200
    assert not token_works(machine, token.json()["token"])
    outsider = browsers("203.0.113.5")
    assert outsider.get(path(invite.json()["link"])).status_code == 404
    accepted = outsider.post(path(invite.json()["link"]), data={"display_name": "Me", "password": "a long password"})
    assert accepted.status_code == 404 and app_context.account_store.user_by_email("me-again@example.org") is None
    assert reset.status_code == own_reset.status_code == 201
    assert outsider.get(path(reset.json()["link"])).status_code == 404
    assert outsider.get(path(own_reset.json()["link"])).status_code == 404
    revoked = [(e["action"], e["detail"].get("cause")) for e in audit(boss) if e["action"].endswith(".revoke")]
    assert sorted(revoked) == [
        ("invite.revoke", "user.deactivate"), ("password_reset.revoke", "user.deactivate"),
        ("password_reset.revoke", "user.deactivate"), ("token.revoke", "user.deactivate"),
    ]  # fmt: skip


def test_demoting_a_person_revokes_what_they_handed_out_beyond_the_new_role(
    app_context: AppContext, people: dict[str, User], browsers: Any
) -> None:
    boss = signed_in(browsers, "admin@mot.vn")
    second = app_context.accounts.create_user(ORGANISATION, "second@mot.vn", "Second", "admin", PASSWORD)
    demoted = signed_in(browsers, "second@mot.vn", "198.51.100.2")
    headers = csrf(demoted)
    tokens = {
        role: demoted.post("/api/v1/tokens", json={"name": role, "role": role}, headers=headers).json()["token"]
        for role in ("admin", "partner", "editor", "viewer")
    }
    invites = {}
    for role in ("admin", "editor", "factchecker"):
        invited = demoted.post("/api/v1/invites", json={"email": f"new-{role}@mot.vn", "role": role}, headers=headers)
        invites[role] = path(invited.json()["link"])
    reset = demoted.post(f"/api/v1/users/{people['viewer'].id}/password-reset", headers=headers)

    changed = boss.patch(f"/api/v1/users/{second.id}", json={"role": "editor"}, headers=csrf(boss))
    assert changed.json()["role"] == "editor"
    machine, outsider = browsers("192.0.2.1"), browsers("203.0.113.5")
    assert {role: token_works(machine, secret) for role, secret in tokens.items()} == {
        "admin": False, "partner": False, "editor": True, "viewer": True,  # partners push; editors may not
    }  # fmt: skip
    assert {role: outsider.get(link).status_code for role, link in invites.items()} == {
        "admin": 404, "editor": 200, "factchecker": 200,
    }  # fmt: skip
    assert reset.status_code == 201
    assert outsider.get(path(reset.json()["link"])).status_code == 404  # it takes over an account: admins only
    revoked = sorted((e["action"], e["detail"].get("role")) for e in audit(boss) if e["action"].endswith(".revoke"))
    assert revoked == [("invite.revoke", "admin"), ("password_reset.revoke", None), ("token.revoke", "admin"),
                       ("token.revoke", "partner")]  # fmt: skip


# -- finding 6: sign-in throttling -------------------------------------------------------------------------


def test_an_attacker_failing_from_elsewhere_cannot_lock_the_owner_out(
    app_context: AppContext, people: dict[str, User], browsers: Any
) -> None:
    attacker = browsers("203.0.113.66")
    statuses = [sign_in(attacker, "editor@mot.vn", f"guess {n}").status_code for n in range(30)]
    assert statuses == [401] * PAIR_FREE + [429] * (30 - PAIR_FREE)
    refused = sign_in(attacker, "editor@mot.vn")  # even the right password: nothing is checked while it waits
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "Đăng nhập sai quá nhiều lần: hãy thử lại sau 1 giây." in refused.text
    assert sign_in(browsers("198.51.100.5"), "editor@mot.vn").status_code == 303  # the owner, elsewhere

    for n in range(ACCOUNT_FREE):  # many addresses, one guess each
        assert sign_in(browsers(f"192.0.2.{n}"), "editor@mot.vn", "guess").status_code == 401
    assert sign_in(browsers("192.0.2.0"), "editor@mot.vn", "guess").status_code == 429  # slowed by the account
    assert sign_in(browsers("198.51.100.6"), "editor@mot.vn").status_code == 303  # a clean client is not


def test_one_address_trying_many_e_mails_is_slowed_then_refused(
    app_context: AppContext, people: dict[str, User], browsers: Any, clock: Clock
) -> None:
    attacker = browsers("203.0.113.9")
    statuses = [sign_in(attacker, f"person{n}@mot.vn", "guess").status_code for n in range(30)]
    assert statuses == [401] * CLIENT_FREE + [429] * (30 - CLIENT_FREE)
    assert sign_in(attacker, "viewer@mot.vn").status_code == 429
    clock.now += 1
    assert sign_in(attacker, "viewer@mot.vn", "guess").status_code == 401  # slowed, not locked: 1 s, 2 s, 4 s …
    again = sign_in(attacker, "viewer@mot.vn")
    assert again.status_code == 429 and again.headers["retry-after"] == "2"
    assert sign_in(browsers("198.51.100.9"), "viewer@mot.vn").status_code == 303


def test_failed_sign_ins_are_audited_in_the_accounts_organisation_without_the_password(
    app_context: AppContext, people: dict[str, User], browsers: Any
) -> None:
    app_context.accounts.create_user("Báo Hai", "admin@hai.vn", "Hai", "admin", PASSWORD)
    boss = signed_in(browsers, "admin@mot.vn")
    assert boss.patch(f"/api/v1/users/{people['viewer'].id}", json={"active": False},
                      headers=csrf(boss)).status_code == 200  # fmt: skip
    attacker = browsers("203.0.113.77")
    assert sign_in(attacker, "editor@mot.vn", "the-guessed-secret").status_code == 401
    assert sign_in(attacker, "nobody@mot.vn", "the-guessed-secret").status_code == 401
    assert sign_in(attacker, "viewer@mot.vn").status_code == 401  # right password, deactivated account

    failed = [e for e in audit(boss) if e["action"] == "user.sign_in_failed"]
    assert [(e["object_id"], e["detail"]["client"], e["detail"]["reason"]) for e in failed] == [
        (str(people["viewer"].id), "203.0.113.77", "account deactivated"),
        (str(people["editor"].id), "203.0.113.77", "wrong password"),
    ]
    exported = boss.get("/api/v1/audit?format=jsonl", headers=csrf(boss)).text
    assert "the-guessed-secret" not in exported and PASSWORD not in exported
    elsewhere = signed_in(browsers, "admin@hai.vn", "198.51.100.20")
    assert "sign_in_failed" not in elsewhere.get("/api/v1/audit?format=jsonl", headers=csrf(elsewhere)).text


def test_a_flood_of_addresses_and_e_mails_keeps_the_throttles_memory_bounded(
    app_context: AppContext, people: dict[str, User], browsers: Any, clock: Clock
) -> None:
    throttle = app_context.accounts.throttle = SignInThrottle(clock=clock, max_entries=5)
    for n in range(20):  # each a new address and a new e-mail (the unit test floods 100 000)
        assert sign_in(browsers(f"10.0.0.{n + 1}"), f"flood{n}@mot.vn", "guess").status_code == 401
    assert throttle.size() == 3 * 5  # full, and no fuller: pairs, clients and accounts, 5 each


class WatchedAccounts(AccountService):
    """Notes, for each password operation, whether it ran with an event loop running in its thread."""

    calls: list[tuple[str, bool]]

    def _note(self, name: str) -> None:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        self.calls.append((name, on_loop))

    def sign_in(self, *args: Any, **kwargs: Any) -> Any:
        self._note("sign_in")
        return super().sign_in(*args, **kwargs)

    def accept_invite(self, *args: Any, **kwargs: Any) -> Any:
        self._note("accept_invite")
        return super().accept_invite(*args, **kwargs)

    def change_password(self, *args: Any, **kwargs: Any) -> Any:
        self._note("change_password")
        return super().change_password(*args, **kwargs)

    def use_reset(self, *args: Any, **kwargs: Any) -> Any:
        self._note("use_reset")
        return super().use_reset(*args, **kwargs)


def test_password_hashing_never_runs_on_the_event_loop(
    app_context: AppContext, people: dict[str, User], browsers: Any
) -> None:
    watched = WatchedAccounts(app_context.database, app_context.account_store, app_context.tokens,
                              app_context.organisations)  # fmt: skip
    watched.calls = []
    app_context.accounts = watched  # type: ignore[misc]
    boss = signed_in(browsers, "admin@mot.vn")
    link = boss.post("/api/v1/invites", json={"email": "moi@mot.vn", "role": "viewer"}, headers=csrf(boss))
    newcomer = browsers("198.51.100.40")
    newcomer.post(path(link.json()["link"]), data={"display_name": "Mới", "password": PASSWORD})
    assert [name for name, on_loop in watched.calls if on_loop] == []
    boss.post("/account/password", data={"csrf_token": csrf(boss)[CSRF_HEADER], "current_password": PASSWORD,
              "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})  # fmt: skip
    boss.post("/api/v1/account/password", json={"current_password": NEW_PASSWORD, "new_password": PASSWORD},
              headers=csrf(boss))  # fmt: skip
    reset = boss.post(f"/api/v1/users/{people['editor'].id}/password-reset", headers=csrf(boss)).json()["link"]
    newcomer.post(path(reset), data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert [name for name, on_loop in watched.calls if on_loop] == []
    assert sorted({name for name, _ in watched.calls}) == ["accept_invite", "change_password", "sign_in", "use_reset"]


# -- finding 11: changing and resetting passwords ---------------------------------------------------------


def test_people_change_their_own_password_and_their_other_sessions_end(
    app_context: AppContext, people: dict[str, User], browsers: Any
) -> None:
    here = signed_in(browsers, "factchecker@mot.vn", "198.51.100.30")
    elsewhere = signed_in(browsers, "factchecker@mot.vn", "198.51.100.31")
    token = csrf(here)[CSRF_HEADER]

    def change(current: str, new: str, confirm: str | None = None, csrf_token: str = token) -> httpx.Response:
        form = {"csrf_token": csrf_token, "current_password": current, "new_password": new,
                "confirm_password": new if confirm is None else confirm}  # fmt: skip
        return here.post("/account/password", data=form, follow_redirects=False)

    assert change(PASSWORD, NEW_PASSWORD, csrf_token="forged").status_code == 403
    wrong = change("not my password", NEW_PASSWORD)
    assert wrong.status_code == 403 and "Mật khẩu hiện tại không đúng." in wrong.text
    short = change(PASSWORD, "short")
    assert short.status_code == 422 and "Mật khẩu cần ít nhất 10 ký tự." in short.text
    assert change(PASSWORD, NEW_PASSWORD, confirm="something else").status_code == 422
    done = change(PASSWORD, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"].startswith("/account?msg=")

    assert here.get("/api/v1/cases").status_code == 200  # this session goes on
    assert elsewhere.get("/api/v1/cases").status_code == 401  # the others ended
    assert sign_in(browsers("198.51.100.32"), "factchecker@mot.vn").status_code == 401
    again = signed_in(browsers, "factchecker@mot.vn", "198.51.100.33", NEW_PASSWORD)

    api = again.post("/api/v1/account/password", json={"current_password": NEW_PASSWORD, "new_password": PASSWORD},
                     headers=csrf(again))  # fmt: skip
    assert api.status_code == 200 and api.json() == {"changed": True, "sessions_ended": 1}
    assert here.get("/api/v1/cases").status_code == 401
    wrong_api = again.post("/api/v1/account/password", json={"current_password": "x" * 12, "new_password": "y" * 12},
                           headers=csrf(again))  # fmt: skip
    assert wrong_api.status_code == 403
    boss = signed_in(browsers, "admin@mot.vn")
    machine = boss.post("/api/v1/tokens", json={"name": "reader", "role": "viewer"}, headers=csrf(boss))
    by_token = browsers("192.0.2.9").post(
        "/api/v1/account/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {machine.json()['token']}"},
    )  # fmt: skip
    assert by_token.status_code == 403 and "token has no password" in by_token.json()["error"]
    changes = [e["detail"] for e in audit(boss) if e["action"] == "user.password_change"]
    assert changes == [{"sessions_ended": 1}, {"sessions_ended": 1}]


def test_an_admin_hands_out_a_single_use_reset_link_that_ends_every_session(
    app_context: AppContext, people: dict[str, User], browsers: Any
) -> None:
    boss = signed_in(browsers, "admin@mot.vn")
    editor = people["editor"]
    session = signed_in(browsers, "editor@mot.vn", "198.51.100.50")
    page = boss.post(f"/admin/users/{editor.id}/reset", data={"csrf_token": csrf(boss)[CSRF_HEADER]})
    shown = re.search(r'<code id="secret">([^<]+)</code>', page.text)
    assert page.status_code == 200 and shown and "/reset/" in shown.group(1)
    issued = boss.post(f"/api/v1/users/{editor.id}/password-reset", headers=csrf(boss))
    assert issued.status_code == 201 and issued.json()["user_id"] == editor.id
    link = path(issued.json()["link"])
    visitor = browsers("198.51.100.51")
    assert visitor.get(path(shown.group(1))).status_code == 404  # a newer link replaces it

    assert "editor@mot.vn" in visitor.get(link).text
    weak = visitor.post(link, data={"password": "short", "confirm_password": "short"})
    assert weak.status_code == 422 and "Mật khẩu cần ít nhất 10 ký tự." in weak.text
    used = visitor.post(link, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
                        follow_redirects=False)  # fmt: skip
    assert used.status_code == 303 and used.headers["location"].startswith("/login?msg=")
    assert visitor.get(link).status_code == 404  # single use
    assert visitor.post(link, data={"password": PASSWORD, "confirm_password": PASSWORD}).status_code == 404
    assert session.get("/api/v1/cases").status_code == 401  # every session of the person ended
    assert sign_in(browsers("198.51.100.52"), "editor@mot.vn").status_code == 401
    assert sign_in(browsers("198.51.100.53"), "editor@mot.vn", NEW_PASSWORD).status_code == 303

    from kiemchung.store.schema import password_resets

    late = path(boss.post(f"/api/v1/users/{editor.id}/password-reset", headers=csrf(boss)).json()["link"])
    with app_context.database.write() as connection:
        connection.execute(update(password_resets).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    assert visitor.get(late).status_code == 404  # expired
    app_context.accounts.create_user("Báo Hai", "admin@hai.vn", "Hai", "admin", PASSWORD)
    stranger = signed_in(browsers, "admin@hai.vn", "198.51.100.60")
    assert stranger.post(f"/api/v1/users/{editor.id}/password-reset", headers=csrf(stranger)).status_code == 403
    actions = [e["action"] for e in audit(boss) if e["action"].startswith("password_reset.")]
    assert sorted(actions) == ["password_reset.create"] * 3 + ["password_reset.revoke", "password_reset.use"]

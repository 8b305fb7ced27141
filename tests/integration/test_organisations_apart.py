"""Organisations are kept apart (issue 10, finding 4). A case, its comments, documents, sources, posts and
alerts belong to their organisation: another organisation's people neither list, read nor act on them, and
are answered as if the object did not exist. The owner's editor may share a case with another organisation,
which may then read it and comment on it (nothing more); every action is written to the owner's audit log,
naming the actor's organisation. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.cli import cli
from kiemchung.demo import DEMO_ORGANISATION, DEMO_PASSWORD, set_up_demo
from kiemchung.store.cases import CaseFilter
from tests.clients import signed_in
from tests.snapshots import BACKENDS, Prepared, prepared_for

OTHER = "Báo Đối Thủ"
TIP = "Tin mật: một quan chức sắp bị điều tra vì nhận hối lộ đất đai"
MEMO = ("memo.txt", "Bản ghi nhớ nội bộ: tên người cung cấp tin là ...".encode(), "text/plain")


_client = signed_in


@dataclass
class Desks:
    context: AppContext
    owner: dict[str, TestClient]  # the demo organisation's people, by role
    other: dict[str, TestClient]  # the other organisation's people, by role
    case: dict[str, Any]  # the owner's confidential tip, ready to publish
    source: str  # the owner's source


def _demo_and_a_rival(context: AppContext) -> None:
    set_up_demo(context)
    for role in ("viewer", "factchecker", "editor", "admin"):
        context.accounts.create_user(OTHER, f"{role}@doithu.example", f"{role} đối thủ", role, DEMO_PASSWORD)


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared[None]]:
    """The demo and a rival organisation's people (argon2) made once per database; each test gets a copy."""
    yield from prepared_for(request, tmp_path_factory, _demo_and_a_rival)


@pytest.fixture
def desks(demo: Prepared[None], tmp_path: Path) -> Iterator[Desks]:
    with demo.copy(tmp_path) as context:
        yield from _desks(context)


def _desks(app_context: AppContext) -> Iterator[Desks]:
    owner = {role: _client(app_context, f"{role}@demo.kiemchung") for role in ("factchecker", "editor", "admin")}
    other = {role: _client(app_context, f"{role}@doithu.example") for role in ("viewer", "factchecker", "editor")}
    factchecker, editor = owner["factchecker"], owner["editor"]
    case = factchecker.post("/api/v1/cases", json={"claim": TIP, "topic": "mật"}).json()
    factchecker.post(f"/api/v1/cases/{case['id']}/comments", json={"body": "Nguồn tin: cán bộ phòng đất đai"})
    factchecker.post(f"/api/v1/cases/{case['id']}/evidence/file", files={"file": MEMO})
    quote = {"kind": "quote", "quote": "Lời khai", "source": "biên bản nội bộ"}
    case = factchecker.post(f"/api/v1/cases/{case['id']}/evidence", json=quote).json()
    case = factchecker.put(f"/api/v1/cases/{case['id']}/verdict", json={
        "version": case["version"], "rating": "Sai", "rebuttal": "Không có cuộc điều tra nào [1].",
        "second_review": False}).json()  # fmt: skip
    source = editor.post("/api/v1/sources", json={"kind": "feed", "name": "nguon-rieng",
                                                  "url": "https://owner.example/feed.xml"})  # fmt: skip
    assert source.status_code == 201
    yield Desks(app_context, owner, other, case, "nguon-rieng")
    for client in [*owner.values(), *other.values()]:
        client.close()


def _owner_log(desks: Desks) -> list[dict[str, Any]]:
    response = desks.owner["admin"].get("/api/v1/audit")
    assert response.status_code == 200
    entries: list[dict[str, Any]] = response.json()
    return entries


def test_every_line_of_the_audit_is_refused_and_nothing_changes(desks: Desks) -> None:
    case, other = desks.case, desks.other
    path = f"/api/v1/cases/{case['id']}"
    memo = next(e for e in case["evidence"] if e["kind"] == "document")
    logged = _owner_log(desks)
    missing = other["viewer"].get("/api/v1/cases/999999")
    # the viewer read the confidential tip, its comments and the uploaded memo
    assert other["viewer"].get(path).status_code == 404
    assert other["viewer"].get(path).json() == {"error": missing.json()["error"].replace("999999", str(case["id"]))}
    assert other["viewer"].get(f"/cases/{case['id']}").status_code == 404
    assert other["viewer"].get(f"{path}/evidence/{memo['id']}/file").status_code == 404
    listed = other["viewer"].get("/api/v1/cases", params={"q": "quan chức"}).json()
    assert listed == {"total": 0, "items": []}
    assert TIP not in other["viewer"].get("/queue").text
    # the factchecker re-assigned the case
    factchecker_id = desks.context.account_store.user_by_email("factchecker@doithu.example").id  # type: ignore[union-attr]
    assert other["factchecker"].patch(path, json={"version": case["version"],
                                                  "assignee_id": factchecker_id}).status_code == 404  # fmt: skip
    # the editor dismissed it, deleted the owner's source and published the case with an internal quote
    assert other["editor"].patch(path, json={"version": case["version"], "status": "dismissed"}).status_code == 404
    assert other["editor"].delete(f"/api/v1/sources/{desks.source}").status_code == 404
    assert other["editor"].patch(f"/api/v1/sources/{desks.source}", json={"enabled": False}).status_code == 404
    assert other["editor"].post(f"{path}/evidence", json={"kind": "quote", "quote": "trích nội bộ",
                                                          "source": "họp"}).status_code == 404  # fmt: skip
    assert other["editor"].post(f"{path}/publish", json={"version": case["version"]}).status_code == 404
    assert other["editor"].post(f"{path}/shares", json={"organisation": OTHER}).status_code == 404
    assert other["factchecker"].post(f"{path}/comments", json={"body": "x"}).status_code == 404
    # nothing changed, nothing of the other organisation's in the owner's log
    after = desks.owner["editor"].get(path).json()
    assert (after["version"], after["status"], after["assignee_id"], after["factcheck_id"]) == (
        case["version"], "drafted", None, None
    )  # fmt: skip
    assert [s["name"] for s in desks.owner["editor"].get("/api/v1/sources").json() if s["enabled"]].count(desks.source)
    assert _owner_log(desks) == logged
    assert desks.owner["editor"].post(f"{path}/publish", json={"version": case["version"]}).status_code == 200


def test_a_shared_case_is_read_and_commented_on_and_audited_in_the_owners_log(desks: Desks) -> None:
    case, other, owner = desks.case, desks.other, desks.owner
    path = f"/api/v1/cases/{case['id']}"
    memo = next(e for e in case["evidence"] if e["kind"] == "document")
    assert owner["factchecker"].post(f"{path}/shares", json={"organisation": OTHER}).status_code == 403
    assert owner["editor"].post(f"{path}/shares", json={"organisation": "Không Có"}).status_code == 404
    shared = owner["editor"].post(f"{path}/shares", json={"organisation": OTHER})
    assert shared.status_code == 200
    assert [s["organisation"] for s in shared.json()["shared_with"]] == [OTHER]
    # the partner reads the case, its comments and memo, lists it, and comments
    assert other["viewer"].get(path).json()["comments"][0]["body"] == "Nguồn tin: cán bộ phòng đất đai"
    assert other["viewer"].get(f"{path}/evidence/{memo['id']}/file").content == MEMO[1]
    assert [c["id"] for c in other["viewer"].get("/api/v1/cases").json()["items"]] == [case["id"]]
    page = other["viewer"].get(f"/cases/{case['id']}")
    assert page.status_code == 200 and TIP in page.text and 'action="/cases/' not in page.text
    remark = {"body": "Chúng tôi có thêm thông tin"}
    assert other["factchecker"].post(f"{path}/comments", json=remark).status_code == 201
    assert other["factchecker"].get(f"/cases/{case['id']}").text.count(f'action="/cases/{case["id"]}/comments"') == 1
    # acting on it stays with the owner
    version = other["viewer"].get(path).json()["version"]
    refused = [
        other["factchecker"].patch(path, json={"version": version, "priority": 3}),
        other["factchecker"].post(f"{path}/evidence", json={"kind": "quote", "quote": "q", "source": "s"}),
        other["factchecker"].post(f"{path}/evidence/file", files={"file": MEMO}),
        other["factchecker"].put(f"{path}/verdict", json={"version": version, "rating": "Đúng", "rebuttal": "x"}),
        other["editor"].patch(path, json={"version": version, "status": "dismissed"}),
        other["editor"].post(f"{path}/signoff", json={"version": version}),
        other["editor"].post(f"{path}/publish", json={"version": version}),
        other["editor"].post(f"{path}/shares", json={"organisation": DEMO_ORGANISATION}),
        other["editor"].delete(f"{path}/shares/{shared.json()['shared_with'][0]['organisation_id']}"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert other["viewer"].get(path).json()["version"] == version
    # the owner's log names the partner's comment and its organisation; the partner's log lists it too
    log = _owner_log(desks)
    comment = next(e for e in log if e["action"] == "case.comment" and e["user"] == "factchecker@doithu.example")
    assert comment["object_id"] == str(case["id"]) and comment["actor_organisation"] == OTHER
    share = next(e for e in log if e["action"] == "case.share")
    assert share["user"] == "editor@demo.kiemchung" and share["detail"]["organisation"] == OTHER
    admin = _client(desks.context, "admin@doithu.example")
    assert [e["action"] for e in admin.get("/api/v1/audit").json() if e["object_id"] == str(case["id"])] == [
        "case.comment"
    ]
    # unshared: gone again
    organisation_id = shared.json()["shared_with"][0]["organisation_id"]
    assert owner["editor"].delete(f"{path}/shares/{organisation_id}").status_code == 200
    assert other["viewer"].get(path).status_code == 404
    assert any(e["action"] == "case.unshare" for e in _owner_log(desks))
    admin.close()


def test_the_pipelines_cases_and_the_sources_stay_with_their_organisation(desks: Desks) -> None:
    context = desks.context
    demo = context.organisations.by_name(DEMO_ORGANISATION)
    assert demo is not None
    everything, _ = context.case_store.find(CaseFilter(limit=500))
    assert len(everything) > 1 and {c.organisation_id for c in everything} == {demo.id}
    assert desks.other["viewer"].get("/api/v1/cases").json()["total"] == 0
    assert desks.other["viewer"].get("/api/v1/sources").json() == []
    assert desks.other["viewer"].get("/api/v1/status").json()["sources"] == []
    assert "nguon-rieng" not in desks.other["editor"].get("/sources").text
    owned = {s["name"] for s in desks.owner["editor"].get("/api/v1/sources").json()}
    assert {"demo-posts", "nguon-rieng"} <= owned


REPEAT = "Chia sẻ: uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư, ai cũng nên biết."


def test_the_monitors_posts_alerts_and_totals_stay_with_their_organisation(desks: Desks) -> None:
    owner, other = desks.owner["factchecker"], desks.other["viewer"]
    alerts = owner.get("/api/v1/alerts").json()
    post_id = next(a["post"]["id"] for a in alerts if a["post"])
    assert alerts and owner.get(f"/api/v1/posts/{post_id}").status_code == 200
    # another organisation's people get no alert, no post and no total of the owner's
    assert other.get("/api/v1/alerts").json() == []
    assert not any(f'id="alert-{a["id"]}"' in other.get("/alerts").text for a in alerts)
    missing = other.get("/api/v1/posts/no-such-post")
    refused = other.get(f"/api/v1/posts/{post_id}")
    assert refused.status_code == 404 and refused.json() == {"error": missing.json()["error"].replace(
        "no-such-post", post_id)}  # fmt: skip
    totals = owner.get("/api/v1/status").json()
    assert totals["posts"] > 0 and totals["alerts"] == len(owner.get("/api/v1/alerts", params={"limit": 500}).json())
    assert other.get("/api/v1/status").json() == {"inbox": dict.fromkeys(totals["inbox"], 0), "posts": 0,
                                                  "alerts": 0, "sources": []}  # fmt: skip
    page = other.get("/status").text
    assert page.count("<dd>0</dd>") == len(totals["inbox"]) + 2 and f"<dd>{totals['posts']}</dd>" not in page
    # the other organisation's pushed post (repeating a fact-checked claim) is its own, and the owner's stay
    pushed = _client(desks.context, "admin@doithu.example")
    assert pushed.post("/api/v1/posts", json={"id": "doithu-1", "text": REPEAT}).json()["accepted"] == 1
    desks.context.monitor.drain()
    assert other.get("/api/v1/posts/doithu-1").status_code == 200
    assert owner.get("/api/v1/posts/doithu-1").status_code == 404
    theirs = other.get("/api/v1/status").json()
    assert (theirs["posts"], theirs["inbox"]["done"]) == (1, 1)
    assert [a["post"]["id"] for a in other.get("/api/v1/alerts").json()] == ["doithu-1"]
    assert "doithu-1" not in {a["post"]["id"] for a in owner.get("/api/v1/alerts").json() if a["post"]}
    assert owner.get("/api/v1/status").json() == {**totals, "sources": owner.get("/api/v1/status").json()["sources"]}
    pushed.close()


def test_a_rival_source_named_like_an_id_does_not_shadow_the_owners_source_on_the_pages(desks: Desks) -> None:
    owner, rival = desks.owner["editor"], desks.other["editor"]
    mine = next(s for s in owner.get("/api/v1/sources").json() if s["name"] == desks.source)
    named_like_it = {"kind": "feed", "name": str(mine["id"]), "url": "https://rival.example/feed.xml"}
    assert rival.post("/api/v1/sources", json=named_like_it).status_code == 201
    assert rival.post(f"/sources/{mine['id']}/toggle", follow_redirects=False).status_code == 404
    # the owner's page forms name the source by id: the owner's source is toggled and removed, not refused
    assert owner.post(f"/sources/{mine['id']}/toggle", follow_redirects=False).status_code == 303
    assert next(s for s in owner.get("/api/v1/sources").json() if s["id"] == mine["id"])["enabled"] is False
    assert rival.get("/api/v1/sources").json()[0]["enabled"] is True
    assert owner.post(f"/sources/{mine['id']}/remove", follow_redirects=False).status_code == 303
    assert mine["id"] not in {s["id"] for s in owner.get("/api/v1/sources").json()}
    assert [s["name"] for s in rival.get("/api/v1/sources").json()] == [str(mine["id"])]


def _posts_of(client: TestClient, case_id: int) -> list[str]:
    items = client.get(f"/api/v1/cases/{case_id}").json()["items"]
    return [i["post_id"] for i in items if i["post_id"]]


def test_a_shared_cases_posts_are_read_by_the_partner_and_no_other_post(desks: Desks) -> None:
    owner, editor, partner = desks.owner["factchecker"], desks.owner["editor"], desks.other["viewer"]
    shared, unshared = [c["id"] for c in owner.get("/api/v1/cases", params={"sort": "oldest"}).json()["items"]
                        if _posts_of(owner, c["id"])][:2]  # fmt: skip
    post_id, other_post = _posts_of(owner, shared)[0], _posts_of(owner, unshared)[0]
    assert post_id not in _posts_of(owner, unshared) and other_post not in _posts_of(owner, shared)
    missing = partner.get("/api/v1/posts/no-such-post").json()["error"]
    assert partner.get(f"/api/v1/posts/{post_id}").status_code == 404
    share = editor.post(f"/api/v1/cases/{shared}/shares", json={"organisation": OTHER}).json()["shared_with"][0]
    # the partner reads the shared case's post, lists and exports the case's posts, and reads them on its page
    post = partner.get(f"/api/v1/posts/{post_id}")
    assert post.status_code == 200 and post.json() == owner.get(f"/api/v1/posts/{post_id}").json()
    listed = partner.get("/api/v1/posts", params={"case_id": shared}).json()
    assert listed == owner.get("/api/v1/posts", params={"case_id": shared}).json()
    assert [p["id"] for p in listed["items"]] == [post_id] and listed["total"] == 1
    exported = partner.get("/api/v1/posts.csv", params={"case_id": shared})
    assert exported.status_code == 200 and post_id in exported.text and other_post not in exported.text
    page = partner.get(f"/cases/{shared}")
    assert page.status_code == 200 and post.json()["text"][:80] in page.text and "demo-posts" in page.text
    # nothing more: the unshared case's post, the owner's posts list, and acting on the shared case's match
    refused = partner.get(f"/api/v1/posts/{other_post}")
    assert refused.status_code == 404 and refused.json()["error"] == missing.replace("no-such-post", other_post)
    assert partner.get("/api/v1/posts", params={"case_id": unshared}).status_code == 404
    assert partner.get("/api/v1/posts.csv", params={"case_id": unshared}).status_code == 404
    assert partner.get("/api/v1/posts", params={"case_id": 999999}).status_code == 404
    assert partner.get("/api/v1/posts").json() == {"total": 0, "items": []}
    match_id = owner.get(f"/api/v1/cases/{shared}").json()["items"][0]["match_id"]
    feedback = desks.other["factchecker"].post(f"/api/v1/matches/{match_id}/feedback", json={"verdict": "accept"})
    assert feedback.status_code == 403
    # unshared: the post is gone again
    assert editor.delete(f"/api/v1/cases/{shared}/shares/{share['organisation_id']}").status_code == 200
    assert partner.get(f"/api/v1/posts/{post_id}").status_code == 404
    assert partner.get("/api/v1/posts", params={"case_id": shared}).status_code == 404
    assert partner.get(f"/cases/{shared}").status_code == 404


def test_two_organisations_name_a_source_alike_and_a_clash_names_no_one_elses_source(desks: Desks) -> None:
    owner, rival = desks.owner["editor"], desks.other["editor"]
    feed = {"kind": "feed", "name": desks.source, "url": "https://rival.example/feed.xml"}
    added = rival.post("/api/v1/sources", json=feed)
    assert added.status_code == 201 and added.json()["name"] == desks.source
    # a duplicate inside one organisation is still refused, in words that name only the asker's own source
    again = rival.post("/api/v1/sources", json={**feed, "url": "https://rival.example/other.xml"})
    mine = owner.post("/api/v1/sources", json={**feed, "url": "https://owner.example/other.xml"})
    assert (again.status_code, mine.status_code) == (409, 409)
    assert again.json() == {"error": f"your organisation has a source named {desks.source!r} already"}
    owned = {s["name"] for s in owner.get("/api/v1/sources").json()}
    assert not any(name in again.text for name in owned - {desks.source}) and DEMO_ORGANISATION not in again.text
    # the reserved name of another organisation's pushed posts stays refused
    trap = {"kind": "feed", "name": f"push:{DEMO_ORGANISATION}", "url": "https://rival.example/feed.xml"}
    assert rival.post("/api/v1/sources", json=trap).status_code == 422
    # each organisation's name reaches its own source only
    assert rival.patch(f"/api/v1/sources/{desks.source}", json={"enabled": False}).status_code == 200
    assert [(s["url"], s["enabled"]) for s in rival.get("/api/v1/sources").json()] == [(feed["url"], False)]
    ours = next(s for s in owner.get("/api/v1/sources").json() if s["name"] == desks.source)
    assert (ours["url"], ours["enabled"]) == ("https://owner.example/feed.xml", True)
    assert owner.delete(f"/api/v1/sources/{desks.source}").status_code == 204
    assert desks.source not in {s["name"] for s in owner.get("/api/v1/sources").json()}
    assert [s["name"] for s in rival.get("/api/v1/sources").json()] == [desks.source]


def test_the_command_line_asks_whose_source_when_two_organisations_use_a_name(desks: Desks) -> None:
    context = desks.context
    other = context.organisations.by_name(OTHER)
    assert other is not None
    theirs = context.sources.add("feed", desks.source, "https://rival.example/feed.xml", organisation_id=other.id)
    settings = ["--data-dir", str(context.settings.data_dir), "--database-url", context.settings.database_url]
    runner = CliRunner()
    ambiguous = runner.invoke(cli, [*settings, "sources", "disable", desks.source])
    assert ambiguous.exit_code != 0 and "--organisation" in ambiguous.stderr
    assert f"organisations: {OTHER}, {DEMO_ORGANISATION}" in ambiguous.stderr
    assert all(s.enabled for s in context.sources.all())
    chosen = runner.invoke(cli, [*settings, "sources", "disable", desks.source, "--organisation", OTHER])
    assert chosen.exit_code == 0, chosen.stderr
    assert [s.name for s in context.sources.all() if not s.enabled] == [desks.source]
    assert context.source_store.get(theirs.id).enabled is False
    added = runner.invoke(cli, [*settings, "sources", "add", "feed", "tin-moi", "https://x.example/rss", "-O", OTHER])
    assert added.exit_code == 0 and [s.name for s in context.sources.of_organisation(other.id)] == [
        desks.source, "tin-moi"
    ]  # fmt: skip
    unknown = runner.invoke(cli, [*settings, "sources", "enable", desks.source, "-O", "Không Có"])
    assert unknown.exit_code != 0 and "no organisation named 'Không Có'" in unknown.stderr


def test_a_third_organisations_post_in_a_shared_case_stays_its_own(desks: Desks) -> None:
    context, editor, partner = desks.context, desks.owner["editor"], desks.other["viewer"]
    context.accounts.create_user("Báo Thứ Ba", "admin@thuba.example", "admin thứ ba", "admin", DEMO_PASSWORD)
    third = _client(context, "admin@thuba.example")
    assert third.post("/api/v1/posts", json={"id": "thuba-1", "text": REPEAT}).json()["accepted"] == 1
    context.monitor.drain()
    cases = editor.get("/api/v1/cases").json()["items"]  # the demo's fact-check was matched: the demo's case
    case_id = next(c["id"] for c in cases if "thuba-1" in _posts_of(editor, c["id"]))
    assert editor.post(f"/api/v1/cases/{case_id}/shares", json={"organisation": OTHER}).status_code == 200
    owners_posts = [p for p in _posts_of(editor, case_id) if p != "thuba-1"]
    assert owners_posts and all(partner.get(f"/api/v1/posts/{p}").status_code == 200 for p in owners_posts)
    assert partner.get("/api/v1/posts/thuba-1").status_code == editor.get("/api/v1/posts/thuba-1").status_code == 404
    listed = partner.get("/api/v1/posts", params={"case_id": case_id, "limit": 500}).json()["items"]
    assert sorted(p["id"] for p in listed) == sorted(set(owners_posts))
    assert third.get("/api/v1/posts/thuba-1").status_code == 200
    third.close()

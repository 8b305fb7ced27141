"""Review of the trust-boundary work (issue 10): holes found afterwards, each shown closed. On SQLite and
PostgreSQL where storage is involved.

- a source named like another organisation's push source cannot capture the posts its partners push;
- a body sent with a made-up token or session cookie gets the anonymous body limit, not the batch one;
- an evidence page whose compressed body cannot be decoded is stored as "not archived", never left
  "archiving…" for ever (and re-fetched at every restart);
- a suggested match not yet in a case is still only reviewed by the organisation that will own it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_ORGANISATION, DEMO_PASSWORD, set_up_demo
from kiemchung.web.app import create_app
from tests.clients import signed_in as _client
from tests.servers import Route, Site, serve_site

OTHER = "Báo Đối Thủ"


@pytest.fixture
def demo(app_context: AppContext) -> AppContext:
    set_up_demo(app_context)
    for role in ("factchecker", "editor"):
        app_context.accounts.create_user(OTHER, f"{role}@doithu.example", f"{role} đối thủ", role, DEMO_PASSWORD)
    return app_context


def _partner_token(context: AppContext) -> str:
    admin = context.accounts.sign_in("admin@demo.kiemchung", DEMO_PASSWORD).actor
    _, secret = context.accounts.create_token(admin, "đối tác", "partner")
    return secret


def test_another_organisation_cannot_capture_our_partners_pushed_posts(demo: AppContext) -> None:
    rival = _client(demo, "editor@doithu.example")
    trap = {"kind": "feed", "name": f"push:{DEMO_ORGANISATION}", "url": "https://rival.example/feed.xml"}
    assert rival.post("/api/v1/sources", json=trap).status_code == 422
    # a trap left in the database before the rule (or made from the command line) is not used either: source
    # names are per organisation, so the partner's posts go to our own "push:" source, never to the trap
    rival_org = demo.organisations.by_name(OTHER)
    assert rival_org is not None
    demo.source_store.add("feed", f"push:{DEMO_ORGANISATION}", "https://rival.example/feed.xml", 900, {},
                          rival_org.id)  # fmt: skip
    waiting = demo.inbox.counts()
    with TestClient(create_app(demo.settings, demo)) as partner:
        post = {"id": "p-1", "text": "Tin mật từ đối tác: giá xăng tăng gấp đôi từ ngày mai", "url": "https://x.vn/1"}
        pushed = partner.post("/api/v1/posts", json=post, headers={"Authorization": f"Bearer {_partner_token(demo)}"})
    assert pushed.status_code == 202 and pushed.json()["accepted"] == 1
    assert [(s["name"], s["items"]) for s in rival.get("/api/v1/sources").json()] == [(f"push:{DEMO_ORGANISATION}", 0)]
    assert demo.inbox.counts(organisation_id=rival_org.id) == dict.fromkeys(waiting, 0)  # the trap got nothing
    owner = demo.organisations.by_name(DEMO_ORGANISATION)
    assert owner is not None
    ours = demo.sources.owned(owner.id, f"push:{DEMO_ORGANISATION}")
    assert ours.items_total == 1 and ours.id != rival.get("/api/v1/sources").json()[0]["id"]
    rival.close()


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve_site() as served:
        yield served


def test_an_undecodable_evidence_page_is_stored_as_not_archived(demo: AppContext, site: Site) -> None:
    site.routes["/hong"] = Route(b"not gzip at all", headers={"Content-Encoding": "gzip"})
    factchecker = demo.accounts.sign_in("factchecker@demo.kiemchung", DEMO_PASSWORD).actor
    case = demo.cases.open_case(factchecker, "Giá điện sẽ tăng 30% từ tháng sau")
    demo.evidence_archiver.close()  # no background worker: the snapshot is taken here
    case = demo.cases.add_url(factchecker, case.id, site.url("/hong"))
    problem = demo.evidence_archiver.archive(case.evidence[0].id)
    assert problem is not None and "decod" in problem
    stored = demo.cases.get(factchecker, case.id).evidence[0]
    assert not stored.archiving and stored.snapshot is None and stored.title == site.url("/hong")
    assert demo.evidence_archiver.resume() == 0  # nothing left to fetch again at the next start


def test_a_match_not_yet_in_a_case_is_reviewed_only_by_its_owner(demo: AppContext) -> None:
    with TestClient(create_app(demo.settings, demo)) as partner:
        asked = {"text": "Nghe nói uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư"}
        found = partner.post("/api/v1/match", json=asked, headers={"Authorization": f"Bearer {_partner_token(demo)}"})
    assert found.status_code == 200
    match_id = next(m["match_id"] for m in found.json()["matches"] if m.get("match_id"))
    rival, owner = _client(demo, "factchecker@doithu.example"), _client(demo, "factchecker@demo.kiemchung")
    assert rival.post(f"/api/v1/matches/{match_id}/feedback", json={"verdict": "reject"}).status_code == 404
    assert owner.post(f"/api/v1/matches/{match_id}/feedback", json={"verdict": "accept"}).status_code == 200
    rival.close()
    owner.close()

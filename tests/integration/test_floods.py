"""Floods stay readable (issue 11, item 9): 2,000 posts repeating one debunked claim in 43 sources.

The alerts page shows one group per fact-check and day ("repeated 2,000 times in 43 sources since …"), a page
of at most 50 groups, each acknowledged or handled once (audited) and linked to its case; the case page
groups its appearances by source and day, folds copies under their original, pages them, and confirms or
rejects a selection or a whole page with one audit entry per action; the queue row counts posts and sources
and shows the sentence that raised the case. On SQLite and PostgreSQL; the flood is written in bulk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_ORGANISATION, set_up_demo
from kiemchung.settings import Settings
from kiemchung.store.alert_groups import AlertGroupStore
from kiemchung.store.alerts import AlertStore, NewAlert
from kiemchung.store.schema import factchecks, matches, posts, sources
from tests.integration.test_workbench import _client
from tests.snapshots import BACKENDS, Prepared, prepared_for

POSTS = 2_000
SOURCES = 43
ORIGINALS = 200  # post i ≥ 200 copies post i % 200
SPREADING = 60  # other alerts, each its own group: 61 groups in all, two pages
FLOOD_FACTCHECK = "flood-fc"
CLAIM = "Uống nước muối loãng mỗi sáng chữa khỏi bệnh tiểu đường."
PAGE_BYTES = 200_000


def _flood(context: AppContext) -> int:
    """The flood written in bulk (no embedder): sources, posts, matches and alerts; intake makes the case."""
    organisation = context.organisations.ensure(DEMO_ORGANISATION).id
    start = datetime.now(UTC) - timedelta(hours=30)
    with context.database.write() as connection:
        connection.execute(factchecks.insert().values(
            id=FLOOD_FACTCHECK, organisation_id=organisation, claim=CLAIM, search_text=CLAIM, rating_label="Sai",
            created_at=start, updated_at=start, appearances=[], evidence_links=[]))  # fmt: skip
        source_ids = [
            connection.execute(sources.insert().values(organisation_id=organisation, kind="feed", name=f"lũ-{n:02d}",
                                                       url=f"https://lu-{n}.example/feed", config={},
                                                       created_at=start)).inserted_primary_key[0]  # type: ignore[index]
            for n in range(SOURCES)
        ]  # fmt: skip
        connection.execute(posts.insert(), [
            {"id": f"flood-{i}", "source_id": source_ids[i % SOURCES], "text": f"{CLAIM} Chia sẻ {i}.",
             "url": f"https://lu-{i % SOURCES}.example/{i}", "published_at": start + timedelta(minutes=i),
             "fetched_at": start + timedelta(minutes=i), "content_hash": f"{i:064d}",
             "copy_of": f"flood-{i % ORIGINALS}" if i >= ORIGINALS else None}
            for i in range(POSTS)
        ])  # fmt: skip
        connection.execute(matches.insert(), [
            {"post_id": f"flood-{i}", "factcheck_id": FLOOD_FACTCHECK, "query_text": CLAIM, "sentence": CLAIM,
             "score": 0.93, "features": {}, "decision": True, "created_at": start}
            for i in range(POSTS)
        ])  # fmt: skip
        AlertStore.add(connection, [  # older claims first: the flood is the newest group
            NewAlert("spread", f"spread:other-{n}", f"flood-{n}", None, f"Nhận định khác số {n}.", 0.7, 3)
            for n in range(SPREADING)
        ] + [
            NewAlert("repeat", f"repeat:flood-{i}:{FLOOD_FACTCHECK}", f"flood-{i}", FLOOD_FACTCHECK, CLAIM, 0.93)
            for i in range(POSTS)
        ])  # fmt: skip
    while context.cases.intake():
        pass
    case = context.case_store.by_factcheck(FLOOD_FACTCHECK)
    assert case is not None
    return case.id


def _demo_and_flood(context: AppContext) -> int:
    set_up_demo(context)
    return _flood(context)


@pytest.fixture(scope="module", params=BACKENDS)
def flooded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared[int]]:
    """The demo and the flood, made once per database (argon2 and intake take seconds); each test gets a copy."""
    yield from prepared_for(request, tmp_path_factory, _demo_and_flood)


@pytest.fixture
def flood(flooded: Prepared[int], tmp_path: Path) -> Iterator[tuple[AppContext, TestClient, int]]:
    with flooded.copy(tmp_path) as context:
        client = _client(context, "factchecker@demo.kiemchung")
        yield context, client, flooded.value
        client.close()


def _audit(context: AppContext, action: str) -> list[dict[str, object]]:
    return [e.as_json() for e in context.audit.entries(None, None) if e.action == action]


def test_a_flood_of_alerts_reads_as_one_group_with_counts_paging_state_and_its_case(
    flood: tuple[AppContext, TestClient, int],
) -> None:
    context, client, case_id = flood
    page = client.get("/alerts")
    assert page.status_code == 200
    assert len(page.content) < PAGE_BYTES, len(page.content)
    assert page.text.count("data-group=") == 50
    row = page.text.split('class="alert-repeat', 1)[1].split("</li>", 1)[0]
    assert "lặp lại 2.000 lần trong 43 nguồn từ" in row
    assert f'href="/cases/{case_id}"' in row
    found = client.get("/api/v1/alerts/groups").json()
    assert found["total"] > SPREADING and (found["pages"], len(found["groups"])) == (2, 50)  # with the demo's
    second = client.get("/alerts?page=2")
    assert second.status_code == 200 and "Trang 2/2" in second.text
    assert second.text.count("data-group=") == found["total"] - 50
    flood_group = next(g for g in found["groups"] if g["kind"] == "repeat")
    assert (flood_group["alerts"], flood_group["posts"], flood_group["sources"]) == (POSTS, POSTS, SOURCES)
    assert flood_group["case"]["id"] == case_id and flood_group["state"] == "open"
    assert len(client.get("/api/v1/alerts?limit=500").json()) == 500  # the per-alert contract is kept

    acknowledged = client.post("/alerts/groups/state", data={"group": flood_group["key"], "state": "acknowledged"},
                               follow_redirects=False)  # fmt: skip
    assert acknowledged.status_code == 303
    assert "Đã ghi nhận" in client.get("/alerts").text.split('class="alert-repeat', 1)[1].split("</li>", 1)[0]
    handled = client.post("/api/v1/alerts/groups/state", json={"group": flood_group["key"], "state": "handled"})
    assert handled.status_code == 200
    again = next(g for g in client.get("/api/v1/alerts/groups").json()["groups"] if g["kind"] == "repeat")
    assert again["state"] == "handled" and again["state_by"]
    assert [e["object_id"] for e in _audit(context, "alert_group.acknowledged")] == [flood_group["key"]]
    assert [e["object_id"] for e in _audit(context, "alert_group.handled")] == [flood_group["key"]]
    unknown = client.post("/api/v1/alerts/groups/state", json={"group": "repeat:nope:2020-01-01", "state": "handled"})
    assert unknown.status_code == 404


def _page_item_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'name="page_item" value="(\d+)"', html)]


def test_the_flood_case_page_groups_folds_copies_pages_and_stays_small(
    flood: tuple[AppContext, TestClient, int],
) -> None:
    _, client, case_id = flood
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert len(page.content) < PAGE_BYTES, len(page.content)
    assert "2.000 bài đăng từ 43 nguồn; 200 bản gốc" in page.text
    assert len(_page_item_ids(page.text)) == 50 and page.text.count('class="confirm"') <= 50 + 2
    assert page.text.count('<details class="copies">') == 50 and "9 bản sao" in page.text  # 1,800 copies / 200
    assert 'class="appearance-group"' in page.text and "Trang 1/4" in page.text
    pages = [_page_item_ids(client.get(f"/cases/{case_id}?page={n}").text) for n in range(1, 5)]
    assert sorted(i for ids in pages for i in ids) == sorted(set(i for ids in pages for i in ids))
    assert sum(len(ids) for ids in pages) == ORIGINALS
    assert "Trang 4/4" in client.get(f"/cases/{case_id}?page=99").text  # past the last: the last


def test_a_bulk_action_changes_every_chosen_item_and_its_copies_with_one_audit_entry(
    flood: tuple[AppContext, TestClient, int],
) -> None:
    context, client, case_id = flood
    first_page = _page_item_ids(client.get(f"/cases/{case_id}").text)
    chosen = first_page[:2]
    selected = client.post(f"/cases/{case_id}/review", data={"verdict": "reject", "item": [str(i) for i in chosen]},
                           follow_redirects=False)  # fmt: skip
    assert selected.status_code == 303
    rejected = _audit(context, "match.bulk_reject")
    assert len(rejected) == 1 and rejected[0]["object_id"] == str(case_id)
    assert rejected[0]["detail"]["count"] == 2 * 10  # each original with its nine copies  # type: ignore[index]
    with context.database.read() as connection:
        assert (
            connection.execute(
                select(func.count()).select_from(matches).where(matches.c.feedback == "rejected")
            ).scalar_one()
            == 20
        )

    whole = client.post(f"/cases/{case_id}/review?scope=page",
                        data={"verdict": "accept", "page_item": [str(i) for i in first_page]},
                        follow_redirects=False)  # fmt: skip
    assert whole.status_code == 303 and "500" in whole.headers["location"]
    confirmed = _audit(context, "match.bulk_confirm")
    assert len(confirmed) == 1 and len(confirmed[0]["detail"]["matches"]) == 500  # type: ignore[index,arg-type]
    case = context.case_store.get(case_id)
    reviewed = {i.id for i in case.items if i.feedback == "accepted"}
    assert len(reviewed) == 500 and set(first_page) <= reviewed
    assert not _audit(context, "match.confirm") and not _audit(context, "match.reject")  # no entry per item

    api = client.post(f"/api/v1/cases/{case_id}/review", json={"verdict": "reject", "items": [first_page[-1]]})
    assert api.status_code == 200 and len(api.json()["matches"]) == 10
    assert len(_audit(context, "match.bulk_reject")) == 2
    assert client.post(f"/api/v1/cases/{case_id}/review", json={"verdict": "reject", "items": []}).status_code == 422


def test_the_queue_row_counts_posts_and_sources_and_shows_the_sentence_that_raised_it(
    flood: tuple[AppContext, TestClient, int],
) -> None:
    context, client, case_id = flood
    page = client.get("/queue?q=" + "nước muối loãng")
    row = page.text.split(f'data-case="{case_id}"', 1)[1].split("</tr>", 1)[0]
    assert "2.000 bài · 43 nguồn" in row
    assert CLAIM in row and "rất giống" in row and "Điểm 0,93" in row
    every = [i.id for i in context.case_store.get(case_id).items]
    assert client.post(f"/api/v1/cases/{case_id}/review", json={"verdict": "accept", "items": every}).status_code == 200
    reviewed = client.get("/queue?q=" + "nước muối loãng").text.split(f'data-case="{case_id}"', 1)[1]
    row = reviewed.split("</tr>", 1)[0]  # nothing left to triage: the sentence that raised the case
    assert 'class="suggestion trigger"' in row and CLAIM in row and "rất giống" in row and "2.000 bài · 43 nguồn" in row


def test_the_migration_groups_the_alerts_stored_before_it(settings: Settings, database_url: str) -> None:
    from alembic import command

    from kiemchung.store.schema import alerts, organisations

    context = AppContext(settings.with_overrides(database_url=database_url))
    database = context.database
    with database.write() as connection:
        command.upgrade(database._alembic_config(connection), "0012")
    late, early = datetime(2026, 11, 27, 23, 30, tzinfo=UTC), datetime(2026, 11, 28, 0, 30, tzinfo=UTC)
    with database.write() as connection:
        connection.execute(organisations.insert().values(id=1, name="Chúng tôi", created_at=late))
        connection.execute(factchecks.insert().values(id="fc-1", organisation_id=1, claim=CLAIM, search_text=CLAIM,
                                                      rating_label="Sai", created_at=late, updated_at=late,
                                                      appearances=[], evidence_links=[]))  # fmt: skip
        connection.execute(alerts.insert(), [
            {"kind": "repeat", "dedupe_key": f"repeat:p{n}:fc-1", "factcheck_id": "fc-1", "sentence": CLAIM,
             "score": 0.9, "source_count": 1, "created_at": when}
            for n, when in enumerate([late, late, early])
        ])  # fmt: skip
    database.migrate()
    assert database.is_current()
    groups, total = AlertGroupStore(database).page(1, 50, 0)
    assert total == 2
    assert [(g.key, g.alert_count) for g in groups] == [("repeat:fc-1:2026-11-28", 1), ("repeat:fc-1:2026-11-27", 2)]
    context.close()

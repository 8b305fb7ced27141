"""Issue 16, item 2: retro-matching. A fact-check is searched for in the stored posts (partitioned, resumable,
shared by workers) with the same decision as live matching; what is found becomes matches, appearances and
a first-seen date. On SQLite and PostgreSQL, with the in-package hashing embedder and the shipped decision."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_FACTCHECKS
from kiemchung.services.archive import import_files
from kiemchung.services.retro import RetroMatcher
from kiemchung.store.posts import NewClaim, NewPost, PostStore
from kiemchung.store.schema import claims, matches
from kiemchung.text.sentences import split_sentences
from tests.clients import signed_in

# demo-001: "Uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư."
PLANTED = {
    "p-copy": "Uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư, mọi người ạ",
    "p-social": "ae oi uong nuoc chanh nong moi sang la chua khoi ung thu nhe",
    "p-reworded": "Mỗi sáng một cốc nước chanh nóng sẽ chữa khỏi ung thư, bác sĩ không nói cho bạn biết",
    "p-folded": "uong nuoc chanh am moi buoi sang giup chua khoi benh ung thu. Chia se ngay",
}
NOT_REPEATS = {
    "p-same-topic": "Uống nước chanh nóng mỗi sáng giúp giảm cân nhanh chóng",  # same topic, another claim
    "p-refutes": "Uống nước chanh nóng mỗi sáng không chữa được ung thư, đừng tin tin đồn.",
}
UNRELATED = [
    "Chiều nay Hà Nội mưa lớn, nhiều tuyến phố ùn tắc kéo dài.",
    "Giá vàng trong nước hôm nay đi ngang so với phiên trước.",
    "Đội tuyển bóng đá thắng 2-0 trong trận giao hữu tối qua.",
    "Thành phố khai trương tuyến xe buýt điện mới nối sân bay với trung tâm.",
]
DAY = datetime(2026, 1, 10, tzinfo=UTC)


def _store(context: AppContext, organisation_id: int, posts: dict[str, str], source_name: str = "mxh") -> None:
    """Posts as the pipeline stores them: their sentences as claims, one after another."""
    source = context.sources.ensure("push", source_name, organisation_id)
    with context.database.write() as connection:
        for number, (post_id, text) in enumerate(posts.items()):
            sentences = [NewClaim(i, s, 0.9) for i, s in enumerate(split_sentences(text))]
            PostStore.insert(connection, NewPost(
                post_id, source.id, text, None, f"https://mxh.example/{post_id}", None, "vi",
                DAY + timedelta(days=number), f"h-{post_id}", None, None, b"", claims=sentences,
            ))  # fmt: skip


def _world(context: AppContext) -> int:
    """The demo archive (owned by the first organisation), planted repeats among unrelated posts."""
    import_files(context.factcheck_store, [DEMO_FACTCHECKS])
    organisation = context.organisations.ensure("Tòa soạn")
    posts = {f"u-{n}": text for n, text in enumerate(UNRELATED * 3)}
    posts.update(NOT_REPEATS)
    posts.update(PLANTED)
    _store(context, organisation.id, posts)
    return organisation.id


def _matcher(context: AppContext, partition_size: int = 4) -> RetroMatcher:
    return RetroMatcher(context.settings, context.database, context.matching, context.factcheck_store, partition_size)


def _matched_posts(context: AppContext, factcheck_id: str = "demo-001") -> Counter[str]:
    with context.database.read() as connection:
        rows = connection.execute(select(matches.c.post_id).where(matches.c.factcheck_id == factcheck_id)).all()
    return Counter(r.post_id for r in rows)


def test_planted_repeats_are_found_and_a_same_topic_claim_is_not(app_context: AppContext) -> None:
    _world(app_context)
    job = _matcher(app_context).run("demo-001")

    assert job.state == "done" and job.partitions == job.partitions_done > 3  # several partitions
    assert set(_matched_posts(app_context)) == set(PLANTED)  # no same-topic claim, no refutation, nothing else
    assert job.found == len(PLANTED) and job.candidates < 12 + len(NOT_REPEATS) + len(PLANTED)
    factcheck = app_context.factcheck_store.get("demo-001")
    assert factcheck is not None
    assert set(factcheck.appearances) == {f"https://mxh.example/{p}" for p in PLANTED}
    first = min(PLANTED, key=list(UNRELATED * 3 + list(NOT_REPEATS) + list(PLANTED)).index)  # the earliest stored
    assert factcheck.first_appearance == f"https://mxh.example/{first}"
    assert job.first_seen is not None and job.first_seen.date() == (DAY + timedelta(days=14)).date()

    # the intake puts them in the fact-check's case, stance included, as it does live matches
    assert app_context.cases.intake() == len(PLANTED)
    case = app_context.case_store.by_factcheck("demo-001")
    assert case is not None
    items = app_context.case_store.get(case.id).items
    assert {i.post_id for i in items} == set(PLANTED) and {i.stance for i in items} == {"repeats"}


def test_a_resumed_job_after_a_crash_finds_the_rest_without_duplicates(app_context: AppContext) -> None:
    _world(app_context)

    class Crashing(RetroMatcher):
        judged = 0

        def _decide(self, factcheck_id: str, posts: Sequence[object], claim_ids: dict[str, int]) -> list:  # type: ignore[override]
            Crashing.judged += 1
            if Crashing.judged == 4:
                raise RuntimeError("killed mid-partition")
            return super()._decide(factcheck_id, posts, claim_ids)  # type: ignore[arg-type]

    crashing = Crashing(app_context.settings, app_context.database, app_context.matching, app_context.factcheck_store,
                        4)  # fmt: skip
    with pytest.raises(RuntimeError):
        crashing.run("demo-001")
    stopped = crashing.store.latest("demo-001")
    assert stopped is not None and stopped.state == "failed" and stopped.partitions_done == 3
    found_before = sum(_matched_posts(app_context).values())

    resumed = _matcher(app_context, partition_size=999).run("demo-001")  # the same job: its partitions stay

    assert resumed.id == stopped.id and resumed.state == "done" and resumed.error is None
    assert resumed.partitions_done == resumed.partitions == stopped.partitions
    assert _matched_posts(app_context) == Counter(set(PLANTED))  # each once
    assert resumed.found == len(PLANTED) >= found_before
    with app_context.database.read() as connection:
        sentences = connection.execute(select(func.count()).select_from(claims)).scalar_one()
    assert resumed.scanned == sentences  # every sentence counted once: the crashed partition left no trace
    again = _matcher(app_context).run("demo-001")  # a new job later records nothing twice
    assert again.id != resumed.id and again.found == 0 and _matched_posts(app_context) == Counter(set(PLANTED))


def test_two_workers_share_one_job_without_duplicates(app_context: AppContext) -> None:
    _world(app_context)
    first, second = _matcher(app_context, 2), _matcher(app_context, 2)
    job = first.queue("demo-001")
    errors: list[BaseException] = []

    def work(matcher: RetroMatcher) -> None:
        try:
            matcher.run_job(job.id)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(m,)) for m in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    done = first.store.get(job.id)
    assert done is not None and done.state == "done" and done.partitions_done == done.partitions
    assert _matched_posts(app_context) == Counter(set(PLANTED))


def test_other_organisations_posts_are_never_attached(app_context: AppContext) -> None:
    _world(app_context)  # demo-001 belongs to the first organisation
    rival = app_context.organisations.ensure("Báo khác")
    _store(app_context, rival.id, {"r-copy": PLANTED["p-copy"], "r-social": PLANTED["p-social"]}, "rival-feed")

    job = _matcher(app_context).run("demo-001")

    assert job.state == "done" and set(_matched_posts(app_context)) == set(PLANTED)
    factcheck = app_context.factcheck_store.get("demo-001")
    assert factcheck is not None and not any("r-" in url for url in factcheck.appearances)


def _person(context: AppContext, organisation: str, email: str, role: str) -> TestClient:
    context.accounts.create_user(organisation, email, role, role, "a long password")
    return signed_in(context, email)


def _until_done(client: TestClient, factcheck_id: str, timeout_s: float = 30.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while True:
        status = client.get(f"/api/v1/factchecks/{factcheck_id}/retro-match").json()
        if (status["job"] and status["job"]["state"] in ("done", "failed")) or time.monotonic() > deadline:
            return dict(status)
        time.sleep(0.05)


def test_editors_ask_for_a_retro_match_over_the_api_and_other_organisations_get_404(app_context: AppContext) -> None:
    _world(app_context)  # "Tòa soạn" is the first organisation: demo-001 is its archive record
    editor = _person(app_context, "Tòa soạn", "editor@toasoan.example", "editor")
    factchecker = _person(app_context, "Tòa soạn", "fc@toasoan.example", "factchecker")
    rival = _person(app_context, "Báo khác", "editor@baokhac.example", "editor")

    assert factchecker.post("/api/v1/factchecks/demo-001/retro-match").status_code == 403
    for method in ("POST", "GET"):
        assert rival.request(method, "/api/v1/factchecks/demo-001/retro-match").status_code == 404
        assert editor.request(method, "/api/v1/factchecks/no-such/retro-match").status_code == 404
    assert app_context.retro.store.latest("demo-001") is None  # nothing was queued by the refused requests

    asked = editor.post("/api/v1/factchecks/demo-001/retro-match")
    assert asked.status_code == 202, asked.text
    assert asked.json()["job"]["trigger"] == "demand"
    status = _until_done(factchecker, "demo-001")
    job = status["job"]
    assert isinstance(job, dict) and job["state"] == "done" and job["found"] == len(PLANTED)
    found = status["found"]
    assert isinstance(found, list) and {a["post_id"] for a in found} == set(PLANTED)
    assert {a["stance"] for a in found} == {"repeats"}
    audited = [e for e in app_context.audit.entries(job["organisation_id"]) if e.action == "factcheck.retro_match"]
    assert [e.object_id for e in audited] == ["demo-001"]


def test_publishing_a_fact_check_searches_the_stored_posts_in_the_background(app_context: AppContext) -> None:
    organisation = app_context.organisations.ensure("Tòa soạn")
    posts = {f"u-{n}": text for n, text in enumerate(UNRELATED)}
    posts.update(NOT_REPEATS)
    posts.update(PLANTED)
    _store(app_context, organisation.id, posts)
    editor = _person(app_context, "Tòa soạn", "editor@toasoan.example", "editor")
    case = editor.post("/api/v1/cases", json={"claim": "Uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư."})
    verdict = {"version": case.json()["version"], "rating": "Sai", "rebuttal": "Không đúng.", "second_review": False}
    case = editor.put(f"/api/v1/cases/{case.json()['id']}/verdict", json=verdict)
    published = editor.post(f"/api/v1/cases/{case.json()['id']}/publish", json={"version": case.json()["version"]})
    assert published.status_code == 200, published.text
    factcheck_id = published.json()["factcheck_id"]

    queued = app_context.retro.store.latest(factcheck_id)  # queued with the publication, worked after it
    assert queued is not None and queued.trigger == "publish"
    status = _until_done(editor, factcheck_id)
    job = status["job"]
    assert isinstance(job, dict) and job["state"] == "done", status
    live = app_context.matching.match_posts(list({**PLANTED, **NOT_REPEATS}.items()))
    same = {r.id for r in live if any(m.factcheck_id == factcheck_id and m.closeness == "same"
                                      and m.stance != "refutes" for m in r.matches)}  # fmt: skip
    assert {a["post_id"] for a in status["found"]} == same >= {"p-copy", "p-social", "p-folded"}  # type: ignore[union-attr]
    review = editor.get(f"/api/v1/factchecks/{factcheck_id}/claimreview").json()  # the public record shows them
    assert {a["url"] for a in review["itemReviewed"]["appearance"]} == {f"https://mxh.example/{p}" for p in same}
    page = editor.get(f"/cases/{case.json()['id']}").text
    assert 'id="retro-h"' in page and "https://mxh.example/p-social" in page
    again = editor.post(f"/cases/{case.json()['id']}/retro-match", follow_redirects=False)
    assert again.status_code == 303
    assert _until_done(editor, factcheck_id)["job"]["found"] == 0  # type: ignore[index]  # nothing twice


def test_the_command_runs_a_job_with_a_progress_bar_and_prints_its_counts(app_context: AppContext) -> None:
    from click.testing import CliRunner

    from kiemchung.cli import cli

    _world(app_context)
    environment = {
        "KIEMCHUNG_EMBEDDER": "hashing",
        "KIEMCHUNG_DATABASE_URL": app_context.settings.resolved_database_url,
    }
    result = CliRunner().invoke(
        cli, ["--data-dir", str(app_context.settings.data_dir), "retro-match", "demo-001", "--workers", "2",
              "--partition-size", "100"], env=environment,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "demo-001: done · 1/1 partitions · 19 sentences read" in result.stdout
    assert f"{len(PLANTED)} appearances found" in result.stdout and "first seen 2026-01-24" in result.stdout
    assert set(_matched_posts(app_context)) == set(PLANTED)
    missing = CliRunner().invoke(cli, ["--data-dir", str(app_context.settings.data_dir), "retro-match", "nope"],
                                 env=environment)  # fmt: skip
    assert missing.exit_code == 2 and "no fact-check" in missing.stderr

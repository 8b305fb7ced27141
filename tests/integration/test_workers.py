"""Several `kiemchung run` workers on one database (issue 16, item 1): inbox leases, one run per SQLite database,
alerts sent once, every worker's index following the archive, one fetcher per host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from kiemchung.app_context import AppContext
from kiemchung.ingest.items import Item
from kiemchung.services.pipeline import Processor
from kiemchung.store.database import Database
from kiemchung.store.inbox import InboxStore
from kiemchung.store.schema import inbox

LEASE_S = 60
TRIES = 3


def _fill(app_context: AppContext, count: int) -> None:
    source = app_context.source_store.add("push", "partner", None, 60)
    items = [
        Item(f"p{n}", f"Bản tin số {n}: giá điện sẽ tăng {n % 9 + 1} phần trăm từ tháng sau.") for n in range(count)
    ]
    with app_context.database.write() as connection:
        app_context.inbox.add(connection, source.id, items)


def _expire(database: Database, worker: str) -> None:
    """The worker stopped: its leases run out (as they would after WORKER_LEASE_SECONDS)."""
    with database.write() as connection:
        past = datetime.now(UTC) - timedelta(seconds=1)
        connection.execute(update(inbox).where(inbox.c.leased_by == worker).values(lease_until=past))


def test_workers_lease_distinct_items_and_an_expired_lease_is_taken_again(app_context: AppContext) -> None:
    _fill(app_context, 10)
    store = app_context.inbox
    first = store.lease("worker-a", 4, LEASE_S, TRIES)
    second = store.lease("worker-b", 4, LEASE_S, TRIES)
    assert [e.item.key for e in first if e.item] == ["p0", "p1", "p2", "p3"]
    assert [e.item.key for e in second if e.item] == ["p4", "p5", "p6", "p7"]
    assert store.leased() == 8
    _expire(app_context.database, "worker-a")  # worker-a was killed
    retaken = store.lease("worker-c", 10, LEASE_S, TRIES)
    assert [e.item.key for e in retaken if e.item] == ["p0", "p1", "p2", "p3", "p8", "p9"]
    assert [e.attempts for e in retaken] == [2, 2, 2, 2, 1, 1]
    with app_context.database.write() as connection:  # the killed worker's late write changes nothing
        assert not InboxStore.settle(connection, first[0].id, "done", None, None, "worker-a")
        assert InboxStore.settle(connection, retaken[0].id, "done", None, None, "worker-c")
    assert store.counts()["done"] == 1


def test_a_worker_whose_lease_was_taken_over_writes_nothing_of_its_batch(app_context: AppContext) -> None:
    _fill(app_context, 3)
    slow = Processor(app_context.settings, app_context.database, app_context.matching, app_context.factcheck_store,
                     worker="slow")  # fmt: skip
    original = slow._process

    def overtaken(entries, sources):  # type: ignore[no-untyped-def]
        _expire(app_context.database, "slow")  # the batch took longer than the lease…
        app_context.inbox.lease("fast", 1, LEASE_S, TRIES)  # …and another worker took its first item
        return original(entries, sources)

    slow._process = overtaken  # type: ignore[method-assign]
    report = slow.process_batch(10)
    assert report.stored == 0 and app_context.post_store.count() == 0
    assert app_context.inbox.counts()["pending"] == 3
    assert app_context.inbox.leased() == 1  # "fast" keeps its item; the two others are free for anyone
    slow._process = original  # type: ignore[method-assign]
    assert slow.process_batch(10).stored == 2


def test_an_item_whose_worker_stops_every_time_is_set_aside_as_dead(app_context: AppContext) -> None:
    _fill(app_context, 1)
    for attempt in range(TRIES):
        [entry] = app_context.inbox.lease(f"worker-{attempt}", 5, LEASE_S, TRIES)
        assert entry.attempts == attempt + 1
        _expire(app_context.database, f"worker-{attempt}")
    assert app_context.inbox.lease("worker-next", 5, LEASE_S, TRIES) == []
    counts = app_context.inbox.counts()
    assert counts["dead"] == 1 and counts["pending"] == 0
    [(key, reason)] = app_context.inbox.rejected()
    assert key == "p0" and reason == "taken 3 times and never settled: its worker stopped each time"

    from kiemchung.services.metrics import Histogram, ProcessFigures, render_metrics
    from kiemchung.store.operations import OperationsStore

    metrics = render_metrics(OperationsStore(app_context.database).figures(), ProcessFigures(Histogram()))
    assert 'kiemchung_inbox_items{state="dead"} 1' in metrics  # /metrics and /status count the dead


def test_dead_items_keep_their_payload_and_go_back_to_the_inbox_on_request(app_context: AppContext) -> None:
    from click.testing import CliRunner

    from kiemchung.cli import cli

    _fill(app_context, 2)
    [first, second] = app_context.inbox.lease("w", 5, LEASE_S, 1)
    with app_context.database.write() as connection:
        assert InboxStore.fail(connection, first, "w", "boom", 1) == "dead"
        assert InboxStore.settle(connection, second.id, "done", None, None, "w")
    env = {"KIEMCHUNG_EMBEDDER": "hashing", "KIEMCHUNG_DATABASE_URL": app_context.settings.database_url}
    result = CliRunner().invoke(
        cli, ["--data-dir", str(app_context.settings.data_dir), "sources", "retry-dead"], env=env
    )
    assert result.exit_code == 0 and "1 dead items back in the inbox" in result.stdout, result.output
    assert app_context.inbox.counts()["dead"] == 0
    [again] = app_context.inbox.lease("w2", 5, LEASE_S, 3)
    assert again.id == first.id and again.attempts == 1 and again.item == first.item  # nothing was lost


@pytest.mark.postgres
def test_concurrent_workers_on_postgresql_never_take_the_same_item(app_context: AppContext) -> None:
    if app_context.database.is_sqlite:
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has one worker")
    _fill(app_context, 600)
    taken: dict[str, list[int]] = {}

    def work(name: str) -> None:
        database = Database(app_context.database.url)
        store, mine = InboxStore(database), taken.setdefault(name, [])
        while entries := store.lease(name, 7, LEASE_S, TRIES):
            mine.extend(e.id for e in entries)
            with database.write() as connection:
                for entry in entries:
                    assert InboxStore.settle(connection, entry.id, "done", None, None, name)
        database.dispose()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [i for ids in taken.values() for i in ids]
    assert len(every) == len(set(every)) == 600
    assert sum(1 for ids in taken.values() if ids) >= 2  # they really shared the work
    assert app_context.inbox.counts()["done"] == 600


def _run(app_context: AppContext, started: list[subprocess.Popen[bytes]], *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KIEMCHUNG_EMBEDDER": "hashing", "KIEMCHUNG_DATABASE_URL": app_context.settings.database_url}
    command = [sys.executable, "-c", "from kiemchung.cli import main; main()",
               "--data-dir", str(app_context.settings.data_dir), *args]  # fmt: skip
    started.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    return started[-1]


def _wait_until_monitoring(process: subprocess.Popen[bytes]) -> None:
    assert process.stderr is not None
    line = process.stderr.readline().decode()
    assert "monitoring" in line, line + process.stderr.read().decode()


def _end(started: list[subprocess.Popen[bytes]]) -> None:
    for process in started:
        process.kill()
        process.wait(10)
        if process.stderr:
            process.stderr.close()


def test_sqlite_allows_one_run_and_postgresql_many(app_context: AppContext) -> None:
    started: list[subprocess.Popen[bytes]] = []
    try:
        first = _run(app_context, started, "run")
        _wait_until_monitoring(first)
        second = _run(app_context, started, "run")
        if not app_context.database.is_sqlite:
            _wait_until_monitoring(second)  # a second worker beside the first
            time.sleep(1)
            assert first.poll() is None and second.poll() is None
            return
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2
        assert "another `kiemchung run` is working on this SQLite database" in err.decode()
        first.kill()  # a crash gives the place back: the next run starts
        first.wait(10)
        third = _run(app_context, started, "run")
        _wait_until_monitoring(third)
        third.terminate()
        assert third.wait(30) == 0
    finally:
        _end(started)


def test_two_workers_delivering_at_once_send_each_alert_once(app_context: AppContext) -> None:
    """Two dispatchers (two workers, each with its own connection pool) deliver to one webhook at the same time."""
    from kiemchung.services.alerts import AlertDispatcher
    from kiemchung.store.alerts import AlertStore, NewAlert
    from tests.servers import Route, serve_site

    with app_context.database.write() as connection:
        AlertStore.add(
            connection, [NewAlert("spread", f"spread:{n}", None, None, f"Câu số {n}", 0.9) for n in range(30)]
        )
    with serve_site() as receiver:
        receiver.routes["/hook"] = Route(b"ok", delay_s=0.3)  # a slow receiver: both workers are due meanwhile
        settings = app_context.settings.with_overrides(webhook_url=receiver.url("/hook"), alert_digest_seconds=0)
        databases = [Database(app_context.database.url) for _ in range(2)]
        dispatchers = [AlertDispatcher(settings, AlertStore(d), worker=f"w{n}") for n, d in enumerate(databases)]
        rounds: list[dict[str, int]] = []

        def deliver(dispatcher: AlertDispatcher) -> None:
            for _ in range(5):
                rounds.append(dispatcher.deliver_due(force=True))

        threads = [threading.Thread(target=deliver, args=(d,)) for d in dispatchers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for dispatcher, database in zip(dispatchers, databases, strict=True):
            dispatcher.close()
            database.dispose()
        sent = [alert["id"] for r in receiver.hits("/hook") for alert in json.loads(r.body)["alerts"]]
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 30
    assert sum(r.get("webhook", 0) for r in rounds) == 30


def test_a_running_worker_matches_a_factcheck_another_process_added(app_context: AppContext, tmp_path: Path) -> None:
    from kiemchung.demo import DEMO_FACTCHECKS

    settings = app_context.settings.with_overrides(index_check_seconds=0.2)
    worker = AppContext(settings)
    lines = DEMO_FACTCHECKS.read_text(encoding="utf-8").splitlines()
    (tmp_path / "first.jsonl").write_text(lines[1] + "\n", encoding="utf-8")  # demo-002, on exams
    (tmp_path / "second.jsonl").write_text(lines[0] + "\n", encoding="utf-8")  # demo-001, hot lemon water
    try:
        _import_elsewhere(app_context, tmp_path / "first.jsonl", tmp_path / "machine-b")
        source = worker.sources.ensure("push", "partner")
        lemon = "Mọi người ơi, uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư đấy!"
        _push_one(worker, source.id, "before", lemon)
        assert worker.processor.process_batch(10).matched == 0  # the index is built: it knows no lemon water
        _import_elsewhere(app_context, tmp_path / "second.jsonl", tmp_path / "machine-c")
        time.sleep(0.3)
        _push_one(worker, source.id, "after", lemon + " Chia sẻ ngay.")
        report = worker.processor.process_batch(10)
        assert report.matched == 1 and report.alerts == 1  # matched without a restart
    finally:
        worker.close()


def _push_one(context: AppContext, source_id: int, key: str, text: str) -> None:
    with context.database.write() as connection:
        context.inbox.add(connection, source_id, [Item(key, text)])


def _import_elsewhere(app_context: AppContext, path: Path, data_dir: Path) -> None:
    """`kiemchung factchecks import` by another process (another machine: its own data directory)."""
    env = {**os.environ, "KIEMCHUNG_EMBEDDER": "hashing", "KIEMCHUNG_DATABASE_URL": app_context.settings.database_url}
    command = [sys.executable, "-c", "from kiemchung.cli import main; main()", "--data-dir", str(data_dir),
               "factchecks", "import", str(path)]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()


def test_one_worker_fetches_a_host_at_a_time_and_its_pause_holds_across_workers(app_context: AppContext) -> None:
    from tests.servers import Route, rss, serve_site

    settings = app_context.settings.with_overrides(host_interval=3.0, obey_robots=False)
    workers = [AppContext(settings) for _ in range(2)]
    items = [{"title": f"Tin {n}", "link": f"https://bao.example/{n}", "description": f"Giá điện tăng {n} phần trăm."}
             for n in range(5)]  # fmt: skip
    try:
        with serve_site() as site:
            site.routes["/rss"] = Route(rss(items), headers={"Content-Type": "application/rss+xml"}, delay_s=0.5)
            source = app_context.sources.add("feed", "feed", site.url("/rss"), 60, {"follow_links": False})
            reports: list[list[str]] = []

            def collect(worker: AppContext) -> None:
                reports.append([r.line() for r in worker.collector.collect_due()])

            threads = [threading.Thread(target=collect, args=(w,)) for w in workers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert len(site.hits("/rss")) == 1  # both were due at once; one fetched
            assert sorted(reports) == [[], ["feed: 5 new, 0 seen before"]]
            app_context.source_store.update(source.id, next_fetch_at=datetime.now(UTC))  # due again at once…
            assert workers[1].collector.collect_due() == []  # …but the host's pause is not over
            time.sleep(3.1)
            assert [r.line() for r in workers[1].collector.collect_due()] == ["feed: 0 new, 5 seen before"]
            assert len(site.hits("/rss")) == 2
    finally:
        for worker in workers:
            worker.close()

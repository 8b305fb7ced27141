"""Drill scoring against values computed by hand on small fixed answer sets (issue 15).

z-values are Φ⁻¹ from a normal table: Φ⁻¹(0.3) = −0.5244, Φ⁻¹(0.6429) = 0.3661, Φ⁻¹(0.9167) = 1.3830,
Φ⁻¹(0.4167) = −0.2104, Φ⁻¹(0.75) = 0.6745."""

from __future__ import annotations

import pytest

from kiemchung.domain.drills import (
    ScoredAnswer,
    SignalCounts,
    brier_score,
    cohen_kappa,
    corrected_rate,
    count_signals,
    mean_of,
    score_answers,
    signal_detection,
    technique_accuracy,
)


def answer(
    is_signal: bool,
    says_signal: bool,
    confidence: float = 0.75,
    seconds: float = 5.0,
    expected: str | None = None,
    named: str | None = None,
) -> ScoredAnswer:
    published = "Sai" if is_signal else "Đúng"
    verdict = "Sai" if says_signal else "Đúng"
    return ScoredAnswer(is_signal, says_signal, confidence, published, verdict, seconds, expected, named)


def ten_items() -> list[ScoredAnswer]:
    """6 false items (4 caught, 2 missed), 4 true items (1 called false, 3 accepted)."""
    signal = [answer(True, True)] * 4 + [answer(True, False)] * 2
    noise = [answer(False, True)] + [answer(False, False)] * 3
    return signal + noise


def test_counts_name_hits_misses_false_alarms_and_correct_rejections() -> None:
    assert count_signals(ten_items()) == SignalCounts(hits=4, misses=2, false_alarms=1, correct_rejections=3)


def test_d_prime_and_criterion_use_the_log_linear_correction() -> None:
    # H = (4 + 0.5) / (6 + 1) = 0.6429 → z = 0.3661;  F = (1 + 0.5) / (4 + 1) = 0.3 → z = −0.5244
    # d′ = 0.3661 − (−0.5244) = 0.8905;  c = −(0.3661 + (−0.5244)) / 2 = 0.0791
    d_prime, criterion = signal_detection(count_signals(ten_items())) or (0.0, 0.0)
    assert d_prime == pytest.approx(0.8905, abs=1e-4)
    assert criterion == pytest.approx(0.0791, abs=1e-4)


def test_a_perfect_trainee_gets_a_finite_d_prime() -> None:
    # 5/5 hits, 0/5 false alarms: H = 5.5 / 6 = 0.9167 → z = 1.3830; F = 0.5 / 6 = 0.0833 → z = −1.3830
    # d′ = 2.7660 (not infinite), c = 0 (no lean either way)
    counts = SignalCounts(hits=5, misses=0, false_alarms=0, correct_rejections=5)
    d_prime, criterion = signal_detection(counts) or (0.0, 1.0)
    assert d_prime == pytest.approx(2.7660, abs=1e-4)
    assert criterion == pytest.approx(0.0, abs=1e-9)
    assert corrected_rate(0, 5) == pytest.approx(0.5 / 6)


def test_a_sceptic_who_calls_true_items_false_has_a_negative_criterion() -> None:
    # 2/5 hits, 4/5 false alarms: H = 2.5 / 6 = 0.4167 → z = −0.2104; F = 4.5 / 6 = 0.75 → z = 0.6745
    # d′ = −0.2104 − 0.6745 = −0.8849;  c = −(−0.2104 + 0.6745) / 2 = −0.2320 (leans to "false")
    counts = SignalCounts(hits=2, misses=3, false_alarms=4, correct_rejections=1)
    d_prime, criterion = signal_detection(counts) or (0.0, 0.0)
    assert d_prime == pytest.approx(-0.8849, abs=1e-4)
    assert criterion == pytest.approx(-0.2320, abs=1e-4)


def test_no_true_items_means_no_signal_detection_scores() -> None:
    assert signal_detection(SignalCounts(hits=3, misses=1, false_alarms=0, correct_rejections=0)) is None


def test_brier_score_is_the_mean_squared_gap_between_confidence_and_being_right() -> None:
    # right at 0.9: (0.9 − 1)² = 0.01; wrong at 0.8: (0.8 − 0)² = 0.64; right at 0.5: 0.25; right at 1.0: 0
    # mean = (0.01 + 0.64 + 0.25 + 0) / 4 = 0.225
    answers = [answer(True, True, 0.9), answer(False, True, 0.8), answer(False, False, 0.5), answer(True, True, 1.0)]
    assert brier_score(answers) == pytest.approx(0.225)
    assert brier_score([]) is None


def test_cohen_kappa_on_two_labels() -> None:
    # agree on items 1, 2, 3, 6: p_o = 4/6; each rater says Sai 3× and Đúng 3×: p_e = (3·3 + 3·3) / 36 = 0.5
    # κ = (0.6667 − 0.5) / (1 − 0.5) = 0.3333
    trainee = ["Sai", "Sai", "Đúng", "Đúng", "Sai", "Đúng"]
    published = ["Sai", "Sai", "Đúng", "Sai", "Đúng", "Đúng"]
    assert cohen_kappa(trainee, published) == pytest.approx(1 / 3)


def test_cohen_kappa_on_the_whole_scale() -> None:
    # p_o = 3/4; trainee: Sai 2, Gây hiểu lầm 1, Đúng 1; published: Sai 3, Đúng 1
    # p_e = (2·3 + 1·0 + 1·1) / 16 = 7/16 = 0.4375;  κ = (0.75 − 0.4375) / 0.5625 = 0.5556
    trainee = ["Sai", "Gây hiểu lầm", "Đúng", "Sai"]
    published = ["Sai", "Sai", "Đúng", "Sai"]
    assert cohen_kappa(trainee, published) == pytest.approx(5 / 9)
    assert cohen_kappa(["Sai", "Sai"], ["Sai", "Sai"]) is None  # chance agreement is certain: undefined


def test_technique_accuracy_counts_only_items_with_a_named_technique() -> None:
    # 3 items name a technique, the trainee names 2 of them right: 2/3; the 4th item does not count
    answers = [
        answer(True, True, expected="miracle_cure", named="miracle_cure"),
        answer(True, True, expected="scam", named="scam"),
        answer(True, False, expected="fabricated_quote", named=None),
        answer(False, False, named="scam"),
    ]
    assert technique_accuracy(answers) == pytest.approx(2 / 3)
    assert technique_accuracy([answer(False, False)]) is None


def test_score_answers_puts_it_together() -> None:
    answers = ten_items()[:3] + [answer(False, False, seconds=30.0), answer(False, True, seconds=10.0)]
    answers[0] = answer(True, True, seconds=4.0)
    # seconds: 4, 5, 5, 30, 10 → median 5; right: 3 hits + 1 correct rejection = 4/5
    score = score_answers(answers)
    assert score.answered == 5
    assert score.median_seconds == 5.0
    assert score.accuracy == pytest.approx(0.8)
    assert score.d_prime is not None and score.kappa is not None


def test_mean_of_skips_unknown_values() -> None:
    assert mean_of([1.0, None, 2.0]) == pytest.approx(1.5)
    assert mean_of([None]) is None

"""Scoring a training drill: signal detection (d′, c), calibration (Brier), agreement with the published
verdicts (Cohen's κ), technique accuracy and time per item. Pure.

**Signal** is an item whose published verdict says it should not be believed (false, misleading, scam: the
organisation's scale, `ratings.is_debunked`); the trainee "detects" it by answering with such a verdict.
**Noise** is a true item (rated true, or an accurate sentence from the evidence on a case). So

- hit: a false item answered false/misleading; miss: a false item answered true or unproven;
- false alarm: a true item answered false/misleading; correct rejection: a true item answered otherwise.

d′ = z(H) − z(F) measures *discrimination* (telling true from false); c = −(z(H) + z(F)) / 2 measures the
*criterion*: c < 0 is a sceptical trainee (calls much false, true items included), c > 0 a credulous one. A
training that only makes people doubt everything moves c, not d′ (Roozenbeek et al. 2022 and the issue).

Rates use the **log-linear correction** (Hautus 1995): 0.5 is added to the hit and false-alarm counts and
1 to the number of signal and noise items, for every trainee, so that a rate of 0 or 1 (all false items
caught, no false alarm: common in a 20-item drill) gives a finite z. It pulls d′ slightly towards 0 on short
drills; `bench/drill_simulation.py` measures by how much.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

# Manipulation techniques a trainee may name (stored as the key; the names are shown in the UI).
TECHNIQUES: dict[str, tuple[str, str]] = {
    "fake_official_notice": ("Giả mạo văn bản, thông báo chính thức", "Fake official notice"),
    "miracle_cure": ("Thần dược, chữa bệnh thần kỳ", "Miracle cure"),
    "fabricated_quote": ("Bịa đặt phát ngôn", "Fabricated quote"),
    "old_media_reused": ("Ảnh, sự kiện cũ dùng lại", "Old photo or event reused"),
    "fake_disaster_warning": ("Cảnh báo thiên tai giả", "Fake disaster warning"),
    "scam": ("Lừa đảo", "Scam"),
}

_NORMAL = NormalDist()


@dataclass(frozen=True)
class ScoredAnswer:
    """One answered item, as scoring needs it."""

    is_signal: bool  # the item is false or misleading (the published verdict)
    says_signal: bool  # the trainee answered false or misleading
    confidence: float  # the trainee's confidence that the answer is right, 0.5..1.0
    published_verdict: str
    verdict: str
    seconds: float
    expected_technique: str | None = None
    technique: str | None = None


@dataclass(frozen=True)
class SignalCounts:
    hits: int
    misses: int
    false_alarms: int
    correct_rejections: int

    @property
    def signals(self) -> int:
        return self.hits + self.misses

    @property
    def noise(self) -> int:
        return self.false_alarms + self.correct_rejections


@dataclass(frozen=True)
class DrillScore:
    """One trainee's scores on one attempt (or the pooled answers of several)."""

    answered: int
    counts: SignalCounts
    d_prime: float | None  # None without both false and true items
    criterion: float | None
    brier: float | None
    kappa: float | None  # None when agreement by chance is certain (one verdict only)
    technique_accuracy: float | None  # None when no answered item has a named technique
    median_seconds: float | None

    @property
    def accuracy(self) -> float | None:
        if not self.answered:
            return None
        return (self.counts.hits + self.counts.correct_rejections) / self.answered


def count_signals(answers: Sequence[ScoredAnswer]) -> SignalCounts:
    hits = sum(a.is_signal and a.says_signal for a in answers)
    misses = sum(a.is_signal and not a.says_signal for a in answers)
    false_alarms = sum(not a.is_signal and a.says_signal for a in answers)
    return SignalCounts(hits, misses, false_alarms, len(answers) - hits - misses - false_alarms)


def corrected_rate(count: int, total: int) -> float:
    """The log-linear corrected rate (count + 0.5) / (total + 1): never 0 or 1."""
    return (count + 0.5) / (total + 1)


def signal_detection(counts: SignalCounts) -> tuple[float, float] | None:
    """(d′, c) from the counts, with the log-linear correction; None without both signal and noise items."""
    if not counts.signals or not counts.noise:
        return None
    z_hit = _NORMAL.inv_cdf(corrected_rate(counts.hits, counts.signals))
    z_false_alarm = _NORMAL.inv_cdf(corrected_rate(counts.false_alarms, counts.noise))
    return z_hit - z_false_alarm, -(z_hit + z_false_alarm) / 2


def brier_score(answers: Sequence[ScoredAnswer]) -> float | None:
    """Mean squared gap between the stated probability of being right and being right (0 best, 1 worst).

    Equal to the Brier score of the probability the trainee puts on "this item is false"."""
    if not answers:
        return None
    gaps = [(a.confidence - float(a.is_signal == a.says_signal)) ** 2 for a in answers]
    return sum(gaps) / len(gaps)


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float | None:
    """Cohen's κ between two raters' labels of the same items; None when chance agreement is 1."""
    if not first or len(first) != len(second):
        return None
    total = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / total
    first_counts, second_counts = Counter(first), Counter(second)
    chance = sum(first_counts[label] * second_counts[label] for label in first_counts) / total**2
    if chance >= 1.0:
        return None
    return (observed - chance) / (1 - chance)


def technique_accuracy(answers: Sequence[ScoredAnswer]) -> float | None:
    """Share of the items with a named technique whose technique the trainee named."""
    named = [a for a in answers if a.expected_technique]
    if not named:
        return None
    return sum(a.technique == a.expected_technique for a in named) / len(named)


def median_seconds(answers: Sequence[ScoredAnswer]) -> float | None:
    return statistics.median(a.seconds for a in answers) if answers else None


def score_answers(answers: Sequence[ScoredAnswer]) -> DrillScore:
    counts = count_signals(answers)
    detection = signal_detection(counts)
    return DrillScore(
        answered=len(answers),
        counts=counts,
        d_prime=detection[0] if detection else None,
        criterion=detection[1] if detection else None,
        brier=brier_score(answers),
        kappa=cohen_kappa([a.verdict for a in answers], [a.published_verdict for a in answers]),
        technique_accuracy=technique_accuracy(answers),
        median_seconds=median_seconds(answers),
    )


def mean_of(values: Sequence[float | None]) -> float | None:
    """The mean of the known values (a cohort's mean d′, say); None when none is known."""
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None

"""How well does a drill measure a trainee? Synthetic trainees with a known discrimination d′ and criterion c
answer drills of 20, 40 and 80 items; the drill's scoring (`kiemchung.domain.drills`, log-linear corrected)
recovers d′ and c, and we print the bias and spread of what it recovers.

    python bench/drill_simulation.py [--trainees 20000] [--cohort 25] [--seed 15]

Model: equal-variance Gaussian signal detection. A true item gives the trainee an impression x ~ N(0, 1), a
false one x ~ N(d′, 1); the trainee answers "false" when x > d′/2 + c. So P(hit) = Φ(d′/2 − c) and
P(false alarm) = Φ(−d′/2 − c). Drills have 40 % true items (the least assembly allows), as in the product.

Prints, per trainee type and drill size: the bias (mean recovered − true), the standard deviation, and the
half-width of the central 95 % of the recovered values, for one trainee and for the mean of a cohort; then
how many items a drill needs for a given precision. Numbers, not a timed test; seeded, so reproducible.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from kiemchung.domain.drills import SignalCounts, signal_detection

TRUE_SHARE = 0.4
SIZES = (20, 40, 80)
TRAINEES = ((0.5, 0.0), (1.0, 0.0), (1.0, -0.4), (1.5, 0.3), (2.0, 0.0))  # (d′, c): novice … expert, sceptic
PRECISIONS = (0.5, 0.3, 0.15)
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Recovery:
    bias: float
    sd: float
    half_width_95: float  # half the width of the central 95 % of the errors, around the truth


def drill_split(size: int) -> tuple[int, int]:
    """(false items, true items) of a drill of `size` with TRUE_SHARE true items."""
    true_items = int(np.ceil(size * TRUE_SHARE))
    return size - true_items, true_items


def simulate(d_prime: float, c: float, size: int, trainees: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """The recovered (d′, c) of `trainees` synthetic trainees, shape (trainees, 2)."""
    signals, noise = drill_split(size)
    hits = rng.binomial(signals, _NORMAL.cdf(d_prime / 2 - c), trainees)
    false_alarms = rng.binomial(noise, _NORMAL.cdf(-d_prime / 2 - c), trainees)
    return np.array([_recover(int(h), int(f), signals, noise) for h, f in zip(hits, false_alarms, strict=True)])


def _recover(hits: int, false_alarms: int, signals: int, noise: int) -> tuple[float, float]:
    counts = SignalCounts(hits, signals - hits, false_alarms, noise - false_alarms)
    detection = signal_detection(counts)
    assert detection is not None
    return detection


def recovery(estimates: NDArray[np.float64], truth: float) -> Recovery:
    errors = estimates - truth
    low, high = np.quantile(errors, [0.025, 0.975])
    return Recovery(float(errors.mean()), float(errors.std()), float(max(abs(low), abs(high))))


def cohort_means(estimates: NDArray[np.float64], cohort: int) -> NDArray[np.float64]:
    """Means over consecutive groups of `cohort` simulated trainees (one value per cohort)."""
    usable = len(estimates) // cohort * cohort
    return estimates[:usable].reshape(-1, cohort).mean(axis=1)


def print_recovery_table(trainees: int, cohort: int, rng: np.random.Generator) -> None:
    print(f"Recovered d′ and c: bias / SD / ±95 % half-width, {trainees} trainees per cell, cohort of {cohort}")
    print(f"{'d′':>4} {'c':>5} {'items':>5} | {'d′ one trainee':>22} | {'c one trainee':>22} | "
          f"{'d′ cohort mean':>22} | {'c cohort mean':>22}")  # fmt: skip
    for d_prime, c in TRAINEES:
        for size in SIZES:
            estimates = simulate(d_prime, c, size, trainees, rng)
            cells = [
                recovery(estimates[:, 0], d_prime), recovery(estimates[:, 1], c),
                recovery(cohort_means(estimates[:, 0], cohort), d_prime),
                recovery(cohort_means(estimates[:, 1], cohort), c),
            ]  # fmt: skip
            row = " | ".join(f"{r.bias:+.3f} / {r.sd:.3f} / ±{r.half_width_95:.2f}" for r in cells)
            print(f"{d_prime:>4.1f} {c:>+5.1f} {size:>5} | {row}")


def items_needed(d_prime: float, c: float, target: float, rng: np.random.Generator, use_half_width: bool) -> int:
    """The smallest drill size (steps of 10) whose per-trainee SD (or ±95 % half-width) of d′ is ≤ target."""
    for size in range(20, 4001, 10):
        error = recovery(simulate(d_prime, c, size, 2000, rng)[:, 0], d_prime)
        if (error.half_width_95 if use_half_width else error.sd) <= target:
            return size
    return -1


def print_items_needed(rng: np.random.Generator) -> None:
    print("\nItems one trainee's drill needs for a given precision of d′ (trainee d′ = 1.0, c = 0):")
    print(f"{'target':>8} | {'SD ≤ target':>12} | {'95 % within ±target':>20}")
    for target in PRECISIONS:
        by_sd = items_needed(1.0, 0.0, target, rng, use_half_width=False)
        by_range = items_needed(1.0, 0.0, target, rng, use_half_width=True)
        print(f"{target:>8.2f} | {by_sd:>12} | {by_range:>20}")


def cohort_needed(d_prime: float, c: float, size: int, rng: np.random.Generator) -> int:
    """The smallest cohort (steps of 5) whose mean, on drills of `size`, has 95 % of d′ within ±0.15 and of c
    within ±0.1."""
    estimates = simulate(d_prime, c, size, 40000, rng)
    for cohort in range(5, 401, 5):
        d_error = recovery(cohort_means(estimates[:, 0], cohort), d_prime)
        c_error = recovery(cohort_means(estimates[:, 1], cohort), c)
        if d_error.half_width_95 <= 0.15 and c_error.half_width_95 <= 0.1:
            return cohort
    return -1


def print_cohort_needed(rng: np.random.Generator) -> None:
    print("\nTrainees a cohort needs for its mean to have 95 % of d′ within ±0.15 and c within ±0.1:")
    print(f"{'d′':>4} {'c':>5} | " + " | ".join(f"{size:>3} items" for size in SIZES))
    for d_prime, c in TRAINEES:
        row = " | ".join(f"{cohort_needed(d_prime, c, size, rng):>9}" for size in SIZES)
        print(f"{d_prime:>4.1f} {c:>+5.1f} | {row}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=20000)
    parser.add_argument("--cohort", type=int, default=25)
    parser.add_argument("--seed", type=int, default=15)
    arguments = parser.parse_args()
    rng = np.random.default_rng(arguments.seed)
    print_recovery_table(arguments.trainees, arguments.cohort, rng)
    print_items_needed(rng)
    print_cohort_needed(rng)


if __name__ == "__main__":
    main()

"""Forecasts of a narrative's counts, their baselines and their back-test (pure: numpy only).

The model. A damped local-level-and-trend model (exponential smoothing, "Ad") on log(1 + count), with an
additive seasonal profile (7 for days, 24 for hours) once two full seasons are known, shrunk toward none
while few seasons are. Smoothing weights are chosen from a small grid by one-step error on the history.
Forecasts are sample paths (a seeded generator: the same history gives the same forecast): the point is
each step's median, the interval the 10th and 90th percentiles (80 %), a sum over steps (the next 7 days)
the percentiles of the paths' sums, and "still growing" the share of paths whose next window holds more
posts than the last one.

The baselines. `naive` repeats the last count; `seasonal naive` the count one season earlier; their 80 %
intervals are the 10th and 90th percentiles of their own errors on the history at that horizon.

Scoring. `mase` divides the mean absolute error by the history's mean absolute seasonal-naive step (season
1: the naive step). `coverage` is the share of actual counts inside [lower, upper]. `backtest` forecasts
from every origin of every series (rolling origin) and pools: MASE = sum of errors / sum of scales.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np

PATHS = 2000
LOWER_Q, UPPER_Q = 0.1, 0.9
ALPHAS = (0.2, 0.4, 0.6, 0.8)
BETAS = (0.0, 0.05, 0.15)
PHIS = (0.5, 0.8)
TREND_LIMIT = 0.2  # log scale per step (about +-22 %): a burst's jump is not a trend (bench/trends.py)
SIGMA_FLOOR = 0.15  # log scale: a short history's residuals understate what comes next


@dataclass(frozen=True)
class Prediction:
    """Per step: the median and 80 % interval; `totals`: (median, lower, upper) of the sum over all steps;
    `growing`: P(the next `window` steps hold more than the last `window` observed)."""

    median: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    totals: tuple[float, float, float]
    growing: float


@dataclass(frozen=True)
class Fit:
    alpha: float
    beta: float
    phi: float
    level: float
    trend: float
    sigma: float
    profile: np.ndarray  # the seasonal term of every position in the season (zeros when none)


# --- the model ------------------------------------------------------------------------------------------


def fit(counts: Sequence[float] | np.ndarray, season: int) -> Fit:
    """The damped trend model with the smoothing weights that forecast the history best one step ahead."""
    logged = np.log1p(np.asarray(counts, dtype=float))
    profile = seasonal_profile(logged, season)
    plain = logged - profile[np.arange(len(logged)) % season]
    best = min(product(ALPHAS, BETAS, PHIS), key=lambda weights: _smooth(plain, *weights)[2])
    level, trend, error, residuals = _smooth(plain, *best)
    sigma = max(float(np.sqrt(np.mean(residuals**2))) if len(residuals) else 0.0, SIGMA_FLOOR)
    return Fit(*best, level, float(np.clip(trend, -TREND_LIMIT, TREND_LIMIT)), sigma, profile)


def seasonal_profile(logged: np.ndarray, season: int) -> np.ndarray:
    """The mean deviation of each season position from its season's mean, shrunk by k / (k + 1) with k full
    seasons; none below two full seasons."""
    full = len(logged) // season
    if season < 2 or full < 2:
        return np.zeros(max(season, 1))
    recent = logged[len(logged) - full * season :].reshape(full, season)
    deviation = (recent - recent.mean(axis=1, keepdims=True)).mean(axis=0)
    shift = (len(logged) - full * season) % season  # recent[:, 0] sits at position `shift` of the season
    return np.roll(deviation * full / (full + 1), shift)


def _smooth(plain: np.ndarray, alpha: float, beta: float, phi: float) -> tuple[float, float, float, np.ndarray]:
    level, trend = (float(plain[0]) if len(plain) else 0.0), 0.0
    residuals = np.zeros(max(len(plain) - 1, 0))
    for t in range(1, len(plain)):
        error = plain[t] - (level + phi * trend)
        residuals[t - 1] = error
        level, trend = level + phi * trend + alpha * error, phi * trend + beta * error
    return level, trend, float(np.sum(residuals**2)), residuals


def forecast(counts: Sequence[float] | np.ndarray, horizon: int, season: int, window: int = 1) -> Prediction:
    """The model's forecast of the next `horizon` steps (see the module docstring)."""
    history = np.asarray(counts, dtype=float)
    model = fit(history, season)
    paths = simulate(model, len(history), horizon)
    last = float(history[-window:].sum()) if len(history) else 0.0
    return _summarise(paths, float(np.mean(paths[:, :window].sum(axis=1) > last)))


def simulate(model: Fit, observed: int, horizon: int, paths: int = PATHS) -> np.ndarray:
    """Sample paths of counts (paths x horizon); integers by random rounding."""
    rng = np.random.default_rng(observed * 7919 + horizon)
    shocks = rng.normal(0.0, model.sigma, size=(paths, horizon))
    level = np.full(paths, model.level)
    trend = np.full(paths, model.trend)
    logged = np.empty((paths, horizon))
    season = len(model.profile)
    for h in range(horizon):
        logged[:, h] = level + model.phi * trend + model.profile[(observed + h) % season] + shocks[:, h]
        level, trend = (
            level + model.phi * trend + model.alpha * shocks[:, h],
            model.phi * trend + model.beta * shocks[:, h],
        )
    values = np.maximum(np.expm1(logged), 0.0)
    return np.floor(values + rng.random(values.shape))


def _summarise(paths: np.ndarray, growing: float) -> Prediction:
    totals = paths.sum(axis=1)
    return Prediction(
        np.median(paths, axis=0),
        np.quantile(paths, LOWER_Q, axis=0),
        np.quantile(paths, UPPER_Q, axis=0),
        (float(np.median(totals)), float(np.quantile(totals, LOWER_Q)), float(np.quantile(totals, UPPER_Q))),
        growing,
    )


# --- the baselines --------------------------------------------------------------------------------------


def naive(counts: Sequence[float] | np.ndarray, horizon: int, season: int, window: int = 1) -> Prediction:
    """The last count, repeated."""
    return _repeating(np.asarray(counts, dtype=float), horizon, 1)


def seasonal_naive(counts: Sequence[float] | np.ndarray, horizon: int, season: int, window: int = 1) -> Prediction:
    """The count one season earlier (the naive forecast while less than a season is known)."""
    history = np.asarray(counts, dtype=float)
    return _repeating(history, horizon, season if len(history) >= season else 1)


def _repeating(history: np.ndarray, horizon: int, lag: int) -> Prediction:
    steps = np.arange(horizon)
    point = history[len(history) - lag + steps % lag] if len(history) else np.zeros(horizon)
    lower, upper = np.empty(horizon), np.empty(horizon)
    for h in range(horizon):
        reach = lag * (h // lag + 1)  # how far back the repeated count lies
        errors = history[reach:] - history[:-reach] if len(history) > reach else np.zeros(1)
        lower[h] = max(point[h] + np.quantile(errors, LOWER_Q), 0.0)
        upper[h] = point[h] + np.quantile(errors, UPPER_Q)
    total = float(point.sum())
    return Prediction(point, lower, upper, (total, float(lower.sum()), float(upper.sum())), 0.0)


METHODS: dict[str, Callable[..., Prediction]] = {
    "damped trend": forecast,
    "naive": naive,
    "seasonal naive": seasonal_naive,
}


# --- scoring --------------------------------------------------------------------------------------------


def mase_scale(history: Sequence[float] | np.ndarray, season: int = 1) -> float:
    """The mean absolute seasonal-naive step of the history (0.0 when it is too short or constant)."""
    values = np.asarray(history, dtype=float)
    if len(values) <= season:
        return 0.0
    return float(np.mean(np.abs(values[season:] - values[:-season])))


def mase(actual: Sequence[float] | np.ndarray, predicted: Sequence[float] | np.ndarray,
         history: Sequence[float] | np.ndarray, season: int = 1) -> float:  # fmt: skip
    """Mean absolute scaled error: the forecast's mean absolute error over the history's `mase_scale`."""
    scale = mase_scale(history, season)
    if scale == 0.0:
        raise ValueError("MASE is undefined for a history without change at this season")
    error = np.abs(np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float))
    return float(np.mean(error)) / scale


def coverage(actual: Sequence[float] | np.ndarray, lower: Sequence[float] | np.ndarray,
             upper: Sequence[float] | np.ndarray) -> float:  # fmt: skip
    """The share of actual values inside their [lower, upper] interval."""
    values = np.asarray(actual, dtype=float)
    inside = (values >= np.asarray(lower, dtype=float)) & (values <= np.asarray(upper, dtype=float))
    return float(np.mean(inside)) if len(values) else float("nan")


@dataclass(frozen=True)
class BacktestResult:
    method: str
    mase: float  # pooled: sum of absolute errors / sum of (scale x steps)
    coverage: float
    forecasts: int  # origins scored


def backtest(series: Sequence[Sequence[float] | np.ndarray], method: str, *, season: int, horizon: int,
             min_history: int, stride: int = 1) -> BacktestResult:  # fmt: skip
    """Rolling origin: from every `stride`-th origin with at least `min_history` steps behind and `horizon`
    ahead, forecast and score. Origins whose history has no change (scale 0) count for coverage only."""
    errors, scales, origins = 0.0, 0.0, 0
    inside: list[np.ndarray] = []
    for counts in series:
        values = np.asarray(counts, dtype=float)
        for origin in range(min_history, len(values) - horizon + 1, stride):
            history, actual = values[:origin], values[origin : origin + horizon]
            predicted = METHODS[method](history, horizon, season)
            scale = mase_scale(history, season if len(history) > season else 1)
            if scale > 0.0:
                errors += float(np.abs(actual - predicted.median).sum())
                scales += scale * horizon
            inside.append((actual >= predicted.lower) & (actual <= predicted.upper))
            origins += 1
    score = errors / scales if scales else float("nan")
    covered = float(np.mean(np.concatenate(inside))) if inside else float("nan")
    return BacktestResult(method, score, covered, origins)

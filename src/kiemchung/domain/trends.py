"""Trends of one narrative: counts per hour or day, bursts against its own baseline (pure: numpy and scipy).

Counting. `count_series` puts aware timestamps into hourly or calendar-day buckets of a time zone, gaps
filled with zero; a timestamp after `end` is not counted (nothing looks ahead).

Baseline. Every detector compares hour t with the narrative's own rate *before* t: a gamma-Poisson
posterior whose prior (`prior_rate` posts per hour, worth `prior_weight` hours) speaks for a new narrative
and whose past hours fade with `half_life_hours`. The predictive count of hour t is negative-binomial.

Two detectors, each with an online track (`track(counts)[t]` depends on `counts[: t + 1]` only, so a replay
fires exactly when a live run would) and burst intervals for a finished timeline:
- `surprise`: hour t fires when the upper-tail probability of its count under the baseline is below
  `alpha` (and it holds at least `min_posts`); a burst goes on while that probability stays below
  `alpha_continue`. The interval is the run of firing hours.
- `kleinberg`: Kleinberg's two-state automaton (Kleinberg 2002, "Bursty and hierarchical structure in
  streams", the batched version) with Poisson costs: state 0 emits at the baseline rate, state 1 at `scale`
  times it; going up costs `gamma * ln(hours)`, going down is free. The online track is the automaton's
  filtered state (the cheaper state at t given the hours so far); the interval is the optimal (Viterbi)
  state sequence of the whole timeline. `kleinberg_batched` is the paper's own binomial version (r_t
  relevant of d_t documents in batch t), kept for reference and tests.

Each `Burst` says where it starts and ends (`end` exclusive: the end of its last bucket), its peak bucket,
its posts, and `fired`: the first bucket in it where the online track fired (None when the live run would
have stayed silent — possible for Kleinberg's hindsight intervals).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Literal

import numpy as np
from scipy import stats
from scipy.special import gammaln

from kiemchung.domain import forecasts

Step = Literal["hour", "day"]
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class CountSeries:
    """Counts per bucket; `starts[i]` is bucket i's start (aware). A calendar day may last 23 or 25 hours."""

    starts: tuple[datetime, ...]
    counts: tuple[int, ...]
    step: Step

    def array(self) -> np.ndarray:
        return np.asarray(self.counts, dtype=float)

    def end_of(self, index: int) -> datetime:
        """The (exclusive) end of bucket `index`."""
        if index + 1 < len(self.starts):
            return self.starts[index + 1]
        return _next_start(self.starts[index], self.step)


@dataclass(frozen=True)
class BurstOptions:
    """The detectors' knobs; the defaults were chosen on `bench/trends.py` (docs/trends.md)."""

    half_life_hours: float = 72.0
    prior_rate: float = 0.1  # posts per hour expected of a narrative with no history
    prior_weight: float = 12.0  # how many hours of history the prior is worth
    min_posts: int = 4  # a bucket with fewer posts never starts a burst
    alpha: float = 1e-4  # surprise: starts a burst
    alpha_continue: float = 0.05  # surprise: keeps it going
    scale: float = 3.0  # kleinberg: the burst state's rate over the baseline
    gamma: float = 1.0  # kleinberg: the cost of going up, times ln(hours)
    reference_hours: int = 168  # kleinberg: the "n" of gamma * ln(n) in the online filter
    hold_hours: int = 6  # firing again within this many hours of the last firing hour is the same burst


@dataclass(frozen=True)
class Span:
    """A burst in bucket indices: [start, end] inclusive, its peak, its posts, the first firing bucket."""

    start: int
    end: int
    peak: int
    posts: int
    fired: int | None


@dataclass(frozen=True)
class Burst:
    start: datetime
    end: datetime  # exclusive: the end of the last bucket
    peak: datetime  # the start of the bucket with the most posts
    posts: int
    fired: datetime | None  # the bucket in which an online run would first have fired
    detector: str


# --- counting -------------------------------------------------------------------------------------------


def count_series(
    timestamps: Iterable[datetime], step: Step, *, end: datetime, start: datetime | None = None, tz: tzinfo = UTC
) -> CountSeries:
    """Counts per hour or calendar day in `tz`, from the bucket of `start` (default: the earliest timestamp)
    to the bucket of `end`, gaps as zeros; timestamps outside [start, end] are not counted."""
    times = [_aware(t) for t in timestamps]
    _aware(end)
    first = _aware(start) if start is not None else min((t for t in times if t <= end), default=None)
    if first is None or first > end:
        return CountSeries((), (), step)
    starts = _bucket_starts(_floor(first, step, tz), end, step, tz)
    counts = [0] * len(starts)
    for moment in times:
        if first <= moment <= end:
            counts[_bucket_index(moment, starts[0], step, tz)] += 1
    return CountSeries(tuple(starts), tuple(counts), step)


def window_counts(timestamps: Iterable[datetime], end: datetime, width: timedelta, windows: int) -> np.ndarray:
    """Counts in `windows` consecutive windows of `width` ending at `end` (oldest first): for forecasts, whose
    "next 24 hours" starts now rather than at midnight."""
    counts = np.zeros(windows)
    for moment in timestamps:
        back = (_aware(end) - _aware(moment)) / width
        if 0 <= back < windows:
            counts[windows - 1 - int(back)] += 1
    return counts


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return moment


def _floor(moment: datetime, step: Step, tz: tzinfo) -> datetime:
    local = moment.astimezone(tz)
    if step == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    return datetime.combine(local.date(), time(0), tzinfo=tz)


def _next_start(bucket: datetime, step: Step) -> datetime:
    if step == "hour":
        return (bucket.astimezone(UTC) + HOUR).astimezone(bucket.tzinfo)
    return datetime.combine(bucket.date() + DAY, time(0), tzinfo=bucket.tzinfo)


def _bucket_starts(first: datetime, end: datetime, step: Step, tz: tzinfo) -> list[datetime]:
    starts, bucket = [], first
    while bucket <= end:
        starts.append(bucket)
        bucket = _next_start(bucket, step)
    return starts


def _bucket_index(moment: datetime, first: datetime, step: Step, tz: tzinfo) -> int:
    if step == "hour":
        return int((moment - first) // HOUR)
    return (moment.astimezone(tz).date() - first.date()).days


# --- the baseline ---------------------------------------------------------------------------------------


def baseline(counts: Sequence[float] | np.ndarray, options: BurstOptions) -> tuple[np.ndarray, np.ndarray]:
    """For every hour t, the gamma posterior (shape, rate) of the hourly rate given the hours before t."""
    keep = 0.5 ** (1.0 / options.half_life_hours)
    shape = np.empty(len(counts))
    rate = np.empty(len(counts))
    seen, hours = 0.0, 0.0
    for t, count in enumerate(counts):
        shape[t] = options.prior_rate * options.prior_weight + seen
        rate[t] = options.prior_weight + hours
        seen, hours = keep * seen + float(count), keep * hours + 1.0
    return shape, rate


def surprise(counts: Sequence[float] | np.ndarray, options: BurstOptions) -> np.ndarray:
    """P(X >= count_t) for every hour t, X negative-binomial from the baseline before t: small is surprising."""
    observed = np.asarray(counts, dtype=float)
    shape, rate = baseline(observed, options)
    return np.asarray(stats.nbinom.sf(observed - 1, shape, rate / (rate + 1.0)), dtype=float)


# --- detector 1: surprise -------------------------------------------------------------------------------


def surprise_track(counts: Sequence[float] | np.ndarray, options: BurstOptions) -> np.ndarray:
    """Online: is a surprise burst firing at t, knowing only the hours up to t."""
    observed = np.asarray(counts, dtype=float)
    tails = surprise(observed, options)
    firing = np.zeros(len(observed), dtype=bool)
    for t in range(len(observed)):
        starts = tails[t] < options.alpha and observed[t] >= options.min_posts
        goes_on = t > 0 and firing[t - 1] and tails[t] < options.alpha_continue
        firing[t] = starts or goes_on
    return firing


# --- detector 2: Kleinberg's automaton ------------------------------------------------------------------


def _poisson_costs(counts: np.ndarray, options: BurstOptions) -> tuple[np.ndarray, np.ndarray]:
    shape, rate = baseline(counts, options)
    base = shape / rate
    return _poisson_cost(counts, base), _poisson_cost(counts, options.scale * base)


def _poisson_cost(counts: np.ndarray, rate: np.ndarray) -> np.ndarray:
    return np.asarray(rate - counts * np.log(rate) + gammaln(counts + 1.0), dtype=float)


def kleinberg_track(counts: Sequence[float] | np.ndarray, options: BurstOptions) -> np.ndarray:
    """Online: the automaton's filtered state at t (burst when state 1 is the cheaper way to reach t); a
    burst starts only in an hour with at least `min_posts`."""
    observed = np.asarray(counts, dtype=float)
    cost0, cost1 = _poisson_costs(observed, options)
    up = options.gamma * np.log(options.reference_hours)
    firing = np.zeros(len(observed), dtype=bool)
    low, high = 0.0, np.inf
    for t in range(len(observed)):
        low, high = min(low, high) + cost0[t], min(high, low + up) + cost1[t]
        entering = t == 0 or not firing[t - 1]
        firing[t] = high < low and (not entering or observed[t] >= options.min_posts)
    return firing


def kleinberg_states(counts: Sequence[float] | np.ndarray, options: BurstOptions) -> np.ndarray:
    """Hindsight: the automaton's optimal state sequence over the whole timeline (n = its length)."""
    observed = np.asarray(counts, dtype=float)
    cost0, cost1 = _poisson_costs(observed, options)
    return two_state_viterbi(cost0, cost1, options.gamma * np.log(max(len(observed), 2)))


def kleinberg_batched(
    relevant: Sequence[int], totals: Sequence[int], scale: float = 2.0, gamma: float = 1.0
) -> np.ndarray:
    """Kleinberg's batched two-state automaton as in the paper: batch t holds `relevant[t]` of `totals[t]`
    documents; p0 = R / D, p1 = scale * p0; cost -ln[C(d, r) p^r (1 - p)^(d - r)]; going up costs
    gamma * ln(n). Returns the optimal states (0 or 1) per batch."""
    r, d = np.asarray(relevant, dtype=float), np.asarray(totals, dtype=float)
    p0 = r.sum() / d.sum()
    p1 = min(scale * p0, 0.9999)
    return two_state_viterbi(_binomial_cost(r, d, p0), _binomial_cost(r, d, p1), gamma * np.log(len(r)))


def _binomial_cost(r: np.ndarray, d: np.ndarray, p: float) -> np.ndarray:
    log_choose = gammaln(d + 1.0) - gammaln(r + 1.0) - gammaln(d - r + 1.0)
    return np.asarray(-(log_choose + r * np.log(p) + (d - r) * np.log1p(-p)), dtype=float)


def two_state_viterbi(cost0: np.ndarray, cost1: np.ndarray, up: float) -> np.ndarray:
    """The cheapest state sequence starting in state 0: emission costs per state, `up` to go 0 -> 1."""
    n = len(cost0)
    back = np.zeros((n, 2), dtype=int)  # the previous state on the cheapest way into (t, state)
    low, high = 0.0, np.inf
    for t in range(n):
        back[t] = (0 if low <= high else 1, 1 if high <= low + up else 0)
        low, high = min(low, high) + cost0[t], min(high, low + up) + cost1[t]
    states = np.zeros(n, dtype=int)
    if n:
        states[-1] = 0 if low <= high else 1
    for t in range(n - 1, 0, -1):
        states[t - 1] = back[t][states[t]]
    return states


# --- bursts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detector:
    name: str
    track: Callable[[np.ndarray, BurstOptions], np.ndarray]  # online, no look-ahead
    states: Callable[[np.ndarray, BurstOptions], np.ndarray]  # the intervals of a finished timeline


DETECTORS = {
    "surprise": Detector("surprise", surprise_track, surprise_track),
    "kleinberg": Detector("kleinberg", kleinberg_track, kleinberg_states),
}
DEFAULT_DETECTOR = "surprise"  # chosen on bench/trends.py: see docs/trends.md


def fires_at(counts_so_far: Sequence[float] | np.ndarray, detector: str = DEFAULT_DETECTOR,
             options: BurstOptions | None = None) -> bool:  # fmt: skip
    """Online: given the hourly counts up to and including hour t, is a burst firing at t?"""
    observed = np.asarray(counts_so_far, dtype=float)
    return bool(len(observed)) and bool(DETECTORS[detector].track(observed, options or BurstOptions())[-1])


def alert_at(counts_so_far: Sequence[float] | np.ndarray, detector: str = DEFAULT_DETECTOR,
             options: BurstOptions | None = None) -> bool:  # fmt: skip
    """Online, once per burst: does a *new* burst start at t (firing at t, silent for `hold_hours` before)?"""
    settings = options or BurstOptions()
    track = DETECTORS[detector].track(np.asarray(counts_so_far, dtype=float), settings)
    return bool(len(track)) and bool(track[-1]) and not track[-1 - settings.hold_hours : -1].any()


def onsets(track: Sequence[bool] | np.ndarray, hold_hours: int) -> list[int]:
    """The hours at which `alert_at` is true along a track: the first hour of every held-together burst."""
    return [start for start, _ in runs(track, hold_hours)]


def spans(counts: Sequence[float] | np.ndarray, detector: str = DEFAULT_DETECTOR,
          options: BurstOptions | None = None) -> list[Span]:  # fmt: skip
    """The bursts of a finished timeline, in bucket indices."""
    observed = np.asarray(counts, dtype=float)
    chosen, settings = DETECTORS[detector], options or BurstOptions()
    online = chosen.track(observed, settings)
    intervals = runs(chosen.states(observed, settings), settings.hold_hours)
    found = [_span(observed, online, start, end) for start, end in intervals]
    return [span for span in found if observed[span.peak] >= settings.min_posts]  # too small to be a burst


def runs(states: Sequence[int] | np.ndarray, hold_hours: int = 0) -> list[tuple[int, int]]:
    """The [start, end] (inclusive) of every run of true/1 values; runs with at most `hold_hours` false
    values between them are one run."""
    flags = np.concatenate(([0], np.asarray(states, dtype=int) != 0, [0]))
    edges = np.flatnonzero(np.diff(flags))
    merged: list[tuple[int, int]] = []
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if merged and start - merged[-1][1] - 1 <= hold_hours:
            merged[-1] = (merged[-1][0], int(stop) - 1)
        else:
            merged.append((int(start), int(stop) - 1))
    return merged


def _span(counts: np.ndarray, online: np.ndarray, start: int, end: int) -> Span:
    fired = np.flatnonzero(online[start : end + 1])
    peak = start + int(np.argmax(counts[start : end + 1]))
    first = start + int(fired[0]) if len(fired) else None
    return Span(start, end, peak, int(counts[start : end + 1].sum()), first)


def bursts_in(
    series: CountSeries, detector: str = DEFAULT_DETECTOR, options: BurstOptions | None = None
) -> list[Burst]:
    """The bursts of an hourly series, in time."""
    found = spans(series.array(), detector, options)
    return [_burst(series, span, detector) for span in found]


def _burst(series: CountSeries, span: Span, detector: str) -> Burst:
    fired = series.starts[span.fired] if span.fired is not None else None
    return Burst(series.starts[span.start], series.end_of(span.end), series.starts[span.peak], span.posts, fired,
                 detector)  # fmt: skip


def bursts_for(timestamps: Iterable[datetime], now: datetime, detector: str = DEFAULT_DETECTOR) -> list[Burst]:
    """The narrative's bursts up to `now` by the default detector: hourly buckets (UTC hours), posts published
    after `now` not counted. The last burst may still be going on (its end is then the end of this hour)."""
    return bursts_in(count_series(timestamps, "hour", end=now), detector)


# --- forecasts ------------------------------------------------------------------------------------------

FORECAST_DAYS = 7
HISTORY_DAYS = 56  # eight weeks of daily windows at most
HISTORY_HOURS = 24 * 14


@dataclass(frozen=True)
class Point:
    """One forecast window: [start, start + step) holds `median` posts, 80 % between `lower` and `upper`."""

    start: datetime
    median: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Forecast:
    """What the next 24 hours and 7 days hold, from `now`; `growing`: P(the next 24 h hold more posts than
    the last 24 h). Days are 24-hour windows from `now`, not calendar days."""

    now: datetime
    next_24h: Point
    next_7_days: Point
    days: tuple[Point, ...]
    hours: tuple[Point, ...]
    growing: float


def forecast_for(timestamps: Iterable[datetime], now: datetime) -> Forecast:
    """The narrative's forecast by the damped trend model (domain/forecasts.py), posts after `now` unseen."""
    times = [t for t in (_aware(t) for t in timestamps) if t <= _aware(now)]
    oldest = min(times, default=now)
    days = min(HISTORY_DAYS, int((now - oldest) // DAY) + 1)
    hours = min(HISTORY_HOURS, int((now - oldest) // HOUR) + 1)
    daily = forecasts.forecast(window_counts(times, now, DAY, days), FORECAST_DAYS, season=7)
    hourly = forecasts.forecast(window_counts(times, now, HOUR, hours), 24, season=24)
    day_points = _points(daily, now, DAY)
    week = Point(now, *daily.totals)
    return Forecast(now, day_points[0], week, day_points, _points(hourly, now, HOUR), daily.growing)


def _points(prediction: forecasts.Prediction, now: datetime, width: timedelta) -> tuple[Point, ...]:
    rows = zip(prediction.median, prediction.lower, prediction.upper, strict=True)
    return tuple(Point(now + step * width, float(m), float(lo), float(hi)) for step, (m, lo, hi) in enumerate(rows))

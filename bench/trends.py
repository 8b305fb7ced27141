"""Trend analytics benchmark: burst detectors (online, replayed hour by hour) and forecasts (rolling origin).

    python bench/trends.py                          # synthetic timelines (seeded), both detectors
    python bench/trends.py --narratives 300 --seed 2
    python bench/trends.py --posts FILE.jsonl       # real timelines: {"narrative": id, "published": ISO} rows;
                                                    # rows {"id": ..., "bursts": [{"start","end","peak"}]}
                                                    # (the narrative set's own lines) label the bursts

Synthetic timelines are NOT the issue's targets: they only show the detectors and the model work as meant.
Each synthetic narrative lives 21 days: a quiet baseline (0.02–0.4 posts an hour, lower at night and at the
weekend), and for two thirds of them one or two bursts (spike, ramp or plateau; 20–200 posts) after a quiet
start, then a tail. The label of a burst: its first hour, its last hour above the baseline, its peak (the
hour with the most posts).

Bursts: "before peak" is the share of labelled bursts whose first alert (an online onset inside the burst)
came in an hour before the peak hour; "by peak" includes the peak hour itself (an online run alerts during
that hour, as the posts come). False alerts: onsets outside every labelled burst, per 1,000 posts outside
them ("quiet traffic"). Forecasts: daily counts, 7 days ahead from every day with 7 behind; MASE is pooled
(sum of absolute errors / sum of seasonal-naive scales, season 7) and coverage is of the 80 % intervals; hourly
counts likewise, 24 hours ahead from every midnight with two days behind (season 24).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kiemchung.domain import forecasts, trends  # noqa: E402

START = datetime(2026, 9, 1, tzinfo=UTC)  # a Tuesday
DAYS = 21
DIURNAL = np.array([0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.2, 1.4, 1.4, 1.3, 1.3,
                    1.4, 1.3, 1.2, 1.2, 1.3, 1.4, 1.5, 1.6, 1.6, 1.4, 1.0, 0.5])  # fmt: skip
DIURNAL = DIURNAL / DIURNAL.mean()
WEEKLY = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.6])  # Monday first


@dataclass(frozen=True)
class Label:
    start: int  # hours since the timeline's first hour
    end: int  # inclusive
    peak: int
    shape: str = "labelled"  # synthetic: spike | ramp | plateau


@dataclass(frozen=True)
class Timeline:
    name: str
    counts: np.ndarray  # per hour
    labels: tuple[Label, ...]
    daily: np.ndarray  # per day


def synthetic(narratives: int, seed: int) -> list[Timeline]:
    rng = np.random.default_rng(seed)
    hours = DAYS * 24
    weekday = np.array([(START + timedelta(hours=h)).weekday() for h in range(hours)])
    shape = DIURNAL[np.arange(hours) % 24] * WEEKLY[weekday]
    return [_timeline(f"n{i:03d}", rng, shape) for i in range(narratives)]


def _timeline(name: str, rng: np.random.Generator, shape: np.ndarray) -> Timeline:
    hours = len(shape)
    born = int(rng.integers(0, 5 * 24))
    rate = np.where(np.arange(hours) >= born, float(np.exp(rng.uniform(np.log(0.02), np.log(0.4)))) * shape, 0.0)
    extra, plans = np.zeros(hours), []
    for _ in range(int(rng.choice([0, 1, 1, 2]))):
        start = born + int(rng.integers(12, hours - born - 72)) if hours - born > 90 else born
        shape_name = str(rng.choice(["spike", "ramp", "plateau"]))
        curve = _burst_curve(rng, shape_name, float(rng.uniform(20, 200)))
        stop = min(start + len(curve), hours)
        extra[start:stop] += curve[: stop - start] * np.clip(shape[start:stop], 0.5, None)
        plans.append((start, stop, shape_name))
    counts = rng.poisson(rate + extra).astype(float)
    labels = tuple(_label(counts, rate, extra, *plan) for plan in sorted(plans))
    return Timeline(name, counts, tuple(label for label in labels if label), counts.reshape(-1, 24).sum(axis=1))


def _burst_curve(rng: np.random.Generator, kind: str, posts: float) -> np.ndarray:
    steps = np.arange(48, dtype=float)
    if kind == "spike":
        curve = np.exp(-steps / rng.uniform(1.5, 4.0))
    elif kind == "ramp":
        rise = rng.uniform(3, 9)
        curve = np.where(steps <= rise, (steps + 1) / (rise + 1), np.exp(-(steps - rise) / rng.uniform(2, 6)))
    else:
        flat = rng.uniform(6, 14)
        curve = np.clip(np.minimum((steps + 1) / 3, 1.0) * np.exp(-np.clip(steps - flat, 0, None) / 3), 0, 1)
    return posts * curve / curve.sum()


def _label(counts: np.ndarray, rate: np.ndarray, extra: np.ndarray, start: int, stop: int, shape: str) -> Label | None:
    above = np.flatnonzero(extra[start:stop] > np.maximum(rate[start:stop], 0.05))
    if not len(above):
        return None
    end = start + int(above[-1])
    return Label(start, end, start + int(np.argmax(counts[start : end + 1])), shape)


def from_posts(path: Path) -> list[Timeline]:
    """Hourly timelines from a JSONL of posts; bursts from lines that carry them (narrative lines)."""
    published: dict[str, list[datetime]] = defaultdict(list)
    marked: dict[str, list[dict]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else {}
        if "narrative" in row and "published" in row:
            published[str(row["narrative"])].append(datetime.fromisoformat(row["published"]))
        if "bursts" in row and "id" in row:
            marked[str(row["id"])] = row["bursts"]
    return [_real(name, times, marked.get(name, [])) for name, times in sorted(published.items())]


def _real(name: str, times: list[datetime], bursts: list[dict]) -> Timeline:
    first = min(times).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    last = max(times)
    counts = np.asarray(trends.count_series(times, "hour", start=first, end=last).counts, dtype=float)
    counts = np.concatenate([counts, np.zeros((-len(counts)) % 24)])
    at = {k: [int((datetime.fromisoformat(b[k]) - first) // timedelta(hours=1)) for b in bursts]
          for k in ("start", "end", "peak")}  # fmt: skip
    labels = tuple(Label(*spot) for spot in zip(at["start"], at["end"], at["peak"], strict=True))
    return Timeline(name, counts, labels, counts.reshape(-1, 24).sum(axis=1))


# --- scoring --------------------------------------------------------------------------------------------


def score_detector(timelines: list[Timeline], detector: str, options: trends.BurstOptions) -> dict[str, float]:
    outcomes: list[tuple[str, int | None, int]] = []  # (shape, first alert, peak) per labelled burst
    false = repeats = quiet_posts = 0
    for timeline in timelines:
        alerts = trends.onsets(trends.DETECTORS[detector].track(timeline.counts, options), options.hold_hours)
        inside = np.zeros(len(timeline.counts), dtype=bool)
        for label in timeline.labels:
            inside[label.start : label.end + 1] = True
            within = [a for a in alerts if label.start <= a <= label.end]
            outcomes.append((label.shape, within[0] if within else None, label.peak))
            repeats += max(len(within) - 1, 0)
        false += sum(not inside[a] for a in alerts)
        quiet_posts += int(timeline.counts[~inside].sum())
    row: dict[str, float] = {"bursts": len(outcomes), "false alerts": false, "repeat alerts": repeats}
    row["false / 1k quiet posts"] = 1000 * false / quiet_posts if quiet_posts else float("nan")
    row["before peak"] = _share([first is not None and first < peak for _, first, peak in outcomes])
    row["by peak"] = _share([first is not None and first <= peak for _, first, peak in outcomes])
    for shape in sorted({shape for shape, _, _ in outcomes}):
        row[f"before peak: {shape}"] = _share([f is not None and f < p for s, f, p in outcomes if s == shape])
    return row


def _share(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else float("nan")


def score_forecasts(timelines: list[Timeline], horizon: int) -> list[forecasts.BacktestResult]:
    """Daily series, season 7, from every day with a week behind."""
    daily = [timeline.daily for timeline in timelines]
    return [forecasts.backtest(daily, method, season=7, horizon=horizon, min_history=7)
            for method in forecasts.METHODS]  # fmt: skip


def score_hourly_forecasts(timelines: list[Timeline]) -> list[forecasts.BacktestResult]:
    """Hourly series, season 24, the next 24 hours from every midnight with two days behind."""
    hourly = [timeline.counts for timeline in timelines]
    return [forecasts.backtest(hourly, method, season=24, horizon=24, min_history=48, stride=24)
            for method in forecasts.METHODS]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--narratives", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--posts", type=Path, help="JSONL of {narrative, published} rows instead of synthetic")
    args = parser.parse_args(argv)
    timelines = from_posts(args.posts) if args.posts else synthetic(args.narratives, args.seed)
    source = str(args.posts) if args.posts else f"synthetic, {args.narratives} narratives, seed {args.seed}"
    print(f"# {source}: {sum(len(t.labels) for t in timelines)} labelled bursts, "
          f"{int(sum(t.counts.sum() for t in timelines))} posts\n")  # fmt: skip
    print("| detector | bursts | alert before peak | alert by peak | false alerts | per 1,000 quiet posts | "
          "repeat alerts | before peak, by shape |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in trends.DETECTORS:
        began = time.perf_counter()
        row = score_detector(timelines, name, trends.BurstOptions())
        shapes = ", ".join(f"{k.split(': ')[1]} {v:.2f}" for k, v in row.items() if k.startswith("before peak: "))
        print(f"| {name} | {row['bursts']} | {row['before peak']:.3f} | {row['by peak']:.3f} | {row['false alerts']} "
              f"| {row['false / 1k quiet posts']:.2f} | {row['repeat alerts']} | {shapes} |")  # fmt: skip
        print(f"{name}: {time.perf_counter() - began:.1f} s", file=sys.stderr)
    for horizon in (1, 7):
        print(f"\n| forecast, daily, {horizon} day(s) ahead | MASE (seasonal-naive scale) | 80 % coverage | origins |")
        print("| --- | --- | --- | --- |")
        for result in score_forecasts(timelines, horizon):
            print(f"| {result.method} | {result.mase:.3f} | {result.coverage:.3f} | {result.forecasts} |")
    print("\n| forecast, hourly, 24 hours ahead | MASE (seasonal-naive scale) | 80 % coverage | origins |")
    print("| --- | --- | --- | --- |")
    for result in score_hourly_forecasts(timelines):
        print(f"| {result.method} | {result.mase:.3f} | {result.coverage:.3f} | {result.forecasts} |")


if __name__ == "__main__":
    main()

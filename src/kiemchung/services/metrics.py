"""/metrics in the Prometheus text exposition format (version 0.0.4), written by hand, and /healthz's verdict.

Two kinds of figures: the pipeline's, read from the database (store/operations.py: inbox depth, lag from
publication to storage, items per stage, each source's last success and failure) so that they hold whichever
process runs the pipeline; and this process's own (matching latency, alert delivery failures), kept in
memory since it started. Only counts, times and source names — never a claim's text or a person.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kiemchung.settings import Settings
from kiemchung.store.operations import HealthFacts, OperationsStore, PipelineFigures, SourceHealth

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUANTILES = (0.5, 0.9, 0.99)
HEALTH_MAX_AGE_S = 5.0
Sample = tuple[dict[str, str], float]


class Histogram:
    """A thread-safe Prometheus histogram: cumulative buckets, sum and count."""

    def __init__(self, buckets: Sequence[float] = LATENCY_BUCKETS_S) -> None:
        self.buckets = tuple(buckets)
        self._counts = [0] * (len(self.buckets) + 1)  # the last one is +Inf
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        with self._lock:
            self._counts[bisect.bisect_left(self.buckets, value)] += 1
            self._sum += value

    def snapshot(self) -> tuple[list[tuple[str, int]], float, int]:
        """Cumulative (le, count) pairs with +Inf last, the sum and the count."""
        with self._lock:
            counts, total = list(self._counts), self._sum
        cumulative, running = [], 0
        for bound, count in zip([*map(_number, self.buckets), "+Inf"], counts, strict=True):
            running += count
            cumulative.append((bound, running))
        return cumulative, total, running


@dataclass(frozen=True)
class ProcessFigures:
    """This process's own measures, since it started."""

    matching_latency: Histogram
    delivery_failures: dict[str, int] = field(default_factory=dict)  # channel → failed deliveries
    failing_channels: set[str] = field(default_factory=set)  # channels whose last delivery failed


def _number(value: float) -> str:
    return repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items()) + "}"


class Exposition:
    """Accumulates metric families and renders them; each family gets its HELP and TYPE once."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help: str, samples: Iterable[Sample]) -> None:
        self.lines += [f"# HELP {name} {help}", f"# TYPE {name} {kind}"]
        self.lines += [f"{name}{_labels(labels)} {_number(value)}" for labels, value in samples]

    def histogram(self, name: str, help: str, histogram: Histogram) -> None:
        buckets, total, count = histogram.snapshot()
        self.lines += [f"# HELP {name} {help}", f"# TYPE {name} histogram"]
        self.lines += [f'{name}_bucket{{le="{bound}"}} {n}' for bound, n in buckets]
        self.lines += [f"{name}_sum {_number(total)}", f"{name}_count {count}"]

    def summary(self, name: str, help: str, values: Sequence[float]) -> None:
        ordered = sorted(values)
        self.lines += [f"# HELP {name} {help}", f"# TYPE {name} summary"]
        for q in QUANTILES if ordered else ():
            value = ordered[min(len(ordered) - 1, int(q * len(ordered)))]
            self.lines.append(f'{name}{{quantile="{q}"}} {_number(value)}')
        self.lines += [f"{name}_sum {_number(sum(ordered))}", f"{name}_count {len(ordered)}"]

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0


def _pipeline(out: Exposition, figures: PipelineFigures, now: datetime) -> None:
    by_state = [({"state": state}, float(n)) for state, n in figures.inbox.items()]
    out.family("kiemchung_inbox_items", "gauge", "Inbox entries by state.", by_state)
    oldest = (now - figures.oldest_pending_at).total_seconds() if figures.oldest_pending_at else 0.0
    help = "Age of the oldest pending inbox item (0 when none waits)."
    out.family("kiemchung_inbox_oldest_pending_seconds", "gauge", help, [({}, max(0.0, oldest))])
    by_stage = [({"stage": stage}, float(n)) for stage, n in figures.stages.items()]
    out.family("kiemchung_stage_items_total", "counter", "Items that passed each pipeline stage, in total.", by_stage)
    help = "Lag from a post's publication to its storage, over the newest stored posts."
    out.summary("kiemchung_publication_to_storage_seconds", help, figures.lags_s)


def _per_source(figures: PipelineFigures, value: Callable[[SourceHealth], float]) -> list[Sample]:
    return [({"source": s.name, "kind": s.kind}, value(s)) for s in figures.sources]


def _sources(out: Exposition, figures: PipelineFigures) -> None:
    def last_success(s: SourceHealth) -> float:
        return _timestamp(s.last_success_at)

    def last_failure(s: SourceHealth) -> float:
        return _timestamp(s.last_error_at)

    prefix = "kiemchung_source_"
    out.family(prefix + "last_success_timestamp_seconds", "gauge", "Last successful fetch (0: never).",
               _per_source(figures, last_success))  # fmt: skip
    out.family(prefix + "last_failure_timestamp_seconds", "gauge", "Last failed fetch (0: never).",
               _per_source(figures, last_failure))  # fmt: skip
    out.family(prefix + "consecutive_failures", "gauge", "Failed fetches in a row.",
               _per_source(figures, lambda s: float(s.failures)))  # fmt: skip
    out.family(prefix + "enabled", "gauge", "1 when the source is fetched.",
               _per_source(figures, lambda s: float(s.enabled)))  # fmt: skip
    out.family(prefix + "items_total", "counter", "Items the source delivered, in total.",
               _per_source(figures, lambda s: float(s.items_total)))  # fmt: skip


def _process(out: Exposition, process: ProcessFigures) -> None:
    out.histogram("kiemchung_matching_seconds", "Time to match one batch of posts, in this process.",
                  process.matching_latency)  # fmt: skip
    out.family("kiemchung_alert_delivery_failures_total", "counter", "Failed alert deliveries, in this process.",
               (({"channel": c}, n) for c, n in sorted(process.delivery_failures.items())))  # fmt: skip
    out.family("kiemchung_alert_channel_failing", "gauge", "1 when the channel's last delivery failed.",
               (({"channel": c}, 1.0) for c in sorted(process.failing_channels)))  # fmt: skip


def render_metrics(figures: PipelineFigures, process: ProcessFigures, now: datetime | None = None) -> str:
    out = Exposition()
    _pipeline(out, figures, now or datetime.now(UTC))
    _sources(out, figures)
    _process(out, process)
    return out.text()


# -- /healthz ---------------------------------------------------------------------------------------------


def health_reasons(facts: HealthFacts, stuck_minutes: int, failures: int, now: datetime | None = None) -> list[str]:
    """Why the installation is degraded (empty: it is not). Counts and ages only: /healthz is public."""
    reasons = []
    if facts.failing_sources:
        reasons.append(f"{facts.failing_sources} source(s) failed {failures} or more fetches in a row")
    if facts.oldest_pending_at is not None:
        waited = ((now or datetime.now(UTC)) - facts.oldest_pending_at).total_seconds() / 60
        if waited >= stuck_minutes:
            reasons.append(f"pipeline stuck: an inbox item has waited {int(waited)} minutes")
    return reasons


class HealthCheck:
    """/healthz's degraded-state reasons, read from the database at most every `max_age_s` seconds: probes
    every few milliseconds cost one cached answer, and thresholds of minutes do not need fresher facts."""

    def __init__(self, settings: Settings, store: OperationsStore, max_age_s: float = HEALTH_MAX_AGE_S) -> None:
        self.settings = settings
        self.store = store
        self.max_age_s = max_age_s
        self._facts: HealthFacts | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def reasons(self) -> list[str]:
        with self._lock:
            if self._facts is None or time.monotonic() - self._read_at >= self.max_age_s:
                self._facts = self.store.health_facts(self.settings.health_source_failures)
                self._read_at = time.monotonic()
            facts = self._facts
        return health_reasons(facts, self.settings.health_stuck_minutes, self.settings.health_source_failures)

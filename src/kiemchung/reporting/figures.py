"""A period report's figures: the period and the one before it, the numbers counted in each, and the sections
built from them. Pure: the counting happens in `store/reports.py`, the drawing in `charts` and `render`.

Every figure carries its value for the period and for the previous period of the same length (None for a
snapshot such as the sources' health, which the database keeps only as it is now), so the HTML, the CSV and
the charts all show the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from kiemchung.domain.formats import format_datetime
from kiemchung.errors import InputError
from kiemchung.reporting.texts import report_texts

QUEUE_STAGES = ("new", "in_progress", "drafted", "published", "dismissed")


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included (UTC)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InputError(f"the period ends ({self.end}) before it starts ({self.start})")
        if self.days > 3700:
            raise InputError("a report covers at most ten years")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        """[first moment, first moment after) in UTC."""
        begin = datetime.combine(self.start, time.min, tzinfo=UTC)
        return begin, begin + timedelta(days=self.days)

    def label(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass(frozen=True)
class PeriodNumbers:
    """What one period holds, as counted in the database for one organisation."""

    posts_collected: int = 0
    posts_checkworthy: int = 0
    repeats_matched: int = 0
    repeats_confirmed: int = 0
    published_by_verdict: dict[str, int] = field(default_factory=dict)
    published_by_topic: dict[str, int] = field(default_factory=dict)
    corrections: int = 0
    delays_s: tuple[float, ...] = ()  # first detection → publication, one per fact-check published
    cases_by_stage: dict[str, int] = field(default_factory=dict)  # cases opened in the period, by stage now
    factchecks_received: int = 0  # imported from subscriptions


@dataclass(frozen=True)
class SourceHealth:
    name: str
    enabled: bool
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    failures: int

    @property
    def failing(self) -> bool:
        if self.last_error_at is None:
            return False
        return self.last_success_at is None or self.last_error_at > self.last_success_at


@dataclass(frozen=True)
class Snapshot:
    """What the database keeps only as it is now: the sources and the subscriptions."""

    sources: tuple[SourceHealth, ...] = ()
    subscriptions: int = 0


@dataclass(frozen=True)
class Figure:
    metric: str  # stable key: "posts_collected", "verdict:Sai", "stage:new"…
    label: str
    value: float
    previous: float | None  # None: a snapshot, nothing to compare with
    charted: bool = True  # drawn in the section's chart (a total or a share is told, not drawn)

    @property
    def delta(self) -> float | None:
        return None if self.previous is None else round(self.value - self.previous, 2)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    sentence: str  # what the chart shows, in one sentence
    figures: tuple[Figure, ...]
    table: tuple[tuple[str, ...], ...] = ()  # extra rows shown under the chart (the sources' health)


@dataclass(frozen=True)
class Report:
    organisation: str
    period: Period
    previous: Period
    language: str
    sections: tuple[Section, ...]
    not_covered: tuple[str, ...]  # what the issue asks for that has no data yet (narratives)


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (share in (0, 1]): the smallest value with at least `share` of the values
    at or below it; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def hours(seconds: float | None) -> float:
    return round(seconds / 3600, 1) if seconds is not None else 0.0


@dataclass(frozen=True)
class ReportInput:
    organisation: str
    period: Period
    current: PeriodNumbers
    previous: PeriodNumbers
    snapshot: Snapshot
    language: str = "vi"
    zone: tzinfo = UTC  # the installation's time zone (KIEMCHUNG_TIME_ZONE), in which times are shown


def build_report(given: ReportInput) -> Report:
    """Every section of the report, in the order it is read."""
    words = report_texts(given.language)
    builders = (_posts, _repeats, _verdicts, _topics, _corrections, _delays, _sources, _queue, _subscriptions)
    sections = tuple(build(given, words) for build in builders)
    return Report(given.organisation, given.period, given.period.previous(), given.language, sections,
                  not_covered=(words["narratives"],))  # fmt: skip


def _section(key: str, words: dict[str, str], figures: list[Figure], table: tuple[tuple[str, ...], ...] = (),
             **extra: object) -> Section:  # fmt: skip
    values = {f.metric: _shown(f.value) for f in figures} | extra
    return Section(key, words[key], words[f"{key}_sentence"].format(**values), tuple(figures), table)


def _shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _share(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _posts(given: ReportInput, words: dict[str, str]) -> Section:
    now, before = given.current, given.previous
    return _section("posts", words, [
        Figure("posts_collected", words["posts_collected"], now.posts_collected, before.posts_collected),
        Figure("posts_checkworthy", words["posts_checkworthy"], now.posts_checkworthy, before.posts_checkworthy),
        Figure("checkworthy_share", words["checkworthy_share"], _share(now.posts_checkworthy, now.posts_collected),
               _share(before.posts_checkworthy, before.posts_collected), charted=False),
    ])  # fmt: skip


def _repeats(given: ReportInput, words: dict[str, str]) -> Section:
    now, before = given.current, given.previous
    return _section("repeats", words, [
        Figure("repeats_matched", words["repeats_matched"], now.repeats_matched, before.repeats_matched),
        Figure("repeats_confirmed", words["repeats_confirmed"], now.repeats_confirmed, before.repeats_confirmed),
    ])  # fmt: skip


def _breakdown(prefix: str, now: dict[str, int], before: dict[str, int], names: dict[str, str]) -> list[Figure]:
    keys = sorted(set(now) | set(before), key=lambda k: (-now.get(k, 0), -before.get(k, 0), k))
    return [Figure(f"{prefix}:{k}", names.get(k, k), now.get(k, 0), before.get(k, 0)) for k in keys]


def _verdicts(given: ReportInput, words: dict[str, str]) -> Section:
    now, before = given.current.published_by_verdict, given.previous.published_by_verdict
    total = Figure("published", words["published"], sum(now.values()), sum(before.values()), charted=False)
    return _section("verdicts", words, [total, *_breakdown("verdict", now, before, {})])


def _topics(given: ReportInput, words: dict[str, str]) -> Section:
    now, before = given.current.published_by_topic, given.previous.published_by_topic
    figures = _breakdown("topic", now, before, {"": words["no_topic"]})
    top = figures[0].label if figures and figures[0].value else "—"
    return _section("topics", words, figures, top=top)


def _corrections(given: ReportInput, words: dict[str, str]) -> Section:
    figure = Figure("corrections_published", words["corrections_published"], given.current.corrections,
                    given.previous.corrections)  # fmt: skip
    return _section("corrections", words, [figure])


def _delays(given: ReportInput, words: dict[str, str]) -> Section:
    now, before = given.current.delays_s, given.previous.delays_s
    return _section("delays", words, [
        Figure("median_hours", words["median_hours"], hours(median(now)), hours(median(before))),
        Figure("p90_hours", words["p90_hours"], hours(percentile(now, 0.9)), hours(percentile(before, 0.9))),
    ])  # fmt: skip


def _sources(given: ReportInput, words: dict[str, str]) -> Section:
    watched = [s for s in given.snapshot.sources if s.enabled]
    failing = sum(1 for s in watched if s.failing)
    figures = [
        Figure("sources_watched", words["sources_watched"], len(watched), None),
        Figure("sources_ok", words["sources_ok"], sum(1 for s in watched if s.last_success_at and not s.failing), None),
        Figure("sources_failing", words["sources_failing"], failing, None),
    ]
    table = tuple(
        (s.name, _when(s.last_success_at, given, words), _when(s.last_error_at, given, words), str(s.failures))
        for s in given.snapshot.sources
    )
    return _section("sources", words, figures, table)


def _when(moment: datetime | None, given: ReportInput, words: dict[str, str]) -> str:
    return format_datetime(moment, given.language, given.zone) if moment else words["never"]


def _queue(given: ReportInput, words: dict[str, str]) -> Section:
    now, before = given.current.cases_by_stage, given.previous.cases_by_stage
    total = Figure("cases_opened", words["cases_opened"], sum(now.values()), sum(before.values()), charted=False)
    stages = [Figure(f"stage:{stage}", words["published_stage" if stage == "published" else stage],
                     now.get(stage, 0), before.get(stage, 0)) for stage in QUEUE_STAGES]  # fmt: skip
    return _section("queue", words, [total, *stages])


def _subscriptions(given: ReportInput, words: dict[str, str]) -> Section:
    return _section("subscriptions", words, [
        Figure("factchecks_received", words["factchecks_received"], given.current.factchecks_received,
               given.previous.factchecks_received),
        Figure("subscriptions_count", words["subscriptions_count"], given.snapshot.subscriptions, None),
    ])  # fmt: skip

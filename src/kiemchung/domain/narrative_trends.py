"""A narrative's timeline and what the trend analytics make of it (pure: no I/O).

The timeline. Every post of the narrative at its `published` time (the pipeline's time when a post has
none), **copies included**: a copy the pipeline folded (a post stored with `copy_of`, its own id and time)
is in the narrative as a member of its own when it carries the claim, and otherwise joins the narrative of
the post it copies; either way it is one more post at its own time. An item seen again under the same id
or URL is not a post (the pipeline stores it once) and is not counted. Sources: a post's web host when it
has a URL, else the source it came through (everything a file import brings is one source).

Bursts (`bursts_for`, the default detector) are computed up to `now`, which the callers choose: the
export uses the narrative's latest post (the same file whenever it is run), the pages the clock.
`new_bursts` is the online check the pipeline runs as posts are stored: a burst whose first firing hour
is at or after the earliest hour just stored, with its evidence; the track at an hour depends on that
hour and the hours before it only, so a replayed timeline alerts exactly when a live run would have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kiemchung.domain import trends

RECENT_HOURS = 3  # a burst alert's evidence: the posts of its first hour and the hours just before it
FIRST_POSTS = 5


@dataclass(frozen=True)
class TimelinePost:
    post_id: str
    published: datetime
    source: str
    sentence: str
    folded: bool = False  # a copy in the narrative through the post it copies, not as a member itself


@dataclass(frozen=True)
class Timeline:
    narrative_id: int
    posts: tuple[TimelinePost, ...]  # by published time, then id

    def times(self) -> list[datetime]:
        return [p.published for p in self.posts]

    def latest(self) -> datetime | None:
        return self.posts[-1].published if self.posts else None

    def between(self, start: datetime, end: datetime) -> list[TimelinePost]:
        """The posts in [start, end)."""
        return [p for p in self.posts if start <= p.published < end]


def timeline_of(narrative_id: int, posts: Sequence[TimelinePost]) -> Timeline:
    return Timeline(narrative_id, tuple(sorted(posts, key=lambda p: (p.published, p.post_id))))


@dataclass(frozen=True)
class Bucket:
    """One hour or day of a timeline: its posts and distinct sources."""

    start: datetime
    posts: int
    sources: int


def buckets(timeline: Timeline, step: trends.Step, *, start: datetime, end: datetime) -> list[Bucket]:
    """Posts and distinct sources per hour or UTC day from the bucket of `start` to the bucket of `end`."""
    series = trends.count_series(timeline.times(), step, start=start, end=end)
    found: list[Bucket] = []
    for index, bucket_start in enumerate(series.starts):
        inside = timeline.between(bucket_start, series.end_of(index))
        found.append(Bucket(bucket_start, series.counts[index], len({p.source for p in inside})))
    return found


def export_bursts(timeline: Timeline) -> list[dict[str, Any]]:
    """The export contract's `bursts`: [{"start", "end", "posts"}], up to the narrative's latest post."""
    latest = timeline.latest()
    if latest is None:
        return []
    found = trends.bursts_for(timeline.times(), latest)
    return [{"start": b.start.isoformat(), "end": b.end.isoformat(), "posts": b.posts} for b in found]


@dataclass(frozen=True)
class BurstEvidence:
    """Why a burst alert was raised: the counts of its first hour and the hours before it against the
    narrative's own rate, how many sources, and its first posts."""

    narrative_id: int
    start: datetime  # the first firing hour
    hour_posts: int  # posts in that hour
    recent_posts: int  # posts in the RECENT_HOURS hours ending with it
    recent_hours: int
    baseline_per_hour: float  # the narrative's usual rate before that hour (posts per hour)
    tail_probability: float  # P(at least hour_posts in one hour at that rate)
    sources: int  # distinct sources among the recent posts
    first_posts: tuple[tuple[str, str], ...]  # (post id, sentence) of the burst's first posts

    @property
    def key(self) -> str:
        """Once per burst: the narrative and the burst's first hour."""
        return f"burst:{self.narrative_id}:{self.start.astimezone(UTC).isoformat()}"

    def as_json(self) -> dict[str, Any]:
        return {
            "narrative_id": self.narrative_id, "start": self.start.isoformat(), "hour_posts": self.hour_posts,
            "recent_posts": self.recent_posts, "recent_hours": self.recent_hours,
            "baseline_per_hour": round(self.baseline_per_hour, 4), "tail_probability": self.tail_probability,
            "sources": self.sources, "first_posts": [{"id": i, "sentence": s} for i, s in self.first_posts],
        }  # fmt: skip


def new_bursts(timeline: Timeline, since: datetime, options: trends.BurstOptions | None = None) -> list[BurstEvidence]:
    """Bursts (surprise detector, online track) whose first firing hour is at or after the hour of `since`,
    counted up to the latest post; see the module docstring."""
    settings = options or trends.BurstOptions()
    series, onsets = _onsets(timeline.times(), since, settings)
    return [_evidence(timeline, series, series.array(), i, settings) for i in onsets]


def starts_burst(times: Sequence[datetime], since: datetime) -> bool:
    """Would `new_bursts` find one? (The cheap check on the times alone, before the posts are read.)"""
    return bool(_onsets(times, since, trends.BurstOptions())[1])


def _onsets(
    times: Sequence[datetime], since: datetime, settings: trends.BurstOptions
) -> tuple[trends.CountSeries, list[int]]:
    latest = max(times, default=None)
    if latest is None or since > latest:
        return trends.CountSeries((), (), "hour"), []
    series = trends.count_series(times, "hour", end=latest)
    track = trends.surprise_track(series.array(), settings)
    first_hour = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return series, [i for i in trends.onsets(track, settings.hold_hours) if series.starts[i] >= first_hour]


def _evidence(timeline: Timeline, series: trends.CountSeries, counts: Any, hour: int,
              settings: trends.BurstOptions) -> BurstEvidence:  # fmt: skip
    shape, rate = trends.baseline(counts, settings)
    tails = trends.surprise(counts, settings)
    begin = max(0, hour - RECENT_HOURS + 1)
    recent = timeline.between(series.starts[begin], series.end_of(hour))
    first = timeline.between(series.starts[hour], series.end_of(hour))[:FIRST_POSTS]
    return BurstEvidence(
        timeline.narrative_id, series.starts[hour], int(counts[hour]), len(recent), hour - begin + 1,
        float(shape[hour] / rate[hour]), float(tails[hour]), len({p.source for p in recent}),
        tuple((p.post_id, p.sentence) for p in first),
    )  # fmt: skip


@dataclass(frozen=True)
class BurstState:
    """Where a narrative stands now: `bursting` (the online track fires in the current hour or fired within
    the hold), else the last burst in the window if any."""

    bursting: bool
    last: trends.Burst | None


def burst_state(timeline: Timeline, now: datetime, since: datetime) -> BurstState:
    found = trends.bursts_for(timeline.times(), now)
    recent = [b for b in found if b.end > since]
    hold = timedelta(hours=trends.BurstOptions().hold_hours)
    last = recent[-1] if recent else None
    return BurstState(last is not None and last.end + hold > now, last)

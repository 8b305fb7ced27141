"""The labelled Vietnamese narrative set (bench/data/narratives), written from scratch by independent
writers — not by our variant generator. docs/narratives-guidelines.md has the guidelines; docs/narratives.md
the counts and splits.

Each split file holds narratives ({"type": "narrative", "id", "pair", "topic", "label", "claims", "bursts"})
followed by their posts ({"type": "post", "id", "narrative", "claim", "kind", "lang", "source", "published",
"text", "reposts"?}). A narrative is one story: a central claim and the related claims that travel with it.
The two narratives of a topic pair share a topic but tell different stories; the set is split **by pair**,
so a narrative and its hard negative are always in the same split.

The test split is read only by the evaluation gate and the final report: `load("test")` refuses unless
`reading_test=True` is passed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

DIRECTORY = Path(__file__).parent / "data" / "narratives"
SPLITS = ("train", "dev", "test")
KINDS = ("original", "paraphrase", "social", "question", "related", "debunk", "english")


@dataclass(frozen=True)
class Burst:
    start: datetime
    end: datetime
    peak: datetime


@dataclass(frozen=True)
class Post:
    id: str
    narrative: str
    claim: str
    kind: str
    lang: str
    source: str
    published: datetime
    text: str
    repost_start: datetime | None = None
    repost_hours: tuple[int, ...] = ()

    def copies(self) -> Iterator[datetime]:
        """The times of this post's verbatim copies, spread evenly inside each hour."""
        if self.repost_start is None:
            return
        for hour, count in enumerate(self.repost_hours):
            for i in range(count):
                yield self.repost_start + timedelta(hours=hour, minutes=60 * (i + 0.5) / count)


@dataclass(frozen=True)
class Narrative:
    id: str
    pair: str
    topic: str
    label: str
    claims: dict[str, str]
    bursts: tuple[Burst, ...]
    posts: list[Post] = field(default_factory=list)


def load(split: str, *, reading_test: bool = False, directory: Path = DIRECTORY) -> list[Narrative]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    if split == "test" and not reading_test:
        raise PermissionError("the narrative test split is read only by the evaluation gate and the final report")
    return parse((directory / f"{split}.jsonl").read_text(encoding="utf-8").splitlines())


def parse(lines: Sequence[str]) -> list[Narrative]:
    narratives: dict[str, Narrative] = {}
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        if row["type"] == "narrative":
            bursts = tuple(
                Burst(*(datetime.fromisoformat(b[k]) for k in ("start", "end", "peak"))) for b in row["bursts"]
            )
            narratives[row["id"]] = Narrative(
                row["id"], row["pair"], row["topic"], row["label"], dict(row["claims"]), bursts
            )
        else:
            reposts = row.get("reposts") or {}
            narratives[row["narrative"]].posts.append(
                Post(
                    id=row["id"],
                    narrative=row["narrative"],
                    claim=row["claim"],
                    kind=row["kind"],
                    lang=row["lang"],
                    source=row["source"],
                    published=datetime.fromisoformat(row["published"]),
                    text=row["text"],
                    repost_start=datetime.fromisoformat(reposts["start"]) if reposts else None,
                    repost_hours=tuple(int(n) for n in reposts.get("hours", ())),
                )
            )
    return list(narratives.values())


def timeline(narratives: Sequence[Narrative]) -> list[Post]:
    """Every written post of the narratives in order of publication (copies are not included)."""
    return sorted((p for n in narratives for p in n.posts), key=lambda p: (p.published, p.id))


def timeline_rows(narratives: Sequence[Narrative]) -> Iterator[dict[str, object]]:
    """The rows `bench/trends.py --posts` reads: each narrative's labelled bursts, then every post and copy."""
    for narrative in narratives:
        yield {"id": narrative.id, "bursts": [{"start": b.start.isoformat(), "end": b.end.isoformat(),
                                               "peak": b.peak.isoformat()} for b in narrative.bursts]}  # fmt: skip
        for post in narrative.posts:
            yield {"narrative": narrative.id, "published": post.published.isoformat()}
            yield from ({"narrative": narrative.id, "published": t.isoformat()} for t in post.copies())


if __name__ == "__main__":  # python -m bench.narrativeset dev > timeline.jsonl  (for bench/trends.py --posts)
    import sys

    for row in timeline_rows(load(sys.argv[1] if len(sys.argv) > 1 else "dev")):
        print(json.dumps(row))

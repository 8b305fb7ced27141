"""The real-language Vietnamese matching set (bench/data/realmatch), written from scratch by independent
writers — not by our variant generator. See docs/realmatch.md for the guidelines and counts.

Each split file holds claims ({"type": "claim", ...}) and posts ({"type": "post", "claim", "kind", ...}).
Kinds and what the product must answer:

| kind | same claim? | stance | matched |
| --- | --- | --- | --- |
| paraphrase, social, translation | yes | repeats | true |
| question | yes | asks | true |
| debunk | yes | refutes | false |
| contradiction (one fact changed), same_topic | no | — | false |

The test split is read only by the evaluation gate and the final report: `load("test")` refuses unless
`reading_test=True` is passed, so no training or tuning code can read it by accident.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.datasets import Benchmark, Query, news_sentences
from kiemchung.domain.models import FactCheck, Rating
from kiemchung.matching.engine import PostMatch

DIRECTORY = Path(__file__).parent / "data" / "realmatch"
SPLITS = ("train", "dev", "test")
POSITIVE_KINDS = ("paraphrase", "social", "question", "translation")
NEGATIVE_KINDS = ("debunk", "contradiction", "same_topic")
KINDS = POSITIVE_KINDS + NEGATIVE_KINDS
EXPECTED_STANCE = {
    "paraphrase": "repeats",
    "social": "repeats",
    "translation": "repeats",
    "question": "asks",
    "debunk": "refutes",
}


@dataclass(frozen=True)
class RealClaim:
    id: str
    text: str
    title: str
    rating: str
    topic: str
    lang: str


@dataclass(frozen=True)
class RealPost:
    id: str
    claim: str
    kind: str
    lang: str
    text: str

    @property
    def same_claim(self) -> bool:
        """Whether the post is about the claim itself (repeats, asks or refutes it)."""
        return self.kind in EXPECTED_STANCE


def path_of(split: str) -> Path:
    return DIRECTORY / f"{split}.jsonl"


EXTRA = DIRECTORY / "train-extra.jsonl"


def load_extra() -> list[RealPost]:
    """More posts about the **train** claims, written later by other writers for the pair model only
    (one-fact contradictions, debunks, social repeats: docs/realmatch.md, "Extra train posts"). Built by
    scripts/build_realmatch_extra.py, which checks that every post names a train claim."""
    posts = []
    for line in EXTRA.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            posts.append(RealPost(row["id"], row["claim"], row["kind"], row["lang"], row["text"]))
    return posts


def load(split: str, *, reading_test: bool = False) -> tuple[list[RealClaim], list[RealPost]]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    if split == "test" and not reading_test:
        raise PermissionError("the real-language test split is read only by the gate and the final report")
    claims: list[RealClaim] = []
    posts: list[RealPost] = []
    for line in path_of(split).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row["type"] == "claim":
            claims.append(RealClaim(row["id"], row["text"], row["title"], row["rating"], row["topic"], row["lang"]))
        else:
            posts.append(RealPost(row["id"], row["claim"], row["kind"], row["lang"], row["text"]))
    return claims, posts


def benchmark(split: str, distractors: int = 3000, *, reading_test: bool = False, seed: int = 7) -> Benchmark:
    """The split's claims as the archive (padded with news sentences), its posts as queries.

    A query's `expected` is its claim for the kinds that must match, None for the kinds that must not;
    `about` is always the claim the post was written about (for stance and same-claim figures).
    """
    claims, posts = load(split, reading_test=reading_test)
    archive = [
        FactCheck(id=c.id, claim=c.text, rating=Rating(c.rating), summary=c.title, language=c.lang) for c in claims
    ]
    # The same news padding as the synthetic benchmark of the same role (its vectors are cached once).
    padding = news_sentences(distractors, seed=seed, offset=10_000 if split == "test" else 0)
    archive += [
        FactCheck(id=f"rm-news-{split}-{i}", claim=s, rating=Rating("Sai"), language="vi")
        for i, s in enumerate(padding)
    ]
    queries = [Query(p.id, p.text, p.claim if p.kind in POSITIVE_KINDS else None, p.kind, about=p.claim) for p in posts]
    return Benchmark(archive, queries)


def report(queries: Sequence[Query], results: Sequence[PostMatch]) -> dict[str, float]:
    """Figures per kind of post: recall at the default threshold, S@1 and stance accuracy for the kinds
    that must match; the share matched (a false alarm) for the kinds that must not."""
    out: dict[str, float] = {}
    pairs = list(zip(queries, results, strict=True))
    for kind in KINDS:
        chosen = [(q, r) for q, r in pairs if q.kind == kind]
        if not chosen:
            continue
        on_claim = [(q, r) for q, r in chosen if r.matches and r.matches[0].factcheck_id == q.about]
        out[f"S@1 {kind}"] = len(on_claim) / len(chosen)
        if kind in POSITIVE_KINDS:
            out[f"recall {kind}"] = sum(r.matched for _, r in on_claim) / len(chosen)
        else:
            out[f"matched {kind}"] = sum(r.matched for _, r in chosen) / len(chosen)
        if kind in EXPECTED_STANCE and on_claim:
            right = sum(r.matches[0].stance == EXPECTED_STANCE[kind] for _, r in on_claim)
            out[f"stance {kind}"] = right / len(on_claim)
    negatives = [r for q, r in pairs if q.kind in ("contradiction", "same_topic")]
    out["false alarms"] = sum(r.matched for r in negatives) / max(len(negatives), 1)
    return {k: round(v, 4) for k, v in out.items()}

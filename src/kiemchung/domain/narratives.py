"""Narratives: what is said, however worded, grouped online (pure: numpy, no I/O).

A claim joins a narrative when the matching engine's same-claim decision says it repeats a claim already in
one (the caller passes that narrative), or else when its vector's cosine to a narrative's centroid reaches
the granularity (an editor-tunable threshold: higher means finer narratives); otherwise it starts one.
`NarrativeIndex` keeps every narrative's centroid in one matrix, so an assignment is one matrix product.
The label of a narrative is its most central member (the one closest to the centroid). Ties are broken by
the lowest narrative id, so the same claims in the same order always give the same narratives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

ASSIGNED_BY = ("auto", "editor")
RISK_LEVELS = ("unset", "low", "medium", "high")


@dataclass(frozen=True)
class Choice:
    """Where a claim goes: `narrative_id` None means a new narrative. `reason`: same-claim | similar | new."""

    narrative_id: int | None
    similarity: float
    reason: str


LABEL_CANDIDATES = 8  # the most central members so far, re-scored as the centroid moves


@dataclass
class _Centre:
    total: np.ndarray  # the sum of the members' unit vectors
    count: int
    candidates: list[tuple[np.ndarray, str]]  # the most central first: [0] is the label


class NarrativeIndex:
    """Centroids of narratives in one float32 matrix; cosine to a centroid = (sum · v) / |sum|."""

    def __init__(self, dimension: int, granularity: float) -> None:
        self.dimension = dimension
        self.granularity = granularity
        self._centres: dict[int, _Centre] = {}
        self._ids: list[int] = []
        self._row: dict[int, int] = {}
        self._matrix = np.zeros((0, dimension), dtype=np.float32)
        self._size = 0

    def __len__(self) -> int:
        return len(self._centres)

    def __contains__(self, narrative_id: object) -> bool:
        return narrative_id in self._centres

    def choose(self, vector: np.ndarray, same_claim: int | None = None) -> Choice:
        """The narrative a claim with this unit vector belongs to (see the module docstring)."""
        if same_claim is not None and same_claim in self._centres:
            return Choice(same_claim, self.similarity(same_claim, vector), "same-claim")
        best, cosine = self.nearest(vector)
        if best is not None and cosine >= self.granularity:
            return Choice(best, cosine, "similar")
        return Choice(None, cosine, "new")

    def nearest(self, vector: np.ndarray) -> tuple[int | None, float]:
        """The narrative whose centroid is closest, and the cosine (None, 0.0 when there is none)."""
        if not self._centres:
            return None, 0.0
        scores = self._matrix[: self._size] @ np.asarray(vector, dtype=np.float32)
        row = int(np.argmax(scores))  # the first maximum: the oldest row, so the lowest id added first
        if self._ids[row] not in self._centres:
            return None, 0.0  # only removed narratives left above zero
        return self._ids[row], float(scores[row])

    def similarity(self, narrative_id: int, vector: np.ndarray) -> float:
        return float(self._matrix[self._row[narrative_id]] @ np.asarray(vector, dtype=np.float32))

    def add(self, narrative_id: int, vector: np.ndarray, text: str) -> None:
        """A member joins (or founds) the narrative; the label moves to it if it is now the most central."""
        vector = np.asarray(vector, dtype=np.float32)
        centre = self._centres.get(narrative_id)
        if centre is None:
            self._centres[narrative_id] = _Centre(vector.copy(), 1, [(vector, text)])
            self._place(narrative_id, vector)
            return
        centre.total = centre.total + vector
        centre.count += 1
        unit = _unit(centre.total)
        self._matrix[self._row[narrative_id]] = unit
        pool = [*centre.candidates, (vector, text)]
        scored = [(-round(float(v @ unit), 6), n, v, t) for n, (v, t) in enumerate(pool)]
        centre.candidates = [(v, t) for _, _, v, t in sorted(scored, key=lambda s: s[:2])[:LABEL_CANDIDATES]]

    def remove(self, narrative_id: int) -> None:
        """Forget a narrative (merged into another, or emptied); its row no longer matches anything."""
        if self._centres.pop(narrative_id, None) is not None:
            self._matrix[self._row[narrative_id]] = 0.0

    def label(self, narrative_id: int) -> str:
        return self._centres[narrative_id].candidates[0][1]

    def count(self, narrative_id: int) -> int:
        return self._centres[narrative_id].count

    def _place(self, narrative_id: int, vector: np.ndarray) -> None:
        row = self._row.get(narrative_id)
        if row is None:
            if self._size == len(self._matrix):
                grown = np.zeros((max(64, 2 * len(self._matrix)), self.dimension), dtype=np.float32)
                grown[: self._size] = self._matrix[: self._size]
                self._matrix = grown
            row, self._size = self._size, self._size + 1
            self._row[narrative_id] = row
            self._ids.append(narrative_id)
        self._matrix[row] = _unit(vector)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm > 0 else vector).astype(np.float32)


def most_central(vectors: np.ndarray) -> int:
    """The row closest to the rows' centroid (the first on a tie): a narrative's label."""
    if len(vectors) == 0:
        raise ValueError("no vectors")
    scores = vectors @ _unit(vectors.sum(axis=0))
    return int(np.argmax(scores))


@dataclass(frozen=True)
class Claim:
    """One claim to group: `key` names its member (a post or a fact-check), `vector` is unit length."""

    key: str
    text: str
    vector: np.ndarray = field(compare=False, repr=False)
    same_claim: int | None = None  # a narrative the same-claim decision puts it in


def group(
    claims: Iterable[Claim], granularity: float, dimension: int, fixed: Sequence[tuple[int, Sequence[Claim]]] = ()
) -> tuple[dict[str, int], NarrativeIndex]:
    """Group claims in order (oldest first): key → narrative id. `fixed` narratives (those an editor touched)
    keep their id and members and are seeded first; new narratives get ids above every fixed one, counted
    from 1. Returns the assignment and the index it built."""
    index = NarrativeIndex(dimension, granularity)
    assignment: dict[str, int] = {}
    for narrative_id, members in fixed:
        for claim in members:
            index.add(narrative_id, claim.vector, claim.text)
            assignment[claim.key] = narrative_id
    next_id = max((narrative_id for narrative_id, _ in fixed), default=0) + 1
    for claim in claims:
        if claim.key in assignment:
            continue
        choice = index.choose(claim.vector, claim.same_claim)
        narrative_id = choice.narrative_id if choice.narrative_id is not None else next_id
        next_id += choice.narrative_id is None
        index.add(narrative_id, claim.vector, claim.text)
        assignment[claim.key] = narrative_id
    return assignment, index


def keep_numbers(previous: dict[str, int], grouped: dict[str, int], taken: Iterable[int] = ()) -> dict[int, int]:
    """Map each new group to an old narrative id it mostly came from (greedily: the largest overlaps first,
    each old id used once, never one in `taken`), so re-clustering renumbers as little as it can."""
    overlaps: dict[tuple[int, int], int] = {}
    for key, new in grouped.items():
        old = previous.get(key)
        if old is not None:
            overlaps[(new, old)] = overlaps.get((new, old), 0) + 1
    used = set(taken)
    mapping: dict[int, int] = {}
    for (new, old), _count in sorted(overlaps.items(), key=lambda item: (-item[1], item[0])):
        if new not in mapping and old not in used:
            mapping[new] = old
            used.add(old)
    return mapping


@dataclass(frozen=True)
class Narrative:
    """A stored narrative, as the store reads it."""

    id: int
    organisation_id: int | None
    label: str
    label_locked: bool
    risk_level: str
    pinned_factcheck_id: str | None
    created_at: datetime
    updated_at: datetime
    first_seen: datetime | None
    last_seen: datetime | None
    editor_touched: bool = False
    posts: int = 0
    factchecks: int = 0


@dataclass(frozen=True)
class Member:
    narrative_id: int
    post_id: str | None
    factcheck_id: str | None
    sentence: str
    published: datetime | None
    assigned_by: str = "auto"
    source: str | None = None
    language: str | None = None


CLAIM_SENTENCES = 3  # a post's claim: its most check-worthy sentences (in text order), at most this many


def post_claim(sentences: Sequence[tuple[int, str, float]], threshold: float) -> str | None:
    """The claim a post is grouped by: its check-worthy sentences (position, text, score) at or above the
    threshold, the CLAIM_SENTENCES best, in text order; None for a post about nothing in particular."""
    worthy = sorted((s for s in sentences if s[2] >= threshold), key=lambda s: (-s[2], s[0]))[:CLAIM_SENTENCES]
    return " ".join(text for _, text, _ in sorted(worthy)) or None

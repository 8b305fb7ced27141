"""Re-grouping narratives in one batch: average-linkage clustering of the claims' words (pure: numpy, scipy).

The online assignment (`domain/narratives.py`) places one claim at a time by its dense vector; it cannot
revisit an early choice, and dense cosines of same-topic Vietnamese news are compressed. Re-grouping sees
every claim at once: each claim becomes a TF-IDF vector of its words and word pairs *without diacritics*
(so "tốt nghiệp" typed "tot nghiep" counts), weighted by the claims' own document frequencies, and claims are
joined by average linkage (a group's claims are, on average, this close to each other's) up to a cosine
distance. On the labelled narrative set's dev split this gave B³ F1 0.78 against 0.50 for the online
grouping (docs/narratives.md); the distance was chosen there.

Narratives an editor touched keep their members; a new group whose claims are on average within the
distance of a touched narrative's members joins it. Exact linkage needs n² memory, so `MAX_CLAIMS` bounds
it; above it the caller keeps the online grouping and says so.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from kiemchung.text.analysis import analyse

DISTANCE = 0.94  # average cosine distance at which groups stop joining (chosen on the dev split)
MAX_CLAIMS = 6_000  # exact linkage keeps n (n - 1) / 2 distances in memory: 18 M here, about 140 MB


def claim_terms(text: str) -> list[str]:
    """Words (two letters or more) and word pairs, without diacritics."""
    folded = analyse(text).folded
    return [w for w in folded if len(w) > 1] + [f"{a}_{b}" for a, b in zip(folded, folded[1:], strict=False)]


def term_vectors(texts: Sequence[str]) -> np.ndarray:
    """Unit TF-IDF rows (sublinear term frequency, idf from these texts), one per text."""
    counted = [Counter(claim_terms(text)) for text in texts]
    frequency: Counter[str] = Counter()
    for terms in counted:
        frequency.update(terms.keys())
    columns = {term: i for i, term in enumerate(sorted(frequency))}
    rows = np.zeros((len(texts), len(columns)), dtype=np.float32)
    for row, terms in enumerate(counted):
        for term, n in terms.items():
            rows[row, columns[term]] = (1 + math.log(n)) * math.log(len(texts) / frequency[term])
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


def regroup(
    texts: Sequence[str], fixed: Sequence[int | None], distance: float = DISTANCE
) -> list[tuple[int | None, int]]:
    """Per claim: (the touched narrative it belongs to or joins, or None; its group number, from 1 in the
    order of each group's first claim). Claims of one touched narrative share a group number."""
    if len(texts) != len(fixed):
        raise ValueError("one fixed entry per text")
    if not texts:
        return []
    if len(texts) > MAX_CLAIMS:
        raise ValueError(f"more than {MAX_CLAIMS} claims: regroup them online")
    vectors = term_vectors(texts)
    free = [i for i, narrative in enumerate(fixed) if narrative is None]
    cluster_of = dict(zip(free, _linkage_clusters(vectors[free], distance) if free else [], strict=True))
    touched: dict[int, list[int]] = {}
    for i, narrative in enumerate(fixed):
        if narrative is not None:
            touched.setdefault(narrative, []).append(i)
    members: dict[int, list[int]] = {}
    for i, cluster in cluster_of.items():
        members.setdefault(cluster, []).append(i)
    joins = {cluster: _closest_touched(vectors, claims, touched, distance) for cluster, claims in members.items()}
    group_of: dict[tuple[str, int], int] = {}
    answer: list[tuple[int | None, int]] = []
    for i, narrative in enumerate(fixed):
        if narrative is None:
            narrative = joins[cluster_of[i]]
        key = ("touched", narrative) if narrative is not None else ("free", cluster_of[i])
        group_of.setdefault(key, len(group_of) + 1)
        answer.append((narrative, group_of[key]))
    return answer


def _linkage_clusters(vectors: np.ndarray, distance: float) -> list[int]:
    if len(vectors) == 1:
        return [1]
    distances = np.clip(1.0 - vectors @ vectors.T, 0.0, None)
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), method="average")
    return [int(c) for c in fcluster(tree, distance, criterion="distance")]


def _closest_touched(
    vectors: np.ndarray, members: Sequence[int], touched: dict[int, list[int]], distance: float
) -> int | None:
    """The touched narrative whose members are on average within `distance` of these claims, the closest."""
    best, best_distance = None, distance
    for narrative, theirs in sorted(touched.items()):
        average = float(1.0 - (vectors[list(members)] @ vectors[theirs].T).mean())
        if average <= best_distance:
            best, best_distance = narrative, average
    return best

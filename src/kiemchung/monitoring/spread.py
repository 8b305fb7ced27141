"""A new claim spreading: the same check-worthy sentence (reworded or spun) in N sources within T minutes.

Sentences are compared by their spin-proof shingles (text.fingerprint, all shingles of 3 tokens, not sampled:
sentences are short); two sentences are the same claim when half of the smaller one's shingles are shared.
The window forgets what is older than T.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kiemchung.text.fingerprint import GAP, copy_tokens, stable_hash
from kiemchung.text.spinning import SpinTable

SENTENCE_SHINGLE = 3
SAME_CLAIM = 0.5


def sentence_hashes(sentence: str, table: SpinTable | None = None) -> frozenset[int]:
    words = copy_tokens(sentence, table)
    out = set()
    for start in range(max(0, len(words) - SENTENCE_SHINGLE + 1)):
        window = words[start : start + SENTENCE_SHINGLE]
        if sum(1 for w in window if w != GAP) >= 2:
            out.add(stable_hash(" ".join(window)))
    return frozenset(out)


@dataclass
class _Cluster:
    key: str  # stable: the first sentence's post id and position
    sentence: str
    post_id: str
    sightings: deque[tuple[datetime, int]] = field(default_factory=deque)  # (when, source id)
    alerted: bool = False


@dataclass(frozen=True)
class Spreading:
    key: str
    sentence: str
    post_id: str
    source_count: int


class SpreadWindow:
    def __init__(self, min_sources: int, window: timedelta, table: SpinTable | None = None) -> None:
        self.min_sources = min_sources
        self.window = window
        self.table = table
        self._clusters: dict[str, _Cluster] = {}
        self._hashes: dict[str, frozenset[int]] = {}
        self._postings: dict[int, set[str]] = {}
        self._order: deque[tuple[datetime, str]] = deque()

    def observe(self, when: datetime, source_id: int, post_id: str, position: int, sentence: str) -> Spreading | None:
        """Record one sighting; the cluster's Spreading when it has just reached min_sources sources."""
        self._expire(when)
        hashes = sentence_hashes(sentence, self.table)
        if len(hashes) < 2:
            return None
        cluster = self._find(hashes)
        if cluster is None:
            key = f"{post_id}#{position}"
            cluster = _Cluster(key, sentence, post_id)
            self._clusters[key] = cluster
            self._hashes[key] = hashes
            for value in hashes:
                self._postings.setdefault(value, set()).add(key)
            self._order.append((when, key))
        cluster.sightings.append((when, source_id))
        sources = {s for t, s in cluster.sightings if t >= when - self.window}
        if len(sources) >= self.min_sources and not cluster.alerted:
            cluster.alerted = True
            return Spreading(cluster.key, cluster.sentence, cluster.post_id, len(sources))
        return None

    def _find(self, hashes: frozenset[int]) -> _Cluster | None:
        counts: dict[str, int] = {}
        for value in hashes:
            for key in self._postings.get(value, ()):
                counts[key] = counts.get(key, 0) + 1
        best, best_share = None, 0.0
        for key, count in counts.items():
            share = count / min(len(hashes), len(self._hashes[key]))
            if share >= SAME_CLAIM and share > best_share:
                best, best_share = key, share
        return self._clusters[best] if best else None

    def _expire(self, now: datetime) -> None:
        while self._order and self._order[0][0] < now - self.window:
            _, key = self._order.popleft()
            cluster = self._clusters.get(key)
            if cluster and cluster.sightings and cluster.sightings[-1][0] >= now - self.window:
                self._order.append((cluster.sightings[-1][0], key))  # still active: look again later
                continue
            self._clusters.pop(key, None)
            for value in self._hashes.pop(key, frozenset()):
                holders = self._postings.get(value)
                if holders:
                    holders.discard(key)
                    if not holders:
                        del self._postings[value]

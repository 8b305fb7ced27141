"""Which earlier post does a new one copy? An in-memory inverted index over sampled shingles.

The index maps each sampled shingle hash to the posts that hold it. A new post's candidates are the posts
sharing the most hashes; the best is a copy when the containment (shared / smaller fingerprint) reaches
the threshold and enough hashes are shared to be more than chance — or when whole passages are shared
(PASSAGE_SHARED hashes, PASSAGE_SHARE of the new post). Hashes held by very many posts (site boilerplate,
stock phrases) are ignored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from kiemchung.text.fingerprint import Fingerprint, containment

COPY_THRESHOLD = 0.5
MIN_SHARED = 2
COMMON_POSTINGS = 200
# A page that copies a few passages of a longer article amid other text (navigation, "Xem thêm" links, a
# second source) holds only part of it: enough shared shingles, making up a fair share of the page, are
# a copy even when the containment of the smaller text is below the threshold.
PASSAGE_SHARED = 10
PASSAGE_SHARE = 0.2


@dataclass(frozen=True)
class CopyMatch:
    post_id: str
    similarity: float
    shared: int


class CopyIndex:
    def __init__(self, threshold: float = COPY_THRESHOLD, min_shared: int = MIN_SHARED) -> None:
        self.threshold = threshold
        self.min_shared = min_shared
        self._postings: dict[int, list[int]] = {}
        self._ids: list[str] = []
        self._sizes: list[int] = []

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, post_id: str, fingerprint: Fingerprint) -> None:
        number = len(self._ids)
        self._ids.append(post_id)
        self._sizes.append(len(fingerprint))
        for value in fingerprint.hashes:
            self._postings.setdefault(value, []).append(number)

    def best(self, fingerprint: Fingerprint) -> CopyMatch | None:
        """The earlier post this one copies most, if it is a copy."""
        shared: Counter[int] = Counter()
        for value in fingerprint.hashes:
            holders = self._postings.get(value)
            if holders and len(holders) <= COMMON_POSTINGS:
                shared.update(holders)
        best: CopyMatch | None = None
        for number, count in shared.most_common(20):
            if count < self.min_shared:
                break
            similarity = round(containment(count, len(fingerprint), self._sizes[number]), 4)
            passage = count >= PASSAGE_SHARED and count >= PASSAGE_SHARE * len(fingerprint)
            if similarity < self.threshold and not passage:
                continue
            if best is None or (similarity, count) > (best.similarity, best.shared):
                best = CopyMatch(self._ids[number], similarity, count)
        return best

"""Every split that training, calibration, the benchmarks and the gate use, defined once.

- Real-language matching set (`bench/data/realmatch/`): split **by claim** — near-duplicate claims (two
  writers who happened to write about the same thing) are grouped first, so a group never straddles two
  splits. Train 50 %, dev 20 %, test 30 %, by a hash of the group's first claim id.
- Narrative set (`bench/data/narratives/`): split **by topic pair** (a narrative and the same-topic
  narrative that tells another story stay together; pairs whose claims overlap are grouped first), train
  30 %, dev 30 %, test 40 % (grouping has one tunable, the granularity: most of the set goes to measuring).
- ViFactCheck dev (synthetic variants and evidence pairs): split **by source article** into a part that
  fits the decision and a part that calibrates its thresholds.
- ViFactCheck test: reporting only. Disjointness from ViFactCheck dev is asserted at article level.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

REAL_SPLITS = (("train", 0.5), ("dev", 0.7), ("test", 1.0))


def bucket(key: str, salt: str) -> float:
    """A stable number in [0, 1) for a key."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def real_split(group_key: str) -> str:
    value = bucket(group_key, "realmatch-v1")
    return next(name for name, upper in REAL_SPLITS if value < upper)


NARRATIVE_SPLITS = (("train", 0.3), ("dev", 0.6), ("test", 1.0))  # little to train: most goes to measuring


def narrative_split(group_key: str) -> str:
    """The narrative set's split of a topic pair (its two narratives stay together)."""
    value = bucket(group_key, "narratives-v1")
    return next(name for name, upper in NARRATIVE_SPLITS if value < upper)


def vifactcheck_dev_part(url: str) -> str:
    """ "fit" (two thirds of the source articles) or "calibrate" (one third)."""
    return "calibrate" if bucket(url, "vifactcheck-dev-v1") < 1 / 3 else "fit"


def _shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = [w.strip(".,;:!?\"'()").lower() for w in text.split()]
    return {tuple(words[i : i + n]) for i in range(max(len(words) - n + 1, 1))}


def claim_groups(claims: Sequence[tuple[str, str]], overlap: float = 0.35) -> dict[str, str]:
    """claim id → group key: claims whose word trigrams overlap by at least `overlap` (Jaccard) share a group."""
    parent = {claim_id: claim_id for claim_id, _ in claims}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    shingles = [(claim_id, _shingles(text)) for claim_id, text in claims]
    for i, (a, sa) in enumerate(shingles):
        for b, sb in shingles[i + 1 :]:
            if sa and sb and len(sa & sb) / len(sa | sb) >= overlap:
                parent[root(b)] = root(a)
    return {claim_id: min(c for c in parent if root(c) == root(claim_id)) for claim_id in parent}


def assert_disjoint(named: dict[str, Iterable[str]]) -> None:
    """Raise when any key (claim id, article URL, text) belongs to two splits."""
    seen: dict[str, str] = {}
    for split, keys in named.items():
        for key in keys:
            if key in seen and seen[key] != split:
                raise AssertionError(f"{key!r} is in both {seen[key]} and {split}")
            seen[key] = split


def evidence_halves(urls: Iterable[str]) -> dict[str, int]:
    """ViFactCheck dev's two halves by article for evidence work (the matching evidence benchmark's and the
    evidence assistant's): the articles sorted by URL and alternated; 0 trains, 1 is held out."""
    return {url: number % 2 for number, url in enumerate(sorted(set(urls)))}

"""Fingerprints for copy detection that survive synonym spinning.

A spinner swaps words that appear in its synonym tables and leaves every other word where it was. So
every phrase the tables know is replaced by one placeholder ("_", runs collapsed) and only the rest — names,
numbers, function words, the words no table offers a swap for — is kept, folded (no diacritics). Shingles
of SHINGLE consecutive tokens over that sequence are the same in the original and in its spun copies.

Shingles are hashed (stable 64-bit) and sampled (hash % SAMPLE == 0): the sample of a passage is the same
whichever page carries it, so the share of one text's sample found in another's estimates containment —
how much of the smaller text the larger one holds — without storing every shingle.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiemchung.text.normalize import fold_diacritics, tokens
from kiemchung.text.spinning import MAX_PHRASE, SpinTable, default_spin_table

SHINGLE = 5
SAMPLE = 2
MIN_WORDS_IN_SHINGLE = 2  # a shingle of placeholders and one word says nothing
GAP = "_"


def copy_tokens(text: str, table: SpinTable | None = None) -> list[str]:
    """The tokens of `text` with every spinnable phrase replaced by GAP (longest phrase first)."""
    table = table or default_spin_table()
    syllables = tokens(text)
    out: list[str] = []
    i = 0
    while i < len(syllables):
        length = _longest_phrase(table, syllables, i)
        if length:
            if not out or out[-1] != GAP:
                out.append(GAP)
            i += length
        else:
            out.append(fold_diacritics(syllables[i]))
            i += 1
    return out


def _longest_phrase(table: SpinTable, syllables: Sequence[str], start: int) -> int:
    for length in range(min(MAX_PHRASE, len(syllables) - start), 0, -1):
        if tuple(syllables[start : start + length]) in table.groups:
            return length
    return 0


def stable_hash(value: str) -> int:
    """A signed 64-bit hash that is the same in every process (Python's hash() is salted)."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def shingle_hashes(words: Sequence[str]) -> set[int]:
    hashes = set()
    for start in range(max(0, len(words) - SHINGLE + 1)):
        window = words[start : start + SHINGLE]
        if sum(1 for w in window if w != GAP) >= MIN_WORDS_IN_SHINGLE:
            hashes.add(stable_hash(" ".join(window)))
    return hashes


@dataclass(frozen=True)
class Fingerprint:
    hashes: frozenset[int]

    def __len__(self) -> int:
        return len(self.hashes)

    def to_bytes(self) -> bytes:
        return array("q", sorted(self.hashes)).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        values = array("q")
        values.frombytes(data)
        return cls(frozenset(values))


def fingerprint(text: str, table: SpinTable | None = None) -> Fingerprint:
    sampled = {h for h in shingle_hashes(copy_tokens(text, table)) if h % SAMPLE == 0}
    return Fingerprint(frozenset(sampled))


def containment(shared: int, size_a: int, size_b: int) -> float:
    """Share of the smaller fingerprint found in the other: 1.0 when one text holds all of the other."""
    smaller = min(size_a, size_b)
    return shared / smaller if smaller else 0.0


def overlap(a: Fingerprint, b: Fingerprint) -> int:
    return len(a.hashes & b.hashes)


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    return containment(overlap(a, b), len(a), len(b))


def merge(fingerprints: Iterable[Fingerprint]) -> Fingerprint:
    return Fingerprint(frozenset().union(*(f.hashes for f in fingerprints)))

"""Reversal of synonym spinning.

Content farms disguise copied text by swapping words for members of the same synonym group
(sân bay → trường bay, tư → tứ). Every phrase of every group is mapped back to its group(s): two texts
that differ only by spinning share the same group features.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from kiemchung.text.normalize import tokens

SPIN_GROUPS_FILE = Path(__file__).parent / "data" / "spin_synonym_groups.jsonl.gz"
MAX_PHRASE = 4


class SpinTable:
    """phrase (tuple of normalised syllables) → ids of the synonym groups it belongs to."""

    def __init__(self, groups: Iterable[Sequence[str]]) -> None:
        self.groups: dict[tuple[str, ...], tuple[int, ...]] = {}
        members: dict[tuple[str, ...], set[int]] = {}
        for group_id, words in enumerate(groups):
            for word in words:
                phrase = tuple(tokens(word))
                if 0 < len(phrase) <= MAX_PHRASE:
                    members.setdefault(phrase, set()).add(group_id)
        self.groups = {phrase: tuple(sorted(ids)) for phrase, ids in members.items()}
        self._members: dict[int, list[tuple[str, ...]]] = {}
        for phrase, ids in self.groups.items():
            for group_id in ids:
                self._members.setdefault(group_id, []).append(phrase)

    def members(self, group_id: int) -> list[tuple[str, ...]]:
        """The phrases of one group."""
        return self._members.get(group_id, [])

    def group_spans(self, syllables: Sequence[str]) -> list[tuple[int, int, tuple[int, ...]]]:
        """(start, end, group ids) of every group phrase in the text, overlapping ones too.

        Overlaps matter: "tư tưởng" is a phrase of one group and "tư" a member of another (bốn/tư/tứ), and
        a spinner may have used either to produce "tứ tưởng".
        """
        spans = []
        for start in range(len(syllables)):
            for length in range(1, min(MAX_PHRASE, len(syllables) - start) + 1):
                ids = self.groups.get(tuple(syllables[start : start + length]))
                if ids:
                    spans.append((start, start + length, ids))
        return spans

    def group_ids(self, syllables: Sequence[str]) -> set[int]:
        return {g for _start, _end, ids in self.group_spans(syllables) for g in ids}


def load_groups(path: Path = SPIN_GROUPS_FILE) -> list[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line)["words"] for line in handle if line.strip()]


@lru_cache(maxsize=1)
def default_spin_table() -> SpinTable:
    """The spinner's own tables, shipped with the package (MIT, see data/SOURCE.md)."""
    return SpinTable(load_groups())

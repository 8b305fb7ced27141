"""Retro-matching's cheap first stage: which stored posts deserve the live decision.

A post is proposed when its words carry at least `min_share` of the claim's word weight, and it holds some of
the claim's neighbouring word pairs (MIN_PAIR_SHARE of their weight: scattered common words are not a
repeat), words compared
folded (without diacritics, so "uong nuoc chanh" finds "uống nước chanh") and with shorthand expanded
(text/normalize.py: `tokens`). A word weighs its rarity (the caller's idf: function words weigh next to
nothing), so a news sentence sharing "của, là, các, được" with a claim is not proposed. Reworded repeats keep
most of a claim's rare words; the few posts proposed are then judged by the live engine, which alone decides
(services/retro.py). Translations share no words: this stage does not find them (bench/retro.py).

Tokenising every stored sentence would cost most of a scan, so a gate runs first: the claim's words looked
for (one regular expression) as whole words of the lower-cased, folded text. A word found as a token is
always found so, a word shorthand stands for is also found by its shorthand, and numbers (written many ways)
count as found: the gate never turns away a post the exact comparison would propose.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kiemchung.text.normalize import SHORTHAND, fold_diacritics, tokens

MIN_SHARE = 0.3  # of the claim's word weight (bench/retro.py measures the recall it keeps)
MIN_PAIR_SHARE = 0.05  # of the weight of the claim's word pairs: a news text sharing only scattered words is not
MIN_WORDS = 2  # a post sharing fewer of the claim's words is never proposed


def _quick_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        folded = fold_diacritics(chr(code)).lower()
        if folded != chr(code):
            table[code] = folded
    table.update({code: None for code in range(0x300, 0x370)})  # combining marks of a decomposed text
    table[ord("y")] = "i"  # kỹ/kĩ compare equal in tokens (_canonical_i): the gate must not tell them apart
    return table


_QUICK_FOLD = _quick_fold_table()
_SHORTHAND_FOR: dict[str, set[str]] = {}  # a folded word → the shorthand tokens whose expansion holds it
for _short, _expansion in SHORTHAND.items():
    for _word in fold_diacritics(_expansion).split():
        _SHORTHAND_FOR.setdefault(_word, set()).add(_short)


def quick_fold(text: str) -> str:
    """Lower-cased, without diacritics, y as i: what the gate searches."""
    return text.lower().translate(_QUICK_FOLD)


def folded_words(text: str) -> frozenset[str]:
    """The distinct matching tokens of a text, folded."""
    return frozenset(fold_diacritics(" ".join(tokens(text))).split())


def folded_pairs(text: str) -> frozenset[tuple[str, str]]:
    """The distinct pairs of neighbouring matching tokens of a text, folded."""
    words = fold_diacritics(" ".join(tokens(text))).split()
    return frozenset(zip(words, words[1:], strict=False))


@dataclass(frozen=True)
class FirstStage:
    weights: dict[str, float]  # the claim's folded words and their weights
    min_share: float = MIN_SHARE
    claim_pairs: frozenset[tuple[str, str]] = frozenset()
    _pairs: dict[tuple[str, str], float] = field(init=False, repr=False, compare=False)
    _gate: dict[str, float] = field(init=False, repr=False, compare=False)  # quick-folded word → weight
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _always: float = field(init=False, repr=False, compare=False)  # the weight of words the gate counts as found

    def __post_init__(self) -> None:
        always = [w for w in self.weights if not w.isalpha()]  # numbers: "1.000", "1000" and "1k" are alike
        gate: dict[str, float] = {}
        for word in (w for w in self.weights if w not in always):
            for form in {word} | _SHORTHAND_FOR.get(word, set()):  # "ko" stands for "không"
                gate[quick_fold(form)] = gate.get(quick_fold(form), 0.0) + self.weights[word]
        words = "|".join(sorted(map(re.escape, gate), key=len, reverse=True)) or "(?!)"
        object.__setattr__(self, "_gate", gate)
        object.__setattr__(self, "_pattern", re.compile(rf"(?<![^\W\d_])(?:{words})(?![^\W\d_])"))
        object.__setattr__(self, "_always", sum(self.weights[w] for w in always))
        pairs = {(a, b): self.weights.get(a, 0.0) + self.weights.get(b, 0.0) for a, b in self.claim_pairs}
        object.__setattr__(self, "_pairs", pairs)

    @classmethod
    def of(cls, claim: str, weight_of: Callable[[str], float] = lambda _word: 1.0, min_share: float = MIN_SHARE
           ) -> FirstStage:  # fmt: skip
        weights = {word: max(weight_of(word), 0.0) for word in folded_words(claim)}
        return cls(weights, min_share, folded_pairs(claim))

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def share(self, text: str) -> float:
        """The share of the claim's word weight the text holds."""
        total = self.total
        if total <= 0:
            return 0.0
        return sum(self.weights[w] for w in folded_words(text) if w in self.weights) / total

    def proposes(self, text: str) -> bool:
        needed = self.min_share * self.total
        if needed <= 0 or not self._passes_gate(text, needed):
            return False
        shared = [w for w in folded_words(text) if w in self.weights]
        if len(shared) < min(MIN_WORDS, len(self.weights)) or sum(self.weights[w] for w in shared) < needed:
            return False
        return self.pair_share(text) >= MIN_PAIR_SHARE or len(self.pairs) == 0

    @property
    def pairs(self) -> dict[tuple[str, str], float]:
        """The claim's word pairs, each weighing its two words."""
        return self._pairs

    def pair_share(self, text: str) -> float:
        """The share of the claim's word-pair weight the text holds."""
        total = sum(self._pairs.values())
        if total <= 0:
            return 1.0
        return sum(self._pairs[p] for p in folded_pairs(text) if p in self._pairs) / total

    def _passes_gate(self, text: str, needed: float) -> bool:
        """The claim's words found as whole words of the quick-folded text carry the weight needed."""
        found = set(self._pattern.findall(quick_fold(text)))
        return self._always + sum(self._gate[w] for w in found) >= needed

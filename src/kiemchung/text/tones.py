"""Canonical tone-mark placement for Vietnamese syllables (the style most Vietnamese newsrooms use: hòa, khỏe, thủy).

Old-style and new-style spellings of one syllable (hoà / hòa, thuỷ / thủy) must compare equal, so every
syllable is rewritten with its tone on the vowel that the modern orthography chooses.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VOWELS = frozenset("aăâeêioôơuưy")
_QUALITY_VOWELS = frozenset("ăâêôơư")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _split_tone(char: str) -> tuple[str, str]:
    decomposed = unicodedata.normalize("NFD", char)
    tone = "".join(c for c in decomposed if c in TONE_MARKS)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    return base, tone


def _vowel_span(bases: list[str]) -> tuple[int, int] | None:
    lower = [b.lower() for b in bases]
    start = next((i for i, b in enumerate(lower) if b in _VOWELS), None)
    if start is None:
        return None
    if start > 0 and lower[start - 1] == "q" and lower[start] == "u":
        start += 1
    elif start > 0 and lower[start - 1 : start + 1] == ["g", "i"] and set(lower[start + 1 : start + 2]) & _VOWELS:
        start += 1  # "gi" before a vowel is a consonant
    end = start
    while end < len(lower) and lower[end] in _VOWELS:
        end += 1
    if end == start:
        return None
    return start, end


def _tone_position(bases: list[str], span: tuple[int, int]) -> int:
    start, end = span
    vowels = [b.lower() for b in bases[start:end]]
    marked = [i for i, v in enumerate(vowels) if v in _QUALITY_VOWELS]
    if marked:
        return start + marked[-1]
    if len(vowels) == 1:
        return start
    if end < len(bases):  # closed syllable: tone on the last vowel (hoàn, toán)
        return end - 1
    if len(vowels) == 2:  # open syllable: hòa, khỏe, thủy, mái, múa
        return start
    return start + 1


@lru_cache(maxsize=200_000)
def canonical_syllable(word: str) -> str:
    """Move the tone mark of one syllable to its canonical vowel; other words pass unchanged."""
    pairs = [_split_tone(c) for c in word]
    tones = [t for _, t in pairs if t]
    if len(tones) != 1 or len(word) > 7:
        return word
    bases = [b for b, _ in pairs]
    span = _vowel_span(bases)
    if span is None:
        return word
    position = _tone_position(bases, span)
    bases[position] = unicodedata.normalize("NFC", bases[position] + tones[0])
    return "".join(bases)


def canonical_tones(text: str) -> str:
    """NFC and canonical tone placement for every syllable of a text."""
    text = unicodedata.normalize("NFC", text)
    return _WORD.sub(lambda m: canonical_syllable(m.group(0)), text)

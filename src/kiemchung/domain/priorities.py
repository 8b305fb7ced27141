"""Case priorities: stored as the numbers 0–3, shown to people and typed in forms as words.

0 low (thấp), 1 normal (bình thường), 2 high (cao), 3 urgent (khẩn cấp). The stored number is what sorts the
queue; every place a person reads or writes a priority uses the word of their language, and a form accepts
the word in either language (or the number, for old links and scripts)."""

from __future__ import annotations

import unicodedata

from kiemchung.errors import InputError

PRIORITY_NAMES = ("low", "normal", "high", "urgent")  # the index is the stored value
PRIORITY_WORDS = {
    "vi": ("thấp", "bình thường", "cao", "khẩn cấp"),
    "en": PRIORITY_NAMES,
}
_BY_WORD = {word: value for words in PRIORITY_WORDS.values() for value, word in enumerate(words)}


def priority_name(value: int, language: str = "en") -> str:
    """The word for a stored priority in `language` (English for any other)."""
    words = PRIORITY_WORDS.get(language, PRIORITY_NAMES)
    return words[value] if 0 <= value < len(words) else str(value)


def parse_priority(text: str | None) -> int | None:
    """The stored value of a priority typed as a word (either language) or a number; None when blank."""
    cleaned = unicodedata.normalize("NFC", (text or "").strip()).casefold()
    if not cleaned:
        return None
    if cleaned.isascii() and cleaned.isdigit() and int(cleaned) < len(PRIORITY_NAMES):
        return int(cleaned)
    if cleaned in _BY_WORD:
        return _BY_WORD[cleaned]
    raise InputError(f"priority must be one of {', '.join(PRIORITY_NAMES)} ({', '.join(PRIORITY_WORDS['vi'])})")

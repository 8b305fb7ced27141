"""A small language guess (Vietnamese or English): enough to pick a calibrated decision model."""

from __future__ import annotations

import re

_VIETNAMESE_LETTERS = re.compile("[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)
# Common English words that are not also Vietnamese syllables typed without diacritics.
_ENGLISH_WORDS = frozenset(
    [
        "the",
        "is",
        "are",
        "was",
        "were",
        "of",
        "and",
        "that",
        "this",
        "it",
        "for",
        "with",
        "be",
        "has",
        "have",
        "will",
        "from",
        "by",
        "not",
        "but",
        "what",
        "which",
        "who",
        "their",
        "they",
        "there",
        "been",
        "would",
        "can",
        "said",
        "says",
        "about",
        "after",
        "into",
        "more",
        "than",
        "over",
    ]
)


def guess_language(text: str) -> str:
    """ "vi" or "en"."""
    if _VIETNAMESE_LETTERS.search(text):
        return "vi"
    words = re.findall(r"[a-z]+", text.lower())
    english = sum(1 for w in words if w in _ENGLISH_WORDS)
    return "en" if words and english / len(words) >= 0.1 else "vi"


def language_code(value: str | None) -> str | None:
    """ "vi", "en" or None from a stored language tag such as "vi-VN" or "English"."""
    if not value:
        return None
    value = value.strip().lower()
    if value.startswith(("vi", "vn")):
        return "vi"
    if value.startswith("en"):
        return "en"
    return None

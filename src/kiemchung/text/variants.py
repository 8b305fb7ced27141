"""Rewritings of a claim as they appear in the wild, for benchmarks, training pairs and tests: synonym
spinning with the spinner's own tables, text typed without diacritics, social-media shorthand, and a
light rewording. Deterministic given the random generator. Pure."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping

from kiemchung.text.normalize import fold_diacritics, normalize_display
from kiemchung.text.spinning import SpinTable, default_spin_table

_TO_SHORTHAND = {
    "không": "ko",
    "được": "dc",
    "người": "ng",
    "với": "vs",
    "gì": "j",
    "biết": "bít",
    "rồi": "r",
    "cũng": "cx",
    "vậy": "z",
    "quá": "wá",
    "trước": "trc",
    "mọi người": "mn",
    "anh em": "ae",
    "thành phố Hồ Chí Minh": "tphcm",
    "Việt Nam": "VN",
    "Hà Nội": "HN",
    "bệnh viện": "bv",
    "bác sĩ": "bs",
    "công ty": "cty",
    "triệu": "tr",
}
_OPENERS = ["ae oi", "mn oi", "nghe noi", "tin nong", "that ko", "share gap", "ai biet ko"]
_CLOSERS = ["!!!", "??", "ae chia se di", "that hay dua", "ko tin noi", ":(("]
_PARAPHRASE_OPENERS = [
    "Có thông tin cho rằng",
    "Nhiều người chia sẻ rằng",
    "Theo lời đồn,",
    "Người ta nói",
    "Trên mạng lan truyền tin",
    "Có tin",
]


def spin(text: str, rate: float, rng: random.Random, table: SpinTable | None = None) -> str:
    """Replace about `rate` of the spinnable phrases by another member of their group, as spinners do."""
    table = table or default_spin_table()
    words = text.split()
    lowered = [normalize_display(w).lower().strip(".,;:!?\"'()") for w in words]
    out: list[str] = []
    i = 0
    while i < len(words):
        replaced = False
        for length in range(min(4, len(words) - i), 0, -1):
            phrase = tuple(lowered[i : i + length])
            ids = table.groups.get(phrase)
            if ids and rng.random() < rate:
                members = [m for m in table.members(rng.choice(ids)) if m != phrase]
                if members:
                    trail = re.sub(r"^.*?([.,;:!?\"')]*)$", r"\1", words[i + length - 1])
                    out.append(" ".join(rng.choice(members)) + trail)
                    i += length
                    replaced = True
                    break
        if not replaced:
            out.append(words[i])
            i += 1
    return " ".join(out)


def strip_diacritics(text: str) -> str:
    return fold_diacritics(text)


def shorthand(text: str, rng: random.Random, forms: Mapping[str, str] | None = None) -> str:
    """Social-media style: shorthand (`forms`: word → short form), no diacritics, lower case, an opener or a
    closer."""
    for full, short in (forms or _TO_SHORTHAND).items():
        text = re.sub(rf"\b{re.escape(full)}\b", short, text, flags=re.IGNORECASE)
    text = fold_diacritics(text).lower().rstrip(".")
    if rng.random() < 0.6:
        text = f"{rng.choice(_OPENERS)} {text}"
    if rng.random() < 0.6:
        text = f"{text} {rng.choice(_CLOSERS)}"
    return text


def reword(text: str, rng: random.Random, table: SpinTable | None = None) -> str:
    """A light paraphrase: a hearsay opener, clauses reordered around a comma, some synonyms."""
    body = text.rstrip(".").strip()
    clauses = [c.strip() for c in body.split(",") if c.strip()]
    if len(clauses) >= 2 and rng.random() < 0.5:
        clauses = clauses[1:] + clauses[:1]
    body = ", ".join(clauses)
    body = spin(body, 0.15, rng, table)
    opener = rng.choice(_PARAPHRASE_OPENERS)
    return f"{opener} {body[0].lower() + body[1:] if body[:2].istitle() and not body[1:2].isupper() else body}."

"""The evidence assistant's suggestion in the fact-checker's terms (issue 14): its verdict on the
organisation's rating scale, and a draft rebuttal built from the evidence already in the case.

Both are suggestions: nothing here is saved or published. A verdict maps onto the scale only when a rating
of the scale means it by its own name ("Đúng"/"True", "Sai"/"False", "Chưa có bằng chứng"/"Unproven"…,
matched whole, so "Không đúng" is never read as "Đúng" nor "Mostly true" as "True"); a scale with no such
rating gets none rather than a wrong one. The draft cites only the case's evidence, by its number there."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from kiemchung.domain.ratings import RatingScale

VERDICTS = ("supported", "refuted", "not_enough_info")
# The names a rating of each meaning goes by, whole (after NFC, case folding and collapsed spaces), the plainest
# first: on a scale with both "Bịa đặt" and "Sai sự thật", a refuted claim is "Sai sự thật".
VERDICT_RATINGS: dict[str, tuple[str, ...]] = {
    "supported": (
        "true", "đúng", "đúng sự thật", "correct", "accurate", "chính xác", "có cơ sở", "verified", "xác thực",
        "sự thật", "thật",
    ),
    "refuted": (
        "false", "sai", "sai sự thật", "không đúng", "không đúng sự thật", "incorrect", "untrue", "not true",
        "fake", "tin giả", "giả", "bịa đặt",
    ),
    "not_enough_info": (
        "unproven", "chưa có bằng chứng", "unverified", "chưa được kiểm chứng", "chưa kiểm chứng", "chưa xác minh",
        "chưa được xác minh", "chưa đủ bằng chứng", "không đủ bằng chứng", "thiếu bằng chứng", "không có bằng chứng",
        "chưa đủ thông tin", "chưa rõ", "unsubstantiated", "no evidence", "not enough evidence",
        "insufficient evidence", "not enough information",
    ),
}  # fmt: skip
VERDICT_WORDS = {"supported": "có cơ sở", "refuted": "bị bác bỏ", "not_enough_info": "chưa đủ thông tin"}
MAX_CLAIM = 300  # characters of the claim quoted in the draft's first line
_BRACKETS = str.maketrans({"[": "(", "]": ")"})  # a draft's own text never reads as a citation


def _folded(label: str) -> str:
    text = unicodedata.normalize("NFC", label).casefold()
    return " ".join(text.split()).strip(" .!")


def rating_for_verdict(scale: RatingScale, verdict: str) -> str | None:
    """The scale's rating that means `verdict` (supported / refuted / not_enough_info), by the rating's own
    name or its English one; None where the scale has no rating of that meaning."""
    names = VERDICT_RATINGS.get(verdict, ())
    best: tuple[int, str] | None = None
    for label, english in zip(scale.labels, scale.english, strict=True):
        for name in (_folded(label), _folded(english)):
            if name in names and (best is None or names.index(name) < best[0]):
                best = (names.index(name), label)
    return best[1] if best else None


@dataclass(frozen=True)
class DraftEvidence:
    """A piece of the case's evidence as the draft cites it: its number in the case's list, its kind (quote,
    url, document), the sentence it quotes (quotes), what names it, and its date when known."""

    number: int
    kind: str
    sentence: str | None = None
    source: str | None = None  # publisher, else title, else URL or file name
    published: date | None = None


def _one_line(text: str | None) -> str:
    return " ".join((text or "").translate(_BRACKETS).split())


def _clause(text: str) -> str:
    """A sentence made to sit after "Theo X, ": its closing punctuation dropped (the draft adds its own)."""
    return text.rstrip(" .;:!…")


def draft_rebuttal(claim: str, verdict: str, rating: str | None, evidence: Sequence[DraftEvidence]) -> str:
    """A rebuttal to start the verdict form from, in Vietnamese, one sentence per line: first the claim and the
    suggested verdict (the scale's rating when there is one), then one line per piece of evidence citing it as
    [n]: "Theo <source> (<dd/mm/yyyy>), <sentence>. [n]" for a quote, "Xem thêm: <source>. [n]" for a page or
    a file. Only `evidence` (the case's own) is cited."""
    quoted = _one_line(claim)
    if len(quoted) > MAX_CLAIM:
        quoted = quoted[: MAX_CLAIM - 1].rstrip() + "…"
    shown = _one_line(rating) or VERDICT_WORDS.get(verdict, VERDICT_WORDS["not_enough_info"])
    lines = [f"Nhận định “{quoted}”: kết luận gợi ý là {shown}."]
    for piece in evidence:
        source = _one_line(piece.source)
        when = f" ({piece.published.strftime('%d/%m/%Y')})" if piece.published else ""
        sentence = _clause(_one_line(piece.sentence))
        if sentence and source:
            lines.append(f"Theo {source}{when}, {sentence}. [{piece.number}]")
        elif sentence:
            lines.append(f"{sentence}{when}. [{piece.number}]")
        elif source:
            lines.append(f"Xem thêm: {_clause(source)}{when}. [{piece.number}]")
    if len(lines) == 1:
        lines.append("Hồ sơ chưa có bằng chứng nào để trích dẫn: thêm bằng chứng trước khi viết phản bác.")
    return "\n".join(lines)


def cited_numbers(draft: str) -> list[int]:
    """The evidence numbers a draft cites, in order."""
    return [int(n) for n in re.findall(r"\[(\d+)\]", draft)]

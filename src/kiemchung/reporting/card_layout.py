"""Where everything goes on a share card: pure geometry and text wrapping, no drawing and no files.

Text is measured through a function passed in (`Measure`: text and font size to a width in pixels), so the
layout is the same whatever draws it, and a test can lay out a card without a font.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from kiemchung.domain.formats import format_date
from kiemchung.domain.models import Rating
from kiemchung.domain.ratings import is_debunked

Measure = Callable[[str, int], float]
ELLIPSIS = "…"
LAYOUT_VERSION = 1  # part of the cache key: a layout change draws every card afresh


@dataclass(frozen=True)
class CardGeometry:
    """The fixed places of one card size, in pixels."""

    width: int
    height: int
    margin: int
    badge_font: int
    claim_top: int
    claim_bottom: int
    claim_font: int
    footer_font: int
    url_font: int

    @property
    def text_width(self) -> int:
        return self.width - 2 * self.margin - STRIPE


STRIPE = 16  # the verdict-coloured band on the left edge
SIZES: dict[str, CardGeometry] = {
    "wide": CardGeometry(1200, 630, 60, 40, 170, 470, 44, 28, 24),  # link previews (og:image)
    "square": CardGeometry(1080, 1080, 72, 46, 230, 850, 56, 32, 28),  # feeds that show squares
}


@dataclass(frozen=True)
class CardContent:
    """What a card says; every field is already the text shown."""

    claim: str
    verdict: str
    colour: str
    organisation: str
    published: str
    short_url: str


@dataclass(frozen=True)
class TextLine:
    text: str
    x: int
    y: int
    size: int


@dataclass(frozen=True)
class CardLayout:
    width: int
    height: int
    stripe: tuple[int, int, int, int]
    badge: tuple[int, int, int, int]  # the verdict's coloured box: left, top, right, bottom
    colour: str
    lines: tuple[TextLine, ...]  # the badge text first, then the claim, then the footer

    @property
    def claim_lines(self) -> tuple[TextLine, ...]:
        return self.lines[1:-2]


def verdict_colour(rating: Rating) -> str:
    """The badge colour: from dark red (the worst label of the scale) through orange and grey to green."""
    if rating.value is None or rating.best is None or rating.best == (rating.worst or 1.0):
        return "#c62828" if is_debunked(rating.label) else "#546e7a"
    low = rating.worst if rating.worst is not None else 1.0
    position = (rating.value - low) / (rating.best - low)
    for bound, colour in ((0.125, "#8b0000"), (0.375, "#c62828"), (0.625, "#e65100"), (0.875, "#546e7a")):
        if position < bound:
            return colour
    return "#2e7d32"


def card_content(
    claim: str, rating: Rating, organisation: str, published: date | None, page_url: str, language: str = "vi"
) -> CardContent:
    """The card's texts for a fact-check: the date as the language writes it (21/10/2026; English 2026-10-21),
    the page address without its scheme."""
    short = page_url.split("://", 1)[-1].rstrip("/")
    when = format_date(published, language) if published else ""
    return CardContent(" ".join(claim.split()), rating.label, verdict_colour(rating), organisation, when, short)


def wrap_text(text: str, width: float, max_lines: int, measure: Callable[[str], float]) -> list[str]:
    """Greedy word wrap into at most `max_lines` lines no wider than `width`; a word wider than a line is cut
    between letters; text that does not fit ends in an ellipsis on the last line."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and measure(candidate) <= width:
            lines[-1] = candidate
            continue
        lines.extend(_cut_word(word, width, measure))
    if len(lines) <= max_lines:
        return lines
    return [*lines[: max_lines - 1], shorten(lines[max_lines - 1] + ELLIPSIS, width, measure)]


def _cut_word(word: str, width: float, measure: Callable[[str], float]) -> list[str]:
    pieces = [""]
    for letter in word:
        if pieces[-1] and measure(pieces[-1] + letter) > width:
            pieces.append("")
        pieces[-1] += letter
    return pieces


def shorten(text: str, width: float, measure: Callable[[str], float]) -> str:
    """`text` as it is if it fits, else cut at a word (or letter) boundary and ended with an ellipsis."""
    if measure(text) <= width:
        return text
    body = text.removesuffix(ELLIPSIS).rstrip()
    while body and measure(body + ELLIPSIS) > width:
        cut = body.rfind(" ")
        body = body[:cut].rstrip() if cut > 0 and measure(body[:cut] + ELLIPSIS) <= width else body[:-1]
    return body.rstrip(" ,.;:") + ELLIPSIS


def layout_card(content: CardContent, size: str, measure: Measure) -> CardLayout:
    """Every text and box of the card `size` ("wide" or "square") at its place."""
    g = SIZES[size]
    left = g.margin + STRIPE
    badge_text = shorten(content.verdict.upper(), g.text_width - g.badge_font, lambda s: measure(s, g.badge_font))
    badge_right = left + int(measure(badge_text, g.badge_font)) + g.badge_font
    badge_bottom = g.margin + int(g.badge_font * 1.8)
    badge_line = TextLine(badge_text, left + g.badge_font // 2, g.margin + int(g.badge_font * 0.35), g.badge_font)
    step = int(g.claim_font * 1.3)
    wrapped = wrap_text(content.claim, g.text_width, (g.claim_bottom - g.claim_top) // step,
                        lambda s: measure(s, g.claim_font))  # fmt: skip
    claim = [TextLine(text, left, g.claim_top + i * step, g.claim_font) for i, text in enumerate(wrapped)]
    byline = " · ".join(part for part in (content.organisation, content.published) if part)
    footer_top = g.height - g.margin - g.url_font - int(g.footer_font * 1.6)
    footer = [
        TextLine(shorten(byline, g.text_width, lambda s: measure(s, g.footer_font)), left, footer_top, g.footer_font),
        TextLine(shorten(content.short_url, g.text_width, lambda s: measure(s, g.url_font)), left,
                 g.height - g.margin - g.url_font, g.url_font),
    ]  # fmt: skip
    return CardLayout(
        g.width, g.height, (0, 0, STRIPE, g.height), (left, g.margin, badge_right, badge_bottom), content.colour,
        (badge_line, *claim, *footer),
    )  # fmt: skip


def vietnamese_letters() -> str:
    """Every letter of Vietnamese, both cases: the twelve vowels with each of the six tones, and đ."""
    vowels = "aăâeêioôơuưy"
    tones = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # level, huyền, sắc, hỏi, ngã, nặng
    lower = [unicodedata.normalize("NFC", v + t) for v in vowels for t in tones] + ["đ"]
    return "".join(lower) + "".join(letter.upper() for letter in lower)

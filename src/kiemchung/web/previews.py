"""Link previews: what a chat app or social site shows when someone shares a page (Open Graph and Twitter
card tags). Every address is absolute, from KIEMCHUNG_PUBLIC_URL; `_preview.html` renders one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from kiemchung.domain.models import FactCheck
from kiemchung.reporting.card_layout import SIZES

DESCRIPTION_SIZE = 200  # characters; previews cut longer ones anyway
LOCALES = {"vi": "vi_VN", "en": "en_US"}


@dataclass(frozen=True)
class PreviewImage:
    url: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True)
class LinkPreview:
    kind: str  # og:type: "article" or "website"
    title: str
    description: str
    url: str
    site_name: str
    locale: str
    image: PreviewImage | None = None
    published: str | None = None  # article:published_time
    modified: str | None = None  # article:modified_time

    @property
    def twitter_card(self) -> str:
        return "summary_large_image" if self.image else "summary"


def _shortened(text: str, size: int = DESCRIPTION_SIZE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def factcheck_preview(base_url: str, fc: FactCheck, card_url: str | None, site_name: str, lang: str) -> LinkPreview:
    """A fact-check's preview: the verdict and claim as title, its summary, and its wide share card (1200×630)
    where it has one (those published here)."""
    title = _shortened(f"{fc.rating.label}: {fc.claim}")
    card = SIZES["wide"]
    image = PreviewImage(card_url, card.width, card.height, title) if card_url else None
    return LinkPreview(
        kind="article",
        title=title,
        description=_shortened(fc.summary or fc.claim),
        url=f"{base_url}/factchecks/{quote(fc.id, safe='')}",
        site_name=site_name,
        locale=LOCALES.get(lang, LOCALES["vi"]),
        image=image,
        published=fc.published.isoformat() if fc.published else None,
        modified=_iso(fc.modified),
    )


def home_preview(base_url: str, site_name: str, tagline: str, description: str, lang: str) -> LinkPreview:
    return LinkPreview(
        kind="website",
        title=f"{site_name} — {tagline}",
        description=description,
        url=f"{base_url}/",
        site_name=site_name,
        locale=LOCALES.get(lang, LOCALES["vi"]),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None

"""HTML to text: whole articles through trafilatura, short fragments (feed summaries) through lxml."""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
import trafilatura
from lxml.etree import ParserError

from kiemchung.ingest.decoding import decode

MIN_CHARS = 40
LENIENT_MIN_CHARS = 200


@dataclass(frozen=True)
class Article:
    text: str
    title: str | None
    published: str | None
    url: str | None


def fragment_text(html: str) -> str:
    """Text of an HTML fragment (a feed summary); plain text passes through."""
    if "<" not in html:
        return re.sub(r"\s+", " ", html).strip()
    try:
        root = lxml.html.fromstring(f"<div>{html}</div>")
    except (ParserError, ValueError):
        return re.sub(r"<[^>]*>", " ", html).strip()
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    return re.sub(r"\s+", " ", root.text_content()).strip()


def extract_article(content: bytes, content_type: str | None = None, url: str | None = None) -> Article | None:
    """The main text and metadata of a page; None when the page holds no article text."""
    html = decode(content, content_type)
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    if document is None or not (getattr(document, "text", None) or ""):
        # Badly broken or unusual markup: a second, more lenient pass, kept only if it finds real text.
        document = trafilatura.bare_extraction(html, url=url, with_metadata=True, favor_recall=True)
        if document is None or len(getattr(document, "text", None) or "") < LENIENT_MIN_CHARS:
            return None
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = (data.get("text") or "").strip()
    if len(text) < MIN_CHARS:  # a menu or a caption, not an article
        return None
    return Article(text, data.get("title") or None, data.get("date") or None, data.get("url") or url)

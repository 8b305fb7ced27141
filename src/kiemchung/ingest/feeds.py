"""RSS and Atom feeds (feedparser) to items."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import feedparser

from kiemchung.ingest.html import fragment_text
from kiemchung.ingest.http import FetchError

MIN_ARTICLE_CHARS = 400  # an entry shorter than this is a teaser: its page is fetched for the text


@dataclass(frozen=True)
class FeedEntry:
    key: str
    link: str | None
    title: str | None
    text: str
    published: str | None

    @property
    def is_teaser(self) -> bool:
        return len(self.text) < MIN_ARTICLE_CHARS and bool(self.link)


@dataclass(frozen=True)
class Feed:
    entries: list[FeedEntry]
    problem: str | None = None  # a malformed feed read in part: what was wrong


def parse_feed(content: bytes, content_type: str | None = None) -> Feed:
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(content, response_headers=headers)
    reason = getattr(parsed, "bozo_exception", None) if parsed.bozo else None
    if reason and not parsed.entries:
        raise FetchError(f"not a readable RSS/Atom feed: {reason}")
    if not parsed.entries and not parsed.feed.get("title"):
        raise FetchError("not an RSS/Atom feed (no channel and no entries)")
    entries = [entry for raw in parsed.entries if (entry := _entry(raw)) is not None]
    problem = f"malformed feed ({reason}); {len(entries)} entries read" if reason else None
    return Feed(entries, problem)


def _entry(raw: feedparser.FeedParserDict) -> FeedEntry | None:
    link = raw.get("link") or None
    title = fragment_text(raw.get("title", "")) or None
    contents = [c.get("value", "") for c in raw.get("content", [])]
    text = max([fragment_text(c) for c in contents] + [fragment_text(raw.get("summary", ""))], key=len)
    if not (link or title or text):
        return None
    key = raw.get("id") or link or hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    published = None
    parsed_time = raw.get("published_parsed") or raw.get("updated_parsed")
    if parsed_time:
        published = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", parsed_time)
    return FeedEntry(str(key)[:500], link, title, text, published)

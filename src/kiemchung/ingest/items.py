"""An item as it arrives from a source, before it becomes a post."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MAX_TEXT_CHARS = 500_000  # longer texts are cut, and the cut is recorded as the item's note
TRACKING_PARAMETERS = re.compile(r"^(utm_\w+|fbclid|gclid|zarsrc|ref|source)$", re.IGNORECASE)


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    url: str | None = None
    title: str | None = None
    published: str | None = None  # ISO 8601, as given or derived
    note: str | None = None  # something the source should know (text cut, page unreachable, …)

    def payload(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Item:
        return cls(
            str(data["key"]), str(data["text"]), data.get("url"), data.get("title"), data.get("published"),
            data.get("note"),
        )  # fmt: skip


def canonical_url(url: str | None) -> str | None:
    """The same article under one URL: lower-case scheme and host, no fragment, no tracking parameters."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not TRACKING_PARAMETERS.match(k)))
    path = parts.path.rstrip("/") or "/"
    host = (parts.hostname or "").lower()
    default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    if parts.port and parts.port != default_port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), host, path, query, ""))


def parse_published(value: object) -> datetime | None:
    """A publication time in UTC from ISO 8601 text (a date alone means midnight UTC); None if unreadable."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def cut_text(text: str) -> tuple[str, str | None]:
    if len(text) <= MAX_TEXT_CHARS:
        return text, None
    return text[:MAX_TEXT_CHARS], f"text cut to {MAX_TEXT_CHARS:,} characters (was {len(text):,})"

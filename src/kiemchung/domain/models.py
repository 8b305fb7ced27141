"""Domain types. Plain dataclasses: no database, no web framework.

We index claims, not people: a post has no author or account field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Rating:
    """A verdict on a rating scale, as schema.org's Rating has it."""

    label: str
    value: float | None = None
    best: float | None = None
    worst: float | None = None


@dataclass(frozen=True)
class FactCheck:
    """A published review of one claim."""

    id: str
    claim: str
    rating: Rating
    url: str | None = None
    language: str | None = None
    published: date | None = None
    summary: str | None = None
    publisher: str | None = None
    publisher_url: str | None = None
    claim_author: str | None = None
    claim_date: date | None = None
    appearances: tuple[str, ...] = ()
    first_appearance: str | None = None
    evidence_links: tuple[str, ...] = ()
    updated_at: datetime | None = field(default=None, compare=False)
    modified: datetime | None = field(default=None, compare=False)  # its newest correction (version 2 on)


@dataclass(frozen=True)
class Post:
    """An item seen in the information space (article, feed entry, public post)."""

    id: str
    text: str
    url: str | None = None
    title: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    fetched_at: datetime | None = None

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)


def content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SuggestedMatch:
    """A post's best match worth a reviewer's look, with what the decision saw (its features feed calibration)."""

    factcheck_id: str
    query_text: str
    sentence: str
    score: float
    features: dict[str, object]
    decision: bool


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

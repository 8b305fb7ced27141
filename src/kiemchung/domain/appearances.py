"""A case's appearances as a person reads them in a flood: copies folded under their original, originals
grouped by source and day (newest day first), a page of originals at a time.

A post that copies another post of the same case (posts.copy_of, monitoring/copies.py) is shown under the
post it copies — under the first post of the chain that is in the case — and is acted on with it: selecting
an original for a bulk confirm or reject selects its copies too."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, Protocol, TypeVar

APPEARANCES_PER_PAGE = 50


class Appearing(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def post_id(self) -> str | None: ...
    @property
    def copy_of(self) -> str | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def seen_at(self) -> datetime: ...


T = TypeVar("T", bound=Appearing)


@dataclass(frozen=True)
class Appearance(Generic[T]):
    item: T
    copies: tuple[T, ...] = ()


@dataclass(frozen=True)
class AppearanceGroup(Generic[T]):
    source: str | None
    day: date
    appearances: tuple[Appearance[T], ...]
    continued: bool = False  # the group began on the page before


@dataclass(frozen=True)
class AppearancePage(Generic[T]):
    groups: tuple[AppearanceGroup[T], ...]
    page: int
    pages: int
    originals: int  # appearances once copies are folded, on every page
    posts: int  # every item of the case, copies included
    sources: int

    @property
    def item_ids(self) -> list[int]:
        """The ids of the originals on this page (each stands for its copies in a bulk action)."""
        return [a.item.id for g in self.groups for a in g.appearances]


def fold_copies(items: Sequence[T]) -> list[Appearance[T]]:
    """The originals in the order given, each with the items that copy it (directly or through a chain)."""
    by_post: dict[str, T] = {}
    for item in items:
        if item.post_id is not None:
            by_post.setdefault(item.post_id, item)
    copies: dict[int, list[T]] = {}
    originals: list[T] = []
    for item in items:
        root = _root(item, by_post)
        if root is item:
            originals.append(item)
        else:
            copies.setdefault(root.id, []).append(item)
    return [Appearance(item, tuple(copies.get(item.id, ()))) for item in originals]


def _root(item: T, by_post: dict[str, T]) -> T:
    """The first post of the item's copy chain that is in the case (itself when it copies none of them)."""
    seen = {item.id}
    current = item
    while current.copy_of is not None and current.copy_of in by_post:
        following = by_post[current.copy_of]
        if following.id in seen:  # a cycle (never written, but a page must not hang on it)
            return item
        seen.add(following.id)
        current = following
    return current


def _order(appearance: Appearance[T]) -> tuple[int, str, datetime, int]:
    item = appearance.item
    return -item.seen_at.date().toordinal(), item.source or "", item.seen_at, item.id


def appearance_page(items: Sequence[T], page: int = 1, per_page: int = APPEARANCES_PER_PAGE) -> AppearancePage[T]:
    """One page of the case's originals, grouped by source and day; a page past the last shows the last."""
    ordered = sorted(fold_copies(items), key=_order)
    pages = max(1, -(-len(ordered) // per_page))
    page = max(1, min(page, pages))
    start = (page - 1) * per_page
    before = ordered[start - 1] if start else None
    groups = _grouped(ordered[start : start + per_page], before)
    sources = len({i.source for i in items if i.source})
    return AppearancePage(tuple(groups), page, pages, len(ordered), len(items), sources)


def _key(appearance: Appearance[T]) -> tuple[str | None, date]:
    return appearance.item.source, appearance.item.seen_at.date()


def _grouped(appearances: Iterable[Appearance[T]], before: Appearance[T] | None) -> list[AppearanceGroup[T]]:
    groups: list[AppearanceGroup[T]] = []
    for appearance in appearances:
        source, day = _key(appearance)
        if groups and (groups[-1].source, groups[-1].day) == (source, day):
            last = groups[-1]
            groups[-1] = AppearanceGroup(source, day, (*last.appearances, appearance), last.continued)
        else:
            continued = not groups and before is not None and _key(before) == (source, day)
            groups.append(AppearanceGroup(source, day, (appearance,), continued))
    return groups


def with_copies(items: Sequence[T], chosen: Iterable[int]) -> list[T]:
    """The chosen items (by id) and every item folded under them."""
    wanted = set(chosen)
    out: list[T] = []
    for appearance in fold_copies(items):
        if appearance.item.id in wanted:
            out += [appearance.item, *appearance.copies]
        else:
            out += [c for c in appearance.copies if c.id in wanted]
    return out

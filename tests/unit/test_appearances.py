"""A case's appearances (domain/appearances.py): copies fold under the first post of their chain in the case,
originals group by source and day and page; a bulk choice carries the copies; alert group keys per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kiemchung.domain.alert_groups import alert_group_key, case_key_of, page_number
from kiemchung.domain.appearances import appearance_page, fold_copies, with_copies

DAY = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    id: int
    post_id: str | None
    copy_of: str | None
    source: str | None
    seen_at: datetime


def test_copies_fold_under_the_first_post_of_their_chain_and_a_cycle_does_not_hang() -> None:
    items = [Item(1, "a", None, "s1", DAY), Item(2, "b", "a", "s2", DAY), Item(3, "c", "b", "s3", DAY),
             Item(4, "d", "elsewhere", "s1", DAY), Item(5, "x", "y", "s1", DAY),
             Item(6, "y", "x", "s1", DAY)]  # fmt: skip
    folded = {a.item.id: [c.id for c in a.copies] for a in fold_copies(items)}
    assert folded[1] == [2, 3] and folded[4] == [] and 5 in folded and 6 in folded
    assert [i.id for i in with_copies(items, [1])] == [1, 2, 3]


def test_originals_group_by_source_and_day_newest_day_first_and_page() -> None:
    items = [Item(n, f"p{n}", None, f"s{n % 2}", DAY + timedelta(days=n // 4)) for n in range(8)]
    first = appearance_page(items, 1, per_page=3)
    assert (first.pages, first.originals, first.posts, first.sources) == (3, 8, 8, 2)
    assert [(g.source, g.day.isoformat(), len(g.appearances)) for g in first.groups] == [
        ("s0", "2026-11-28", 2), ("s1", "2026-11-28", 1)]  # fmt: skip
    second = appearance_page(items, 2, per_page=3)
    assert second.groups[0].continued and second.groups[0].source == "s1"
    assert appearance_page(items, 99, per_page=3).page == 3


def test_an_alert_group_is_one_subject_on_one_day() -> None:
    assert alert_group_key("repeat", "fc-1", "repeat:p1:fc-1", DAY) == "repeat:fc-1:2026-11-27"
    assert alert_group_key("spread", None, "spread:abc", DAY) == "spread:abc:2026-11-27"
    assert case_key_of("repeat", "fc-1", "repeat:p1:fc-1") == "factcheck:fc-1"
    assert case_key_of("burst", None, "burst:n1") is None
    assert (page_number("3"), page_number("x"), page_number("0"), page_number("9", 4)) == (3, 1, 1, 4)

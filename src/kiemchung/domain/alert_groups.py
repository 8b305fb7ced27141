"""Alert groups: a flood of alerts read as one line per fact-check (or spreading claim) and time window.

2,000 posts repeating one debunked claim raise 2,000 alerts; people read them as one group ("repeated
2,000 times in 43 sources since 08:00"), acknowledge it, and mark it handled. A group is every alert of one
kind about one subject (the fact-check for a repeat, the claim or narrative for the other kinds) raised on
the same day (UTC). Its key is computed once, when the alert is stored, so the page groups with one index."""

from __future__ import annotations

from datetime import datetime

GROUP_STATES = ("open", "acknowledged", "handled")  # "open": no one has acknowledged the group yet
GROUPS_PER_PAGE = 50
MAX_GROUP_KEY = 400


def alert_subject(kind: str, factcheck_id: str | None, dedupe_key: str) -> str:
    """What a group is about: the fact-check a repeat repeats, else the alert's own claim or narrative (its
    dedupe key without the kind's prefix)."""
    if kind == "repeat" and factcheck_id:
        return factcheck_id
    prefix = f"{kind}:"
    return dedupe_key[len(prefix) :] if dedupe_key.startswith(prefix) else dedupe_key


def alert_group_key(kind: str, factcheck_id: str | None, dedupe_key: str, created_at: datetime) -> str:
    """The key of the group an alert belongs to: kind, subject and the day (UTC) it was raised."""
    day = created_at.date().isoformat()
    subject = alert_subject(kind, factcheck_id, dedupe_key)[: MAX_GROUP_KEY - len(kind) - len(day) - 2]
    return f"{kind}:{subject}:{day}"


def case_key_of(kind: str, factcheck_id: str | None, dedupe_key: str) -> str | None:
    """The case a group's alerts become (services/workbench.py: intake): a repeat's fact-check's case, a
    spreading claim's own; a burst belongs to a narrative, not a case."""
    if kind == "repeat" and factcheck_id:
        return f"factcheck:{factcheck_id}"
    return dedupe_key if kind == "spread" else None


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows fill, `per_page` to a page (one, when there are none)."""
    return max(1, -(-total // per_page))


def page_number(value: object, pages: int | None = None) -> int:
    """A page number from a query string: 1 for anything unreadable or below 1, the last page above it."""
    text = str(value or "")
    number = int(text) if text.isascii() and text.isdigit() else 1
    number = max(1, min(number, 100_000))
    return min(number, pages) if pages else number

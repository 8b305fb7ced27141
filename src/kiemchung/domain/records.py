"""Turning archive records (JSON Lines / CSV rows) into FactChecks and back. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from kiemchung.domain.models import FactCheck
from kiemchung.domain.ratings import VIETNAMESE_DEFAULT, RatingScale
from kiemchung.text import normalize_display

RECORD_FIELDS = ("id", "claim", "rating", "url", "language", "published", "summary")


class InvalidRecord(ValueError):
    """A record cannot become a fact-check; the message says why."""


def parse_date(value: Any) -> date | None:
    """ISO dates and date-times (a trailing Z too); empty means none."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise InvalidRecord(f"date must be a string, not {type(value).__name__}")
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise InvalidRecord(f"unreadable date {value!r} (expected YYYY-MM-DD)") from None


def _text(record: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidRecord(f"missing required field {key!r}")
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and key == "id":
        value = str(value)
    if not isinstance(value, str):
        raise InvalidRecord(f"field {key!r} must be a string, not {type(value).__name__}")
    return normalize_display(value)


def factcheck_from_record(record: Any, scale: RatingScale = VIETNAMESE_DEFAULT) -> FactCheck:
    """A fact-check from a flat record with id, claim, rating and optional url, language, published, summary."""
    if not isinstance(record, Mapping):
        raise InvalidRecord(f"expected an object, got {type(record).__name__}")
    identifier = _text(record, "id", required=True)
    claim = _text(record, "claim", required=True)
    label = _text(record, "rating", required=True)
    assert identifier is not None and claim is not None and label is not None
    if len(claim) > 5000:
        raise InvalidRecord("claim is longer than 5000 characters")
    return FactCheck(
        id=identifier,
        claim=claim,
        rating=scale.rating(label),
        url=_text(record, "url"),
        language=_text(record, "language"),
        published=parse_date(record.get("published")),
        summary=_text(record, "summary"),
    )


def factcheck_to_record(factcheck: FactCheck) -> dict[str, Any]:
    return {
        "id": factcheck.id,
        "claim": factcheck.claim,
        "rating": factcheck.rating.label,
        "url": factcheck.url,
        "language": factcheck.language,
        "published": factcheck.published.isoformat() if factcheck.published else None,
        "summary": factcheck.summary,
    }

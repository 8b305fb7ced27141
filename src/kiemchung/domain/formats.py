"""Dates, times and numbers as people read them, in Vietnamese (the default) or English.

Vietnamese: 21/10/2026, 21/10/2026 14:05 (GMT+7), 0,87, 2.000. English: 2026-10-21, 2026-10-21 14:05 (GMT+7),
0.87, 2,000. Times are shown in the installation's time zone with its offset as a label; a naive datetime is
UTC (how the store keeps them). Only for people: stored values, the API, exports and `<time datetime>`
attributes stay UTC ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

DATE_PATTERNS = {"vi": "%d/%m/%Y", "en": "%Y-%m-%d"}
SEPARATORS = {"vi": (".", ","), "en": (",", ".")}  # (thousands, decimal)


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """The moment on the clocks of `zone`; a naive datetime is taken as UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone)


def zone_label(moment: datetime) -> str:
    """The UTC offset of an aware datetime as a label: GMT+7, GMT+5:30, GMT-3, UTC."""
    offset = moment.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    minutes = int(abs(offset).total_seconds()) // 60
    sign = "-" if offset < timedelta(0) else "+"
    hours, rest = divmod(minutes, 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _date_pattern(language: str) -> str:
    return DATE_PATTERNS.get(language, DATE_PATTERNS["vi"])


def format_date(value: date, language: str, zone: tzinfo = UTC) -> str:
    """A day: 21/10/2026 (vi) or 2026-10-21 (en); a datetime is first put on the clocks of `zone`."""
    day = in_zone(value, zone) if isinstance(value, datetime) else value
    return day.strftime(_date_pattern(language))


def format_datetime(value: datetime, language: str, zone: tzinfo, *, seconds: bool = False) -> str:
    """A moment in `zone`, labelled with its offset: 21/10/2026 14:05 (GMT+7)."""
    local = in_zone(value, zone)
    shown = local.strftime(_date_pattern(language) + (" %H:%M:%S" if seconds else " %H:%M"))
    return f"{shown} ({zone_label(local)})"


def format_number(value: float, language: str, digits: int = 0) -> str:
    """A number with the language's separators: 2.000 and 0,87 (vi), 2,000 and 0.87 (en)."""
    thousands, decimal = SEPARATORS.get(language, SEPARATORS["vi"])
    return f"{value:,.{digits}f}".translate(str.maketrans(",.", thousands + decimal))


def format_score(value: float, language: str) -> str:
    """A score between 0 and 1 with two decimals: 0,87 (vi) or 0.87 (en)."""
    return format_number(value, language, 2)

"""The Jinja filters that show dates, times and numbers in the page's language and the installation's time zone.

`{{ case.first_detected_at|datetime }}`, `{{ fc.published|date }}`, `{{ m.score|score }}`, `{{ total|number }}`:
each reads `lang` and `zone` from the page's context (`pages.render` puts them there), so a template never
formats by hand. `<time datetime="...">` attributes keep `isoformat()`: they are for machines.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from kiemchung.domain.formats import format_date, format_datetime, format_number, format_score


@pass_context
def date_filter(context: Context, value: date) -> str:
    return format_date(value, context["lang"], context["zone"])


@pass_context
def datetime_filter(context: Context, value: datetime, seconds: bool = False) -> str:
    return format_datetime(value, context["lang"], context["zone"], seconds=seconds)


@pass_context
def score_filter(context: Context, value: float) -> str:
    return format_score(value, context["lang"])


@pass_context
def number_filter(context: Context, value: float, digits: int = 0) -> str:
    return format_number(value, context["lang"], digits)


FILTERS: dict[str, Any] = {
    "date": date_filter,
    "datetime": datetime_filter,
    "score": score_filter,
    "number": number_filter,
}


def install_filters(environment: Environment) -> None:
    """Register the formatting filters once, on the app's one template environment."""
    environment.filters.update(FILTERS)

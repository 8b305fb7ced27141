"""Charts as inline SVG, drawn by our own few lines: no JavaScript, no external assets.

A bar chart has one row per figure: this period's bar, and under it the previous period's (lighter), each
with its value written beside it. Every bar carries `data-metric`, `data-period` and `data-value`, so a test
(or a reader's tool) can take the numbers back out of the chart.

A trend chart (a narrative's timeline) draws posts per bucket as bars, distinct sources as a line and the
forecast as a band (80 %) around its median line; it scales to the screen's width (a phone included), and
`trend_csv` gives the same numbers as CSV. Its bars and points carry `data-start` and their values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from kiemchung.domain.trends import Point
from kiemchung.reporting.figures import Figure

WIDTH = 640
LABEL_WIDTH = 220
BAR_SPACE = 340  # the longest bar; the rest of the width holds its value
BAR = 16
ROW_GAP = 14
CURRENT_COLOUR = "#1f5f8b"
PREVIOUS_COLOUR = "#a9c4d8"


def bar_chart(figures: tuple[Figure, ...] | list[Figure], title: str, legend: tuple[str, str]) -> str:
    """A horizontal bar chart of the charted figures, this period against the previous one."""
    shown = [f for f in figures if f.charted]
    top = max([f.value for f in shown] + [f.previous or 0 for f in shown] + [0])
    rows, y = [], 34
    for figure in shown:
        rows.append(_row(figure, y, top))
        y += BAR * (2 if figure.previous is not None else 1) + ROW_GAP
    height = y + 4
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12"><title>{escape(title)}</title>'
        f"{_legend(legend, any(f.previous is not None for f in shown))}{''.join(rows)}</svg>"
    )


def _legend(legend: tuple[str, str], compared: bool) -> str:
    current, previous = (escape(text) for text in legend)
    drawn = (
        f'<rect x="{LABEL_WIDTH}" y="6" width="12" height="12" fill="{CURRENT_COLOUR}"/>'
        f'<text x="{LABEL_WIDTH + 16}" y="16">{current}</text>'
    )
    if not compared:  # a snapshot: nothing to compare with
        return drawn
    return (
        f'{drawn}<rect x="{LABEL_WIDTH + 150}" y="6" width="12" height="12" fill="{PREVIOUS_COLOUR}"/>'
        f'<text x="{LABEL_WIDTH + 166}" y="16">{previous}</text>'
    )


def _row(figure: Figure, y: int, top: float) -> str:
    label = escape(figure.label if len(figure.label) <= 34 else figure.label[:33] + "…")
    parts = [f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR - 4}" text-anchor="end">{label}</text>',
             _bar(figure.metric, "current", figure.value, y, top, CURRENT_COLOUR)]  # fmt: skip
    if figure.previous is not None:
        parts.append(_bar(figure.metric, "previous", figure.previous, y + BAR, top, PREVIOUS_COLOUR))
    return "".join(parts)


def _bar(metric: str, period: str, value: float, y: int, top: float, colour: str) -> str:
    length = round(BAR_SPACE * value / top, 1) if top else 0.0
    shown = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return (
        f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR - 2}" fill="{colour}" '
        f'data-metric="{escape(metric)}" data-period="{period}" data-value="{shown}"/>'
        f'<text x="{LABEL_WIDTH + length + 6}" y="{y + BAR - 4}">{shown}</text>'
    )


# --- a narrative's trend --------------------------------------------------------------------------------

PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 44, 470, 34, 214
TREND_WIDTH, TREND_HEIGHT = 480, 250  # narrow: on a 360-pixel phone the text stays at 11 pixels or more
SOURCES_COLOUR = "#c0392b"
LEGEND_LETTER = 8.8  # the mean width of a letter at font-size 15, for spacing the legend
FORECAST_COLOUR = "#7f8c8d"


@dataclass(frozen=True)
class TrendPoint:
    """One bucket of a narrative's timeline: posts and distinct sources."""

    start: datetime
    posts: int
    sources: int


@dataclass(frozen=True)
class TrendLegend:
    posts: str
    sources: str
    forecast: str


def trend_chart(points: Sequence[TrendPoint], forecast: Sequence[Point], title: str, legend: TrendLegend) -> str:
    """Posts (bars) and distinct sources (line) per bucket, then the forecast's median and 80 % band."""
    slots = len(points) + len(forecast)
    top = max([p.posts for p in points] + [p.sources for p in points] + [f.upper for f in forecast] + [1])
    scale = _TrendScale(slots, float(top))
    parts = [_trend_axes(scale, points, forecast), _trend_legend(legend)]
    parts += [_trend_bar(scale, i, p) for i, p in enumerate(points)]
    parts.append(_sources_line(scale, points))
    parts.append(_forecast_band(scale, len(points), forecast))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart trend" role="img" viewBox="0 0 {TREND_WIDTH} '
        f'{TREND_HEIGHT}" style="width:100%;max-width:{TREND_WIDTH * 1.5:g}px;height:auto" '
        f'font-family="sans-serif" font-size="15"><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )


def trend_csv(points: Sequence[TrendPoint], forecast: Sequence[Point]) -> str:
    """The numbers behind `trend_chart`, one row per bucket (observed, then forecast)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["start", "posts", "sources", "forecast", "forecast_lower", "forecast_upper"])
    writer.writerows([p.start.isoformat(), p.posts, p.sources, "", "", ""] for p in points)
    writer.writerows([f.start.isoformat(), "", "", _number(f.median), _number(f.lower), _number(f.upper)]
                     for f in forecast)  # fmt: skip
    return out.getvalue()


@dataclass(frozen=True)
class _TrendScale:
    slots: int
    top: float

    def x(self, slot: float) -> float:
        return round(PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * slot / max(self.slots, 1), 1)

    def y(self, value: float) -> float:
        return round(PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * value / self.top, 1)

    def width(self) -> float:
        return (PLOT_RIGHT - PLOT_LEFT) / max(self.slots, 1)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _trend_axes(scale: _TrendScale, points: Sequence[TrendPoint], forecast: Sequence[Point]) -> str:
    grid = []
    for value in (0.0, scale.top / 2, scale.top):
        y = scale.y(value)
        grid.append(f'<line x1="{PLOT_LEFT}" y1="{y}" x2="{PLOT_RIGHT}" y2="{y}" stroke="#ddd"/>'
                    f'<text x="{PLOT_LEFT - 6}" y="{y + 4}" text-anchor="end">{_number(value)}</text>')  # fmt: skip
    starts = [p.start for p in points] + [f.start for f in forecast]
    for slot in sorted({0, len(starts) // 2, len(starts) - 1}) if starts else []:
        anchor = "start" if slot == 0 else "end" if slot == len(starts) - 1 else "middle"
        grid.append(f'<text x="{scale.x(slot + 0.5)}" y="{PLOT_BOTTOM + 18}" text-anchor="{anchor}">'
                    f"{starts[slot]:%d/%m %H:%M}</text>")  # fmt: skip
    return "".join(grid)


def _trend_legend(legend: TrendLegend) -> str:
    keys = ((CURRENT_COLOUR, legend.posts), (SOURCES_COLOUR, legend.sources), (FORECAST_COLOUR, legend.forecast))
    parts, x = [], 4.0
    for colour, text in keys:
        parts.append(f'<rect x="{x:g}" y="6" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16:g}" y="17">{escape(text)}</text>')  # fmt: skip
        x += 16 + LEGEND_LETTER * len(text) + 18  # the text's width, about, then a gap
    return "".join(parts)


def _trend_bar(scale: _TrendScale, slot: int, point: TrendPoint) -> str:
    y = scale.y(point.posts)
    return (
        f'<rect class="bar" x="{scale.x(slot)}" y="{y}" width="{round(max(scale.width() - 1, 0.5), 1)}" '
        f'height="{round(PLOT_BOTTOM - y, 1)}" fill="{CURRENT_COLOUR}" data-start="{point.start.isoformat()}" '
        f'data-value="{point.posts}"/>'
    )


def _sources_line(scale: _TrendScale, points: Sequence[TrendPoint]) -> str:
    spots = [(scale.x(i + 0.5), scale.y(p.sources), p) for i, p in enumerate(points)]
    line = " ".join(f"{x},{y}" for x, y, _ in spots)
    dots = "".join(f'<circle class="sources" cx="{x}" cy="{y}" r="2" fill="{SOURCES_COLOUR}" '
                   f'data-start="{p.start.isoformat()}" data-value="{p.sources}"/>' for x, y, p in spots)  # fmt: skip
    return f'<polyline points="{line}" fill="none" stroke="{SOURCES_COLOUR}" stroke-width="2"/>{dots}' if spots else ""


def _forecast_band(scale: _TrendScale, first: int, forecast: Sequence[Point]) -> str:
    if not forecast:
        return ""
    xs = [scale.x(first + i + 0.5) for i in range(len(forecast))]
    upper = [f"{x},{scale.y(f.upper)}" for x, f in zip(xs, forecast, strict=True)]
    lower = [f"{x},{scale.y(f.lower)}" for x, f in zip(xs, forecast, strict=True)]
    median = " ".join(f"{x},{scale.y(f.median)}" for x, f in zip(xs, forecast, strict=True))
    dots = "".join(
        f'<circle class="forecast" cx="{x}" cy="{scale.y(f.median)}" r="2" fill="{FORECAST_COLOUR}" '
        f'data-start="{f.start.isoformat()}" data-value="{_number(f.median)}" data-lower="{_number(f.lower)}" '
        f'data-upper="{_number(f.upper)}"/>'
        for x, f in zip(xs, forecast, strict=True)
    )
    return (
        f'<polygon class="band" points="{" ".join(upper + lower[::-1])}" fill="{FORECAST_COLOUR}" '
        f'fill-opacity="0.25"/><polyline points="{median}" fill="none" stroke="{FORECAST_COLOUR}" '
        f'stroke-dasharray="4 3" stroke-width="2"/>{dots}'
    )


SPARK_WIDTH, SPARK_HEIGHT = 120, 28


def sparkline(values: Sequence[int], title: str) -> str:
    """A small line of counts (oldest first) for a table row; `data-values` carries the numbers."""
    top = max([*values, 1])
    step = SPARK_WIDTH / max(len(values) - 1, 1)
    spots = " ".join(f"{round(i * step, 1)},{round(SPARK_HEIGHT - 2 - (SPARK_HEIGHT - 4) * v / top, 1)}"
                     for i, v in enumerate(values))  # fmt: skip
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" viewBox="0 0 {SPARK_WIDTH} '
        f'{SPARK_HEIGHT}" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" data-values="{",".join(map(str, values))}">'
        f'<title>{escape(title)}</title><polyline points="{spots}" fill="none" stroke="{CURRENT_COLOUR}" '
        f'stroke-width="1.5"/></svg>'
    )

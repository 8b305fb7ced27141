"""Charts as inline SVG, drawn by our own few lines: no JavaScript, no external assets.

A bar chart has one row per figure: this period's bar, and under it the previous period's (lighter), each
with its value written beside it. Every bar carries `data-metric`, `data-period` and `data-value`, so a test
(or a reader's tool) can take the numbers back out of the chart.
"""

from __future__ import annotations

from html import escape

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

"""A period report as HTML (a standalone page, or the fragment the /reports page shows) and as CSV.

Both are written from the same `Report`, so the sentence, the chart, the appendix table and the CSV show the
same numbers. The HTML needs nothing from outside: its charts are inline SVG and its style is inline.
"""

from __future__ import annotations

import csv
import io
from html import escape

from kiemchung.domain.formats import format_date
from kiemchung.reporting.charts import bar_chart
from kiemchung.reporting.figures import Figure, Period, Report, Section
from kiemchung.reporting.texts import report_texts

STYLE = """
body{font-family:"DejaVu Sans","Noto Sans",Arial,sans-serif;max-width:760px;margin:2em auto;color:#1a1a1a}
section.report-section{break-inside:avoid;margin:1.5em 0}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}
.up{color:#2e7d32}.down{color:#c62828}.same{color:#555}
"""


def number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def change(figure: Figure) -> str:
    """An arrow and the difference from the previous period: ▲ +3, ▼ −2, = 0; — for a snapshot."""
    delta = figure.delta
    if delta is None:
        return "—"
    if delta > 0:
        return f"▲ +{number(delta)}"
    if delta < 0:
        return f"▼ −{number(-delta)}"
    return "= 0"


def _change_html(figure: Figure) -> str:
    delta = figure.delta
    kind = "same" if not delta else ("up" if delta > 0 else "down")
    return f'<span class="{kind}">{escape(change(figure))}</span>'


def report_fragment(report: Report) -> str:
    """The report's body: a header, one part per section (chart, sentence, figures), then the appendix."""
    words = report_texts(report.language)
    head = (
        f'<header class="report-head"><h1>{escape(words["report_title"])}: {escape(report.organisation)}</h1>'
        f"<p>{escape(words['period'])}: {_days(report.period, report.language)} · "
        f"{escape(words['previous_period'])}: {_days(report.previous, report.language)}</p>"
        f'<p class="not-covered">{escape(words["not_covered"].format(items=", ".join(report.not_covered)))}</p>'
        "</header>"
    )
    sections = "".join(_section_html(s, words) for s in report.sections)
    return f'<div class="report">{head}{sections}{_appendix(report, words)}</div>'


def _section_html(section: Section, words: dict[str, str]) -> str:
    legend = (words["this_period"], words["previous_period"])
    figures = "".join(
        f"<li>{escape(f.label)}: <strong>{number(f.value)}</strong> {_change_html(f)}</li>" for f in section.figures
    )
    chart = bar_chart(section.figures, section.title, legend) if any(f.charted for f in section.figures) else ""
    return (
        f'<section class="report-section" id="section-{section.key}"><h2>{escape(section.title)}</h2>'
        f'<p class="sentence">{escape(section.sentence)}</p>{chart}<ul class="figures">{figures}</ul>'
        f"{_health_table(section, words)}</section>"
    )


def _health_table(section: Section, words: dict[str, str]) -> str:
    if not section.table:
        return ""
    head = "".join(f"<th>{escape(words[k])}</th>" for k in ("name", "last_success", "last_error", "failures"))
    rows = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in section.table)
    return f'<table class="health"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _appendix(report: Report, words: dict[str, str]) -> str:
    head = "".join(
        f"<th>{escape(text)}</th>"
        for text in (words["section"], words["metric"], words["this_period"], words["previous_period"], words["change"])
    )
    rows = "".join(
        f"<tr><td>{escape(s.title)}</td><td>{escape(f.label)}</td><td>{number(f.value)}</td>"
        f"<td>{number(f.previous) if f.previous is not None else escape(words['snapshot'])}</td>"
        f"<td>{escape(change(f))}</td></tr>"
        for s in report.sections
        for f in s.figures
    )
    return (
        f'<section class="appendix" id="appendix"><h2>{escape(words["appendix"])}</h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def report_html(report: Report) -> str:
    """A standalone HTML document of the report (print it, send it, or turn it into a PDF)."""
    words = report_texts(report.language)
    title = f"{words['report_title']} {_days(report.period, report.language)}"
    return (
        f'<!doctype html><html lang="{report.language}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{report_fragment(report)}</body></html>\n"
    )


def _days(period: Period, language: str) -> str:
    """A period as people read it: 01/10/2026 – 31/10/2026 (vi), 2026-10-01 – 2026-10-31 (en)."""
    return f"{format_date(period.start, language)} – {format_date(period.end, language)}"


def report_csv(report: Report) -> str:
    """One row per (section, metric, period, value); a snapshot figure has a row for this period only."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "metric", "period", "value"])
    for section in report.sections:
        for figure in section.figures:
            writer.writerow([section.key, figure.metric, report.period.label(), number(figure.value)])
            if figure.previous is not None:
                writer.writerow([section.key, figure.metric, report.previous.label(), number(figure.previous)])
    return out.getvalue()

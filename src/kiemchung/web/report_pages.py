"""The /reports page (editors and admins): a period report of the caller's organisation, shown in the page
or downloaded as a standalone HTML file, as CSV or (with the `pdf` extra) as PDF — the same `Report` the
`kiemchung report` command writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kiemchung.domain.accounts import REPORT, Actor
from kiemchung.errors import InputError
from kiemchung.reporting.figures import Period
from kiemchung.reporting.pdf import HAS_WEASYPRINT, report_pdf
from kiemchung.reporting.render import report_csv, report_fragment, report_html
from kiemchung.web.auth import needs
from kiemchung.web.deps import ContextDep
from kiemchung.web.pages import language_of, render

router = APIRouter(include_in_schema=False)
Reporter = Annotated[Actor, Depends(needs(REPORT))]


def last_month(today: date) -> Period:
    """The last whole calendar month before `today` (the period shown when none is asked for)."""
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def _day(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InputError(f"{name} must be a date as YYYY-MM-DD") from None


def period_of(request: Request) -> Period:
    start, end = _day(request.query_params.get("from"), "from"), _day(request.query_params.get("to"), "to")
    if start is None and end is None:
        return last_month(datetime.now(UTC).date())
    if start is None or end is None:
        raise InputError("give both from and to, or neither")
    return Period(start, end)


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, actor: Reporter, context: ContextDep) -> Response:
    """The report in the page; `format=csv` or `format=html` downloads it as a file."""
    language = request.query_params.get("language") or language_of(request)
    period = period_of(request)
    report = context.reports.for_actor(actor, period, language)
    fmt = request.query_params.get("format", "")
    name = f"kiemchung-report-{period.start}-{period.end}"
    if fmt == "csv":
        return Response(report_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})  # fmt: skip
    if fmt == "html":
        return Response(report_html(report), media_type="text/html; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.html"'})  # fmt: skip
    if fmt == "pdf":
        return Response(report_pdf(report), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})  # fmt: skip
    if fmt:
        raise InputError("format must be csv, html or pdf")
    return render(request, "reports.html", report=report, body=report_fragment(report), period=period,
                  report_language=report.language, pdf=HAS_WEASYPRINT)  # fmt: skip

"""`kiemchung report`: a period report of one organisation as HTML, CSV or PDF."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click

from kiemchung.cli.base import app_of, cli, require_database
from kiemchung.errors import InputError
from kiemchung.reporting.figures import Period
from kiemchung.reporting.pdf import report_pdf
from kiemchung.reporting.render import report_csv, report_html

DAY = click.DateTime(formats=["%Y-%m-%d"])


@cli.command("report")
@click.option("--from", "start", required=True, type=DAY, help="First day of the period (YYYY-MM-DD, UTC).")
@click.option("--to", "end", required=True, type=DAY, help="Last day of the period, included (YYYY-MM-DD, UTC).")
@click.option("--organisation", default=None, help="The organisation reported on (default: the first one).")
@click.option("--format", "fmt", default="html", show_default=True, type=click.Choice(["html", "csv", "pdf"]),
              help="pdf needs the optional extra: pip install 'kiemchung[pdf]'.")  # fmt: skip
@click.option("--language", default="vi", show_default=True, type=click.Choice(["vi", "en"]))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write to this file instead of standard output.")  # fmt: skip
@click.pass_context
def report_command(ctx: click.Context, start: datetime, end: datetime, organisation: str | None, fmt: str,
                   language: str, output: Path | None) -> None:  # fmt: skip
    """A period report: what was collected, matched, published and corrected, with charts and the previous
    period for comparison (the same as the /reports page)."""
    app = app_of(ctx)
    require_database(app)
    report = app.reports.for_organisation(organisation, Period(_day(start), _day(end)), language)
    data = report_pdf(report) if fmt == "pdf" else (report_html(report) if fmt == "html" else report_csv(report))
    if output is None:
        if isinstance(data, bytes):
            raise InputError("a PDF report needs -o FILE")
        sys.stdout.write(data)
        return
    partial = output.with_name(output.name + ".partial")
    partial.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    partial.replace(output)
    click.echo(f"wrote the {fmt} report of {report.organisation} for {report.period.label()} to {output}", err=True)


def _day(moment: datetime) -> date:
    return moment.date()

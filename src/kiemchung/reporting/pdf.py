"""A period report as PDF, through WeasyPrint (the optional `pdf` extra: `pip install 'kiemchung[pdf]'`).

The PDF is the standalone HTML report laid out for print; the fonts it uses are embedded. Without WeasyPrint
the PDF format answers with an install hint, and everything else works as before."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from kiemchung.errors import ConfigError
from kiemchung.reporting.figures import Report
from kiemchung.reporting.render import report_html

HAS_WEASYPRINT = find_spec("weasyprint") is not None  # imported only when a PDF is asked for (it is slow)
INSTALL_HINT = "PDF reports need WeasyPrint: pip install 'kiemchung[pdf]' (and Pango, e.g. libpango-1.0-0)"

PRINT_STYLE = "@page{size:A4;margin:18mm}body{margin:0;max-width:none}"


def report_document(report: Report) -> Any:
    """The laid-out WeasyPrint document (pages, fonts) of the report."""
    try:
        import weasyprint
    except (ImportError, OSError):  # not installed, or its system libraries (Pango) are missing
        raise ConfigError(INSTALL_HINT) from None
    html = report_html(report).replace("</style>", PRINT_STYLE + "</style>", 1)
    return weasyprint.HTML(string=html).render()


def report_pdf(report: Report) -> bytes:
    data: bytes = report_document(report).write_pdf()
    return data

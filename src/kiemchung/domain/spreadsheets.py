"""CSV a spreadsheet opens safely and reads right. Pure.

- **No formulas.** A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is one a
  spreadsheet may run as a formula (CSV injection); it is written behind a `'`, which shows it as text.
  Numbers are written as numbers (a negative score stays a number).
- **Vietnamese reads right in Excel.** The text starts with a UTF-8 byte order mark, without which Excel
  guesses a Windows code page and shows "Kiá»ƒm" for "Kiểm".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str | int | float:
    """One cell: None empty, a boolean as true/false, a date in ISO form, a list joined by spaces, and text
    that could start a formula behind a `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_document(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A CSV text (BOM, header, one line per row; columns missing from a row are empty)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(column)) for column in columns])
    return out.getvalue()

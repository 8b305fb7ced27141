"""Archive import and export: JSON Lines, CSV, schema.org ClaimReview (JSON-LD or HTML pages).

Input is streamed; every bad line or object is reported with file, line and reason while the good ones
are imported in batches, each batch in its own transaction. The archive owns only its own rows: an id in
the namespaces of fact-checks published here (`kc-`) or of subscriptions (`sub-`) is refused, and so is an
id someone else owns; fields over their size limits are cut or refused, non-http(s) links dropped, and
each cut or drop is reported as a note (`domain/imports.py`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kiemchung.domain.archive_imports import SUFFIXES
from kiemchung.domain.claimreview import (
    factcheck_from_claimreview,
    factcheck_to_claimreview,
    iter_claimreview_objects,
    ld_json_blocks,
)
from kiemchung.domain.imports import capped, reserved_id, with_linkable_id
from kiemchung.domain.models import FactCheck
from kiemchung.domain.records import InvalidRecord, factcheck_from_record, factcheck_to_record
from kiemchung.errors import InputError, RecordError
from kiemchung.ingest.lines import LineError, decoded_lines, load_json_line
from kiemchung.store.factchecks import FactCheckStore

FORMATS = ("auto", "jsonl", "csv", "claimreview", "html")
BATCH_SIZE = 500

# One parsed item: (line number, FactCheck) or (line number, reason).
Parsed = tuple[int, FactCheck | str]


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[RecordError] = field(default_factory=list)
    notes: list[RecordError] = field(default_factory=list)  # imported, but a field was cut or a link dropped
    lines_read: int = 0  # the line of the last record read (progress, for an import run in the background)

    @property
    def ok(self) -> bool:
        return not self.rejected


def detect_format(path: Path, head: bytes) -> str:
    suffix = path.suffix.lower()
    by_suffix = SUFFIXES
    if suffix in by_suffix:
        return by_suffix[suffix]
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return "html"
    if text.startswith("["):
        return "claimreview"
    if text.startswith("{"):
        return "jsonl" if "\n{" in text else "claimreview"
    return "csv"


def _factcheck_from_json(obj: Any) -> FactCheck:
    if isinstance(obj, dict) and ("claimReviewed" in obj or "@type" in obj):
        return factcheck_from_claimreview(obj)
    return factcheck_from_record(obj)


def parse_jsonl(stream: IO[bytes]) -> Iterator[Parsed]:
    for number, line in decoded_lines(stream):
        try:
            if isinstance(line, LineError):
                raise line
            yield number, _factcheck_from_json(load_json_line(line))
        except (LineError, InvalidRecord) as exc:
            yield number, str(exc)


def parse_csv(stream: IO[bytes]) -> Iterator[Parsed]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.DictReader(text)
    try:
        for row in reader:
            number = reader.line_num
            if None in row:
                yield number, "more cells than header columns"
                continue
            try:
                yield number, factcheck_from_record({k.strip(): v for k, v in row.items() if k})
            except InvalidRecord as exc:
                yield number, str(exc)
    except UnicodeDecodeError:
        yield reader.line_num + 1, "not valid UTF-8; the rest of the file was not read"
    except csv.Error as exc:
        yield reader.line_num, f"unreadable CSV: {exc}"


def _parse_json_document(text: str, first_line: int) -> Iterator[Parsed]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        yield first_line + exc.lineno - 1, f"invalid JSON: {exc.msg}"
        return
    found = False
    for obj in iter_claimreview_objects(document):
        found = True
        try:
            yield first_line, factcheck_from_claimreview(obj)
        except InvalidRecord as exc:
            yield first_line, str(exc)
    if not found:
        yield first_line, "no ClaimReview object found"


def parse_claimreview(stream: IO[bytes]) -> Iterator[Parsed]:
    try:
        text = stream.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        yield 1, "not valid UTF-8"
        return
    yield from _parse_json_document(text, 1)


def parse_html(stream: IO[bytes]) -> Iterator[Parsed]:
    raw = stream.read()
    text = raw.decode("utf-8-sig", errors="replace")
    blocks = ld_json_blocks(text)
    if not blocks:
        yield 1, 'no <script type="application/ld+json"> in the page'
        return
    for line, block in blocks:
        yield from (item for item in _parse_json_document(block, line) if item[1] != "no ClaimReview object found")


PARSERS: dict[str, Callable[[IO[bytes]], Iterator[Parsed]]] = {
    "jsonl": parse_jsonl,
    "csv": parse_csv,
    "claimreview": parse_claimreview,
    "html": parse_html,
}


class _CountingReader(io.RawIOBase):
    """Wraps a binary file and reports bytes read (for the progress bar)."""

    def __init__(self, inner: IO[bytes], on_read: Callable[[int], None]) -> None:
        self.inner = inner
        self.on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        self.on_read(len(data))
        return len(data)


def import_files(
    store: FactCheckStore,
    paths: Iterable[Path],
    fmt: str = "auto",
    progress: Callable[[int], None] | None = None,
    on_batch: Callable[[list[FactCheck]], None] | None = None,
    *,
    report: ImportReport | None = None,
) -> ImportReport:
    """Import every file; each batch of good records lands in one transaction. `report`, when given, is filled
    as the import goes (another thread may read its counts meanwhile) and returned."""
    report = ImportReport() if report is None else report
    for path in paths:
        _import_file(store, Path(path), fmt, report, progress, on_batch)
    return report


def _import_file(
    store: FactCheckStore,
    path: Path,
    fmt: str,
    report: ImportReport,
    progress: Callable[[int], None] | None,
    on_batch: Callable[[list[FactCheck]], None] | None,
) -> None:
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        chosen = fmt if fmt != "auto" else detect_format(path, handle.read(4096))
        handle.seek(0)
        stream = io.BufferedReader(_CountingReader(handle, progress or (lambda _n: None)))
        batch: list[tuple[int, FactCheck]] = []
        for line, item in PARSERS[chosen](stream):
            report.lines_read = max(report.lines_read, line)
            kept = _admit(item, str(path), line, report)
            if kept is None:
                continue
            batch.append((line, kept))
            if len(batch) >= BATCH_SIZE:
                _flush(store, batch, str(path), report, on_batch)
        _flush(store, batch, str(path), report, on_batch)


def _admit(item: FactCheck | str, source: str, line: int, report: ImportReport) -> FactCheck | None:
    """The fact-check as the archive may keep it, or None with the reason reported."""
    try:
        if isinstance(item, str):
            raise InvalidRecord(item)
        if reserved_id(item.id):
            raise InvalidRecord(f"id {item.id!r}: ids beginning kc- or sub- belong to fact-checks published "
                                "here and to subscriptions")  # fmt: skip
        item = with_linkable_id(item)
        kept, notes = capped(item)
    except InvalidRecord as exc:
        report.rejected.append(RecordError(str(exc), source=source, line=line))
        return None
    report.notes.extend(RecordError(note, source=source, line=line) for note in notes)
    return kept


def _flush(
    store: FactCheckStore,
    batch: list[tuple[int, FactCheck]],
    source: str,
    report: ImportReport,
    on_batch: Callable[[list[FactCheck]], None] | None,
) -> None:
    if not batch:
        return
    refused = set(store.upsert_many([fc for _, fc in batch]))
    for line, fc in batch:
        if fc.id in refused:
            report.rejected.append(RecordError(f"id {fc.id!r} is owned by an organisation or a subscription; "
                                               "not overwritten", source=source, line=line))  # fmt: skip
    landed = [fc for _, fc in batch if fc.id not in refused]
    report.imported += len(landed)
    if on_batch and landed:
        on_batch(landed)
    batch.clear()


def export_factchecks(store: FactCheckStore, out: IO[str], fmt: str) -> int:
    """Write every fact-check as JSON Lines records or as a ClaimReview JSON-LD list; returns the count."""
    if fmt not in {"jsonl", "claimreview"}:
        raise InputError(f"unknown export format {fmt!r}; expected jsonl or claimreview")
    count = 0
    if fmt == "claimreview":
        out.write("[\n")
    for fc in store.iter_all():
        if fmt == "jsonl":
            out.write(json.dumps(factcheck_to_record(fc), ensure_ascii=False) + "\n")
        else:
            out.write((",\n" if count else "") + json.dumps(factcheck_to_claimreview(fc), ensure_ascii=False))
        count += 1
    if fmt == "claimreview":
        out.write("\n]\n")
    return count

"""Post records from JSON Lines or CSV files: {"id", "text", "url"?, "title"?, "published"?}.

Used by dropped-file sources and by `kiemchung posts import`; each unreadable line is reported with its
number and reason, and the rest are read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from kiemchung.domain.imports import is_http_url
from kiemchung.ingest.items import Item, cut_text, parse_published
from kiemchung.ingest.lines import LineError, decoded_lines, load_json_line
from kiemchung.text import strip_controls

FILE_SUFFIXES = (".jsonl", ".ndjson", ".csv")
MAX_ID_CHARS = 255


def record_item(record: Any) -> Item:
    """The item of one record, or LineError saying what is wrong with it."""
    if not isinstance(record, dict):
        raise LineError(f"expected a JSON object, got {type(record).__name__}")
    post_id = record.get("id")
    if isinstance(post_id, int) and not isinstance(post_id, bool):
        post_id = str(post_id)
    if not isinstance(post_id, str) or not post_id.strip():
        raise LineError("missing id (a non-empty string or number)")
    if len(post_id) > MAX_ID_CHARS:
        raise LineError(f"id longer than {MAX_ID_CHARS} characters")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise LineError("missing text (a non-empty string)")
    for name in ("url", "title", "published"):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise LineError(f"{name} must be a string")
    published = record.get("published")
    if published and parse_published(published) is None:
        raise LineError(f"published is not an ISO 8601 date: {published!r}")
    url = strip_controls(record.get("url") or "").strip() or None
    if url is not None and not is_http_url(url):
        raise LineError(f"url must be an http(s) URL: {url[:100]!r}")
    text, note = cut_text(strip_controls(text))
    title = strip_controls(record.get("title") or "") or None
    return Item(strip_controls(post_id).strip(), text, url, title, published, note)


def read_records(stream: IO[bytes], name: str) -> Iterator[tuple[int, Item | LineError]]:
    if name.lower().endswith(".csv"):
        yield from _read_csv(stream)
        return
    for number, line in decoded_lines(stream):
        if isinstance(line, LineError):
            yield number, line
            continue
        try:
            yield number, record_item(load_json_line(line))
        except LineError as exc:
            yield number, exc


def _read_csv(stream: IO[bytes]) -> Iterator[tuple[int, Item | LineError]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        reader = csv.DictReader(text)
        for row in reader:
            try:
                yield reader.line_num, record_item({k: v for k, v in row.items() if k and v not in (None, "")})
            except LineError as exc:
                yield reader.line_num, exc
    except UnicodeDecodeError:
        yield 0, LineError("the CSV file is not valid UTF-8")
    except csv.Error as exc:
        yield 0, LineError(f"unreadable CSV: {exc}")
    finally:
        text.detach()  # the caller owns (and closes) the binary stream


def dropped_files(folder: Path) -> list[Path]:
    """Files waiting in a watched folder, oldest first (sub-folders such as done/ are not read)."""
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FILE_SUFFIXES]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))

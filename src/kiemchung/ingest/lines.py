"""Reading line-oriented input (JSON Lines, plain text) with one clear reason per unreadable line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any


class LineError(ValueError):
    """Why one line of input cannot be read."""


def decoded_lines(stream: IO[bytes]) -> Iterator[tuple[int, str | LineError]]:
    """(line number, text without its line break) for each non-blank line; a LineError if not UTF-8."""
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8-sig").rstrip("\r\n")
        except UnicodeDecodeError:
            yield number, LineError("not valid UTF-8")
            continue
        if line.strip():
            yield number, line


def load_json_line(line: str) -> Any:
    """The JSON value of one line, or LineError with the parser's reason and column."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise LineError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None

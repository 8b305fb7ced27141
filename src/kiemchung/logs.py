"""Logs as text (Python's default: warnings and errors on stderr) or, with KIEMCHUNG_LOG_FORMAT=json, as one
JSON object per line on stderr: time (UTC, ISO 8601), level, logger, message, then every `extra` field and
the exception's traceback when there is one — ready for journald, Loki or any log shipper.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import IO, Any

HANDLER_NAME = "kiemchung-json"
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(log_format: str, stream: IO[str] | None = None, level: int = logging.INFO) -> None:
    """Install (json) or remove (text) the JSON handler on the root logger; idempotent."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(handler)
    if log_format != "json":
        return
    handler = logging.StreamHandler(stream)  # None: the standard error stream
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)

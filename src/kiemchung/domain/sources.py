"""Sources the monitor watches, and their health."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

KINDS = {
    "feed": "RSS or Atom feed",
    "sitemap": "sitemap, sitemap index or news sitemap",
    "page": "a single web page, re-read on its schedule",
    "folder": "a folder where JSON Lines or CSV files are dropped",
    "push": "posts pushed by a partner to POST /api/v1/posts",
    "import": "posts imported with `kiemchung posts import`",
}
DEFAULT_INTERVAL_S = {"feed": 900, "sitemap": 1800, "page": 3600, "folder": 10, "push": 0, "import": 0}
MIN_INTERVAL_S = 5


@dataclass(frozen=True)
class Source:
    id: int
    kind: str
    name: str
    url: str | None
    config: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    interval_s: int = 900
    etag: str | None = None
    last_modified: str | None = None
    next_fetch_at: datetime | None = None
    last_fetch_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    items_total: int = 0
    organisation_id: int | None = None
    evidence: bool = False  # what it collects also joins its organisation's evidence library (issue 14)

    @property
    def fetched(self) -> bool:
        """Sources the monitor collects on a schedule (push and import sources receive instead)."""
        return self.kind in {"feed", "sitemap", "page", "folder"}

    @property
    def healthy(self) -> bool:
        return self.last_error is None

    def health_line(self) -> str:
        def when(moment: datetime | None) -> str:
            return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "never"

        state = "ok" if self.healthy else f"ERROR ({self.last_error})"
        if not self.enabled:
            state = "disabled"
        return (
            f"{self.name} [{self.kind}] {state}; last success {when(self.last_success_at)}; "
            f"items {self.items_total}; failures in a row {self.failures}"
        )

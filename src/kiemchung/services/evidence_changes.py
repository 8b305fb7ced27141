"""Removing and correcting a case's evidence: which piece, what the audit log keeps of it, what a correction
may change. The case service (services/case_evidence.py) checks roles and writes the change with its audit entry.
"""

from __future__ import annotations

from typing import Any

from kiemchung.domain.imports import is_http_url
from kiemchung.errors import InputError, NotFoundError
from kiemchung.store.cases import Case, Evidence
from kiemchung.text import strip_controls

MAX_QUOTE = 10_000


def evidence_of(case: Case, evidence_id: int) -> Evidence:
    for item in case.evidence:
        if item.id == evidence_id:
            return item
    raise NotFoundError(f"no evidence {evidence_id} in case {case.id}")


def evidence_detail(item: Evidence) -> dict[str, Any]:
    """What the audit log keeps of a piece of evidence (not a snapshot's or a file's content)."""
    kept = {"kind": item.kind, "title": item.title, "url": item.url, "file": item.file_name, "quote": item.quote,
            "source": item.quote_source, "archived": item.snapshot is not None}  # fmt: skip
    return {key: value for key, value in kept.items() if value is not None}


def checked_url(url: str) -> str:
    """An evidence URL as stored (new or corrected); InputError unless it is http(s)."""
    url = strip_controls(url).strip()
    if not is_http_url(url):
        raise InputError(f"not an http(s) URL: {url!r}")
    return url


def quote_values(quote: str, source: str) -> dict[str, str]:
    """A quoted piece of evidence's stored values (new or corrected); InputError without words or source."""
    quote, source = strip_controls(quote).strip(), strip_controls(source).strip()
    if not quote or not source:
        raise InputError("a quote needs its words and its source")
    return {"quote": quote[:MAX_QUOTE], "quote_source": source[:2000], "title": source[:300]}


def corrected(item: Evidence, change: dict[str, str]) -> dict[str, Any]:
    """The new values of a corrected piece of evidence, checked like a new one."""
    if item.kind == "url":  # archived again: the old snapshot was another page
        return {"url": checked_url(change.get("url") or ""), "title": None, "snapshot": None}
    if item.kind == "quote":
        return quote_values(change.get("quote") or "", change.get("source") or "")
    raise InputError("a document cannot be edited: upload the right file and remove this one")


def reason_of(text: str) -> str | None:
    return strip_controls(text).strip()[:500] or None

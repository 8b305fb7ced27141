"""Rules for fact-checks that come from outside — archive files and other organisations' ClaimReview feeds.
Pure.

- **Identities are owned.** Ids beginning `kc-` belong to fact-checks published here; ids beginning `sub-`
  to subscriptions: `sub-<subscription id>-<their id>`, so two feeds (or a feed and we) that both number
  their fact-checks `kc-N` never meet, and no feed can take an id we will publish under.
- **Field sizes are capped.** A claim or rating label over its limit is refused (a cut claim or verdict
  says something else); a summary or name over its limit is cut, and the cut is noted.
- **Links are http(s) only** (any case: `HTTPS://` too); any other link (`javascript:`, `data:`, …) is
  dropped, and the drop is noted.
- **Every id opens as a link.** An id that cannot stand as one segment of `/factchecks/{id}` (a URL, the
  usual id of third-party ClaimReview markup, or anything with `/` or `\\`) is replaced by a stable id
  derived from it (`cr-<slug>-<digest>`): the same markup always lands on the same row. Other ids are kept
  as they are (links quote them).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from urllib.parse import urlsplit

from kiemchung.domain.models import FactCheck
from kiemchung.domain.records import InvalidRecord
from kiemchung.text import fold_diacritics

PUBLISHED_PREFIX = "kc-"
SUBSCRIPTION_PREFIX = "sub-"
RESERVED_PREFIXES = (PUBLISHED_PREFIX, SUBSCRIPTION_PREFIX)

MAX_ID = 255  # the column's size
MAX_EXTERNAL_ID = 100  # longer ids (or ids with characters unsafe in a URL path) are replaced by a digest
MAX_CLAIM = 5_000
MAX_LABEL = 100
MAX_SUMMARY = 5_000
MAX_NAME = 200
MAX_LANGUAGE = 16
MAX_URL = 2_000
MAX_APPEARANCES = 20
_SAFE_ID = re.compile(r"^[A-Za-z0-9._~-]+$")
_UNLINKABLE = re.compile(r"[/\\\x00-\x1f\x7f]")  # what no quoting carries through a path segment
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
DERIVED_PREFIX = "cr-"
MAX_SLUG = 48


def is_http_url(value: str | None) -> bool:
    """An absolute http(s) URL with a host, the scheme in any case, no white space, at most MAX_URL long."""
    if not value or len(value) > MAX_URL or any(c.isspace() or ord(c) < 32 or c == "\x7f" for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


def reserved_id(identifier: str) -> bool:
    """Whether the id lies in a namespace no archive file may write (published here, or a subscription's)."""
    return identifier.lower().startswith(RESERVED_PREFIXES)


def subscription_factcheck_id(subscription_id: int, external_id: str) -> str:
    """The id under which a subscription's fact-check is stored: their id, or a digest of it when it is long
    or holds characters unsafe in a URL path, behind the subscription's own prefix."""
    if len(external_id) > MAX_EXTERNAL_ID or not _SAFE_ID.match(external_id):
        external_id = "h" + hashlib.sha256(external_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{SUBSCRIPTION_PREFIX}{subscription_id}-{external_id}"


def linkable_id(identifier: str) -> str:
    """The id itself when a link can carry it as one path segment, else `derived_id(identifier)`."""
    if identifier in {".", ".."} or _UNLINKABLE.search(identifier):
        return derived_id(identifier)
    return identifier


def with_linkable_id(fc: FactCheck) -> FactCheck:
    """The fact-check under `linkable_id(fc.id)`; an id replaced because it was a URL stays as its `url`
    when it has none."""
    identifier = linkable_id(fc.id)
    if identifier == fc.id:
        return fc
    return replace(fc, id=identifier, url=fc.url or (fc.id if is_http_url(fc.id) else None))


def derived_id(source: str) -> str:
    """A stable, URL-safe id for a fact-check known by `source` (its URL, usually): `cr-`, a slug of the
    last path segment, and a digest of the whole source (the same source always gives the same id)."""
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    segments = [part for part in urlsplit(source).path.split("/") if part] if is_http_url(source) else [source]
    slug = _NOT_SLUG.sub("-", fold_diacritics(segments[-1] if segments else "").lower()).strip("-")
    slug = slug[:MAX_SLUG].rstrip("-")
    return f"{DERIVED_PREFIX}{slug}-{digest}" if slug else f"{DERIVED_PREFIX}{digest}"


class _Notes:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def cut(self, name: str, value: str | None, limit: int) -> str | None:
        if value is None or len(value) <= limit:
            return value
        self.lines.append(f"{name} cut to {limit:,} characters (was {len(value):,})")
        return value[: limit - 1].rstrip() + "…"

    def link(self, name: str, value: str | None) -> str | None:
        if value is None or is_http_url(value):
            return value
        shown = value if len(value) <= 60 else value[:57] + "..."
        self.lines.append(f"{name} dropped: not an http(s) URL ({shown!r})")
        return None


def capped(fc: FactCheck) -> tuple[FactCheck, list[str]]:
    """The fact-check within the limits above, and a note for each field cut or link dropped. InvalidRecord
    when it cannot be kept at all (id, claim or rating label too long)."""
    if len(fc.id) > MAX_ID:
        raise InvalidRecord(f"id is longer than {MAX_ID} characters")
    if len(fc.claim) > MAX_CLAIM:
        raise InvalidRecord(f"claim is longer than {MAX_CLAIM:,} characters ({len(fc.claim):,})")
    if len(fc.rating.label) > MAX_LABEL:
        raise InvalidRecord(f"rating label is longer than {MAX_LABEL} characters ({len(fc.rating.label):,})")
    notes = _Notes()
    language = fc.language
    if language is not None and len(language) > MAX_LANGUAGE:
        notes.lines.append(f"language dropped: longer than {MAX_LANGUAGE} characters")
        language = None
    appearances = tuple(u for u in (notes.link("appearance", a) for a in fc.appearances) if u)
    if len(appearances) > MAX_APPEARANCES:
        notes.lines.append(f"appearances cut to {MAX_APPEARANCES} (were {len(appearances)})")
        appearances = appearances[:MAX_APPEARANCES]
    evidence = tuple(u for u in (notes.link("evidence link", e) for e in fc.evidence_links) if u)
    kept = replace(
        fc,
        url=notes.link("url", fc.url),
        language=language,
        summary=notes.cut("summary", fc.summary, MAX_SUMMARY),
        publisher=notes.cut("publisher", fc.publisher, MAX_NAME),
        publisher_url=notes.link("publisher url", fc.publisher_url),
        claim_author=notes.cut("claim author", fc.claim_author, MAX_NAME),
        appearances=appearances,
        first_appearance=notes.link("first appearance", fc.first_appearance),
        evidence_links=evidence[:MAX_APPEARANCES],
    )
    return kept, notes.lines

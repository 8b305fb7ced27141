"""schema.org ClaimReview: reading (JSON-LD objects, lists, @graph, HTML pages) and writing. Pure."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from kiemchung.domain.models import FactCheck, Rating
from kiemchung.domain.records import InvalidRecord, parse_date
from kiemchung.text import normalize_display


def iter_claimreview_objects(document: Any) -> Iterator[Any]:
    """Every object in a JSON-LD document that says it is a ClaimReview (single, list or @graph)."""
    if isinstance(document, list):
        for item in document:
            yield from iter_claimreview_objects(item)
    elif isinstance(document, Mapping):
        if "@graph" in document:
            yield from iter_claimreview_objects(document["@graph"])
        elif _is_claimreview(document) or "@type" not in document and "claimReviewed" in document:
            yield document


def _is_claimreview(obj: Mapping[str, Any]) -> bool:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and k.rsplit("/", 1)[-1] == "ClaimReview" for k in kinds)


class _LdJsonScripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str]] = []
        self._inside: int | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and (dict(attrs).get("type") or "").strip().lower() == "application/ld+json":
            self._inside = self.getpos()[0]
            self._buffer = []

    def handle_data(self, data: str) -> None:
        if self._inside is not None:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inside is not None:
            self.blocks.append((self._inside, "".join(self._buffer)))
            self._inside = None


def ld_json_blocks(html: str) -> list[tuple[int, str]]:
    """(line number, text) of each <script type="application/ld+json"> in an HTML page."""
    parser = _LdJsonScripts()
    parser.feed(html)
    parser.close()
    return parser.blocks


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping):
        value = value.get("name")
    return normalize_display(value) if isinstance(value, str) and value.strip() else None


def _url(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("url") or value.get("@id")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidRecord(f"rating value {value!r} is not a number") from None
    if not math.isfinite(number):
        raise InvalidRecord(f"rating value {value!r} is not a finite number")
    return number


def _rating(review_rating: Any) -> Rating:
    if isinstance(review_rating, list):
        review_rating = review_rating[0] if review_rating else {}
    if not isinstance(review_rating, Mapping):
        raise InvalidRecord("reviewRating must be an object")
    label = _name({"name": review_rating.get("alternateName")}) or _name(review_rating)
    if label is None:
        raise InvalidRecord("reviewRating has no alternateName")
    return Rating(
        label=label,
        value=_number(review_rating.get("ratingValue")),
        best=_number(review_rating.get("bestRating")),
        worst=_number(review_rating.get("worstRating")),
    )


def _appearances(item: Mapping[str, Any]) -> tuple[str, ...]:
    value = item.get("appearance")
    values = value if isinstance(value, list) else [value] if value else []
    urls = (_url(v) for v in values)
    return tuple(u for u in urls if u)


def _identifier(obj: Mapping[str, Any], claim: str, item: Mapping[str, Any]) -> str:
    for key in ("identifier", "@id", "url"):
        value = obj.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    digest = hashlib.sha256(f"{claim}\x00{_name(item.get('author')) or ''}".encode()).hexdigest()
    return f"cr-{digest[:16]}"


def factcheck_from_claimreview(obj: Any) -> FactCheck:
    if not isinstance(obj, Mapping):
        raise InvalidRecord(f"expected a ClaimReview object, got {type(obj).__name__}")
    claim = obj.get("claimReviewed")
    if not isinstance(claim, str) or not claim.strip():
        raise InvalidRecord("ClaimReview has no claimReviewed")
    reviewed = obj.get("itemReviewed")
    item: Mapping[str, Any] = reviewed if isinstance(reviewed, Mapping) else {}
    author = obj.get("author")
    return FactCheck(
        id=_identifier(obj, claim, item),
        claim=normalize_display(claim),
        rating=_rating(obj.get("reviewRating")),
        url=_url(obj.get("url")),
        language=_name({"name": obj.get("inLanguage")}),
        published=parse_date(obj.get("datePublished")),
        summary=_name({"name": obj.get("description")}),
        publisher=_name(author),
        publisher_url=_url(author) if isinstance(author, Mapping) else None,
        claim_author=_name(item.get("author")),
        claim_date=parse_date(item.get("datePublished")),
        appearances=_appearances(item),
        first_appearance=_url(item.get("firstAppearance")),
    )


def _drop_empty(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v not in (None, "", [], {})}


def _number_out(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def factcheck_to_claimreview(fc: FactCheck) -> dict[str, Any]:
    """schema.org ClaimReview JSON-LD for one fact-check."""
    item = _drop_empty(
        {
            "@type": "Claim",
            "author": _drop_empty({"@type": "Organization", "name": fc.claim_author}) if fc.claim_author else None,
            "datePublished": fc.claim_date.isoformat() if fc.claim_date else None,
            "appearance": [{"@type": "CreativeWork", "url": u} for u in fc.appearances],
            "firstAppearance": {"@type": "CreativeWork", "url": fc.first_appearance} if fc.first_appearance else None,
        }
    )
    rating = _drop_empty(
        {
            "@type": "Rating",
            "ratingValue": _number_out(fc.rating.value),
            "bestRating": _number_out(fc.rating.best),
            "worstRating": _number_out(fc.rating.worst),
            "alternateName": fc.rating.label,
        }
    )
    author = _drop_empty({"@type": "Organization", "name": fc.publisher, "url": fc.publisher_url})
    return _drop_empty(
        {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "identifier": fc.id,
            "url": fc.url,
            "claimReviewed": fc.claim,
            "datePublished": fc.published.isoformat() if fc.published else None,
            "dateModified": fc.modified.isoformat() if fc.modified else None,
            "inLanguage": fc.language,
            "description": fc.summary,
            "author": author if len(author) > 1 else None,
            "reviewRating": rating,
            "itemReviewed": item,
        }
    )


def first_appearance_of(seen: Sequence[tuple[str, datetime | None]]) -> tuple[str, datetime | None] | None:
    """Of the places a claim was seen (address, when it was published there, if known), the first known
    appearance: the earliest dated one; the first listed when none has a date; None when there is none."""
    dated: list[tuple[str, datetime]] = [(url, when) for url, when in seen if when is not None]
    if dated:
        return min(dated, key=lambda pair: _aware(pair[1]))
    return seen[0] if seen else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def claimreview_json(fc: FactCheck) -> str:
    """JSON-LD text safe to embed in a <script> element."""
    text = json.dumps(factcheck_to_claimreview(fc), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from kiemchung.domain.claimreview import (
    claimreview_json,
    factcheck_from_claimreview,
    factcheck_to_claimreview,
    first_appearance_of,
    iter_claimreview_objects,
    ld_json_blocks,
)
from kiemchung.domain.models import FactCheck, Rating
from kiemchung.domain.records import InvalidRecord, factcheck_from_record

FULL = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://example.org/fc/1",
    "claimReviewed": "Uống nước chanh chữa khỏi ung thư",
    "datePublished": "2026-03-02",
    "author": {"@type": "Organization", "name": "Tổ kiểm chứng", "url": "https://example.org"},
    "reviewRating": {"@type": "Rating", "ratingValue": 2, "bestRating": 5, "worstRating": 1, "alternateName": "Sai"},
    "itemReviewed": {
        "@type": "Claim",
        "author": {"@type": "Organization", "name": "Trang tin X"},
        "datePublished": "2026-02-27",
        "appearance": [{"@type": "CreativeWork", "url": "https://a.example/1"}, {"url": "https://b.example/2"}],
        "firstAppearance": {"@type": "CreativeWork", "url": "https://a.example/1"},
    },
}


def test_every_field_that_matters_survives_a_round_trip() -> None:
    fc = factcheck_from_claimreview(FULL)
    again = factcheck_from_claimreview(json.loads(json.dumps(factcheck_to_claimreview(fc))))
    assert again == fc
    assert fc.rating == Rating("Sai", 2, 5, 1)
    assert fc.claim_author == "Trang tin X" and fc.claim_date == date(2026, 2, 27)
    assert fc.appearances == ("https://a.example/1", "https://b.example/2")
    assert fc.publisher == "Tổ kiểm chứng" and fc.url == "https://example.org/fc/1"


def test_objects_are_found_in_lists_and_graphs() -> None:
    other = {"@type": "WebPage", "name": "x"}
    assert len(list(iter_claimreview_objects([FULL, other, {"@graph": [FULL, other]}]))) == 2


def test_ld_json_scripts_are_found_in_html_with_their_line() -> None:
    html = '<html>\n<head>\n<script type="application/ld+json">{"a": 1}</script></head></html>'
    assert ld_json_blocks(html) == [(3, '{"a": 1}')]


def test_embedded_json_cannot_close_the_script_element() -> None:
    fc = FactCheck(id="x", claim="</script><script>alert(1)</script>", rating=Rating("Sai"))
    assert "</script>" not in claimreview_json(fc)
    assert json.loads(claimreview_json(fc))["claimReviewed"] == fc.claim


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"claim": "x", "rating": "Sai"}, "missing required field 'id'"),
        ({"id": "1", "rating": "Sai"}, "missing required field 'claim'"),
        ({"id": "1", "claim": "x", "rating": "Sai", "published": "hôm qua"}, "unreadable date"),
        ([1, 2], "expected an object"),
    ],
)
def test_invalid_records_say_why(record: object, reason: str) -> None:
    with pytest.raises(InvalidRecord, match=reason):
        factcheck_from_record(record)


def test_a_known_rating_gets_its_place_on_the_default_scale() -> None:
    fc = factcheck_from_record({"id": 7, "claim": "x", "rating": "sai"})
    assert fc.id == "7" and fc.rating == Rating("Sai", 2, 5, 1)


def test_the_claim_carries_its_appearances_first_appearance_and_date_and_a_correction_its_date() -> None:
    fc = FactCheck("kc-1", "Uống nước chanh chữa khỏi ung thư", Rating("Sai", 2, 5, 1), url="https://kc.example/fc",
                   published=date(2026, 3, 2), claim_date=date(2026, 2, 27), first_appearance="https://b.example/2",
                   appearances=("https://a.example/1", "https://b.example/2"))  # fmt: skip
    item = factcheck_to_claimreview(fc)["itemReviewed"]
    assert item["@type"] == "Claim" and item["datePublished"] == "2026-02-27"
    assert item["appearance"] == [{"@type": "CreativeWork", "url": "https://a.example/1"},
                                  {"@type": "CreativeWork", "url": "https://b.example/2"}]  # fmt: skip
    assert item["firstAppearance"] == {"@type": "CreativeWork", "url": "https://b.example/2"}
    assert "dateModified" not in factcheck_to_claimreview(fc)  # never corrected
    corrected = factcheck_to_claimreview(replace(fc, modified=datetime(2026, 3, 5, 8, 30, tzinfo=UTC)))
    assert corrected["dateModified"] == "2026-03-05T08:30:00+00:00" and corrected["datePublished"] == "2026-03-02"


def test_the_first_appearance_is_the_earliest_dated_else_the_first_listed() -> None:
    early, late = datetime(2026, 2, 27, 9, tzinfo=UTC), datetime(2026, 2, 28, tzinfo=UTC)
    seen = [("https://a.example/1", late), ("https://b.example/2", None), ("https://c.example/3", early)]
    assert first_appearance_of(seen) == ("https://c.example/3", early)
    naive = datetime(2026, 2, 27, 8)  # a naive time is read as UTC: earlier than 9:00 UTC
    assert first_appearance_of([*seen, ("https://d.example/4", naive)]) == ("https://d.example/4", naive)
    assert first_appearance_of([("https://a.example/1", None), ("https://b.example/2", None)]) == (
        "https://a.example/1", None)  # fmt: skip
    assert first_appearance_of([]) is None

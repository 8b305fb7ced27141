"""Pure rules for what comes from outside: control characters, http(s) links, owned ids, field limits."""

from __future__ import annotations

import pytest

from kiemchung.domain.imports import (
    MAX_NAME,
    capped,
    is_http_url,
    reserved_id,
    subscription_factcheck_id,
)
from kiemchung.domain.models import FactCheck, Rating
from kiemchung.domain.records import InvalidRecord
from kiemchung.text import normalize_display, strip_controls


def test_strip_controls_keeps_text_and_line_breaks_and_drops_what_xml_cannot_hold() -> None:
    assert strip_controls("Dòng một\vdòng hai\fba\tbốn\r\nnăm") == "Dòng một\ndòng hai\nba\tbốn\r\nnăm"
    assert strip_controls("a\x00b\x01c\x08d\x1fe\ufffef\uffff") == "abcdef"
    assert strip_controls("lẻ \ud800 loi \udfff") == "lẻ \ufffd loi \ufffd"
    assert strip_controls("😀 \x7f é") == "😀 \x7f é"  # DEL is allowed in XML 1.0
    assert normalize_display("  Tin\x0bđồn\x02 mới ") == "Tin đồn mới"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/a", True),
        ("HTTPS://example.org/a", True),
        ("Http://example.org", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,x", False),
        ("//example.org/a", False),
        ("https://", False),
        ("https://exa mple.org", False),
        ("https://example.org/\x00", False),
        ("https://example.org/" + "a" * 3000, False),
        ("", False),
        (None, False),
    ],
)
def test_only_absolute_http_links_are_links(url: str | None, ok: bool) -> None:
    assert is_http_url(url) is ok


def test_subscription_ids_are_namespaced_and_url_safe() -> None:
    assert subscription_factcheck_id(3, "kc-22") == "sub-3-kc-22"
    assert subscription_factcheck_id(4, "kc-22") != subscription_factcheck_id(3, "kc-22")
    unsafe = subscription_factcheck_id(3, "https://other.example/fc/1")
    assert unsafe.startswith("sub-3-h") and "/" not in unsafe
    assert subscription_factcheck_id(3, "x" * 500) == subscription_factcheck_id(3, "x" * 500)
    assert len(subscription_factcheck_id(3, "x" * 500)) < 50
    assert reserved_id("kc-1") and reserved_id("SUB-1-x") and not reserved_id("demo-001")


def test_capped_refuses_what_cannot_be_cut_and_notes_every_cut() -> None:
    base = FactCheck("a", "Nhận định", Rating("Sai"))
    with pytest.raises(InvalidRecord, match="claim is longer"):
        capped(FactCheck("a", "x" * 5001, Rating("Sai")))
    with pytest.raises(InvalidRecord, match="rating label is longer"):
        capped(FactCheck("a", "x", Rating("S" * 101)))
    assert capped(base) == (base, [])
    kept, notes = capped(
        FactCheck("a", "x", Rating("Sai"), url="javascript:alert(1)", publisher="P" * 500, language="l" * 40,
                  appearances=("https://a.example", "data:x", *(f"https://b.example/{n}" for n in range(30))))
    )  # fmt: skip
    assert kept.url is None and kept.language is None and kept.publisher is not None
    assert len(kept.publisher) == MAX_NAME and len(kept.appearances) == 20 and "data:x" not in kept.appearances
    assert notes == [
        "language dropped: longer than 16 characters",
        "appearance dropped: not an http(s) URL ('data:x')",
        "appearances cut to 20 (were 31)",
        "url dropped: not an http(s) URL ('javascript:alert(1)')",
        "publisher cut to 200 characters (was 500)",
    ]

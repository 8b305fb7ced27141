"""Issue 11, item 1: every archive id opens as a link; ids that cannot are replaced by a stable one."""

from kiemchung.domain.imports import derived_id, linkable_id, reserved_id


def test_ids_a_link_can_carry_are_kept() -> None:
    for identifier in ("demo-001", "fc 12", "tin-giả-1", "a?b#c%d"):  # links quote these
        assert linkable_id(identifier) == identifier


def test_urls_and_slashes_become_a_stable_url_safe_id() -> None:
    url = "https://factcheck.example/kiểm-chứng/Uống-nước-chanh/"
    derived = linkable_id(url)
    assert derived == derived_id(url) == linkable_id(url)  # the same source, the same id
    assert derived.startswith("cr-uong-nuoc-chanh-") and len(derived) <= 3 + 48 + 1 + 12
    assert all(c.isalnum() or c == "-" for c in derived) and not reserved_id(derived)
    assert linkable_id("https://factcheck.example/") != linkable_id("https://other.example/")
    assert linkable_id("kc-1/../x").startswith("cr-") and linkable_id("..").startswith("cr-")

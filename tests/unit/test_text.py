import pytest

from kiemchung.text import canonical_tones, fold_diacritics, normalize_for_matching, split_sentences, tokens
from kiemchung.text.tones import canonical_syllable


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("hoà", "hòa"),
        ("Hoà", "Hòa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("hòa", "hòa"),
        ("hoàn", "hoàn"),
        ("quý", "quý"),
        ("giữa", "giữa"),
        ("người", "người"),
        ("uỷ", "ủy"),
        ("khoái", "khoái"),
        ("gìn", "gìn"),
    ],
)
def test_tone_marks_move_to_the_canonical_vowel(given: str, expected: str) -> None:
    assert canonical_syllable(given) == expected


def test_old_and_new_tone_styles_compare_equal_after_normalisation() -> None:
    assert normalize_for_matching("Hoà bình, sức khoẻ, thuỷ điện") == normalize_for_matching(
        "Hòa bình, sức khỏe, thủy điện"
    )


def test_decomposed_input_is_composed() -> None:
    decomposed = "Vie\u0302\u0323t Nam"
    assert canonical_tones(decomposed) == "Việt Nam"


def test_shorthand_numbers_and_spelling_variants() -> None:
    assert tokens("ko dc 1.000.000 đ, 2,5 tỷ USD, tăng 30%") == [
        "không",
        "được",
        "1000000",
        "đồng",
        "2.5",
        "tỉ",
        "đô",
        "la",
        "tăng",
        "30",
        "phần",
        "trăm",
    ]
    assert tokens("Kỹ sư Mỹ") == tokens("kĩ sư Mĩ")


def test_folding_is_a_separate_field_and_folds_d_stroke() -> None:
    assert fold_diacritics("Đường phố Hà Nội") == "Duong pho Ha Noi"
    assert normalize_for_matching("má") != normalize_for_matching("mà")


def test_sentences_split_on_punctuation_but_not_abbreviations() -> None:
    text = "TP. HCM ghi nhận 5 ca. Bộ Y tế khuyến cáo! Giá 2.5 triệu đồng.\nDòng mới"
    assert split_sentences(text) == ["TP. HCM ghi nhận 5 ca.", "Bộ Y tế khuyến cáo!", "Giá 2.5 triệu đồng.", "Dòng mới"]

import random

from kiemchung.text import tokens
from kiemchung.text.analysis import analyse
from kiemchung.text.spinning import SpinTable, default_spin_table
from kiemchung.text.variants import shorthand, spin, strip_diacritics

TABLE = SpinTable([["sân bay", "trường bay", "phi trường"], ["bốn", "tư", "tứ"], ["tư tưởng", "tâm lý"]])


def test_spun_words_share_the_group_of_the_original() -> None:
    original = analyse("Ông nói về tư tưởng ở sân bay", TABLE)
    spun = analyse("Ông nói về tứ tưởng ở trường bay", TABLE)
    assert original.groups & spun.groups == {0, 1}


def test_overlapping_phrases_all_count() -> None:
    spans = TABLE.group_spans(tokens("tư tưởng"))
    assert (0, 2, (2,)) in spans and (0, 1, (1,)) in spans


def test_the_shipped_tables_reverse_a_real_spin() -> None:
    table = default_spin_table()
    assert analyse("xây sân bay mới", table).groups & analyse("xây phi trường mới", table).groups


def test_spinning_changes_words_but_keeps_the_groups() -> None:
    rng = random.Random(3)
    text = "Phó Bí thư Thường trực cho biết sân bay quốc tế tăng 30% công suất"
    spun = spin(text, 1.0, rng)
    assert spun != text
    assert len(analyse(spun).groups & analyse(text).groups) >= 3


def test_social_style_variants_fold_and_shorten() -> None:
    rng = random.Random(1)
    variant = shorthand("Người dân không được mua vé", rng)
    assert "ng dan ko dc mua ve" in variant
    assert tokens(strip_diacritics("Người dân")) != tokens("Người dân")

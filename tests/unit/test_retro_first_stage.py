"""Retro-matching's first stage (domain/retro.py): folded, shorthand-aware, rarity-weighted word overlap, and a
quick gate that never turns away what the exact comparison proposes."""

from kiemchung.domain.retro import MIN_PAIR_SHARE, FirstStage, folded_words

CLAIM = "Uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư."
RARE = {"chanh": 5.0, "ung": 5.0, "thu": 2.0, "benh": 5.0, "uong": 5.0}


def _weight(word: str) -> float:
    return RARE.get(word, 1.0)


def test_repeats_without_diacritics_or_in_shorthand_are_proposed_unrelated_text_is_not() -> None:
    stage = FirstStage.of(CLAIM, _weight)
    assert stage.proposes("ae oi uong nuoc chanh nong moi sang la chua khoi ung thu nhe")
    assert stage.proposes("Mỗi sáng một cốc nước chanh nóng sẽ chữa khỏi ung thư")
    assert not stage.proposes("Chiều nay Hà Nội mưa lớn, nhiều tuyến phố ùn tắc kéo dài.")
    assert not stage.proposes("Giúp người già mỗi sáng")  # common words only: too little of the claim's weight
    assert not stage.proposes("Bệnh viện ung bướu: uống thuốc đúng giờ, ăn chanh, nước ấm")  # scattered words


def test_the_gate_never_refuses_what_the_exact_comparison_proposes() -> None:
    claims = [CLAIM, "Bác sĩ nói người bị tiểu đường không được ăn chuối", "Kỹ sư Mỹ chế tạo xe chạy bằng nước"]
    posts = [
        "bac si noi nguoi bi tieu duong ko dc an chuoi",  # shorthand: ko → không, dc → được
        "kĩ sư Mĩ chế tạo xe chạy bằng nước",  # kỹ/kĩ
        "Ky su My che tao xe chay bang nuoc la",
        "UỐNG NƯỚC CHANH NÓNG MỖI SÁNG CHỮA KHỎI UNG THƯ",
        "Uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư.",  # decomposed below as well
    ]
    import unicodedata

    posts.append(unicodedata.normalize("NFD", posts[-1]))
    checked = 0
    for claim in claims:
        for share in (0.2, 0.3, 0.5, 0.8):
            stage = FirstStage.of(claim, _weight, share)
            for post in posts:
                shared = len(stage.weights.keys() & folded_words(post))
                exact = stage.share(post) >= share and stage.pair_share(post) >= MIN_PAIR_SHARE and shared >= 2
                assert stage.proposes(post) == exact, (claim, post, share)
                checked += exact
    assert checked >= 20

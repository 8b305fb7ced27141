"""Stance cues and the stance model's contract (the trained artifact's quality is measured by the gate)."""

from __future__ import annotations

from kiemchung.matching.stance import StanceModel
from kiemchung.text.stance import stance_features, stance_terms

CLAIM = "Uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư."


def test_cues_beyond_the_claims_own() -> None:
    denial = stance_features("Không có chuyện uống nước chanh chữa ung thư, đó là tin giả.", CLAIM)
    question = stance_features("Có thật là uống nước chanh nóng chữa ung thư không mọi người?", CLAIM)
    assert denial["refute_cues"] >= 2 and denial["question_mark"] == 0
    assert question["ask_cues"] >= 1 and question["ends_with_question"] == 1
    # A claim that itself says "tin giả" does not make its repeats look like denials.
    scam = "Tin nhắn báo trúng thưởng là tin giả của kẻ lừa đảo."
    assert stance_features("Tin nhắn báo trúng thưởng là tin giả của kẻ lừa đảo!!", scam)["refute_cues"] == 0


def test_cues_match_text_typed_without_diacritics() -> None:
    assert stance_features("khong co chuyen do dau, tin gia het", CLAIM)["refute_cues"] >= 2


def test_terms_leave_out_the_claims_words() -> None:
    terms = stance_terms("Bác sĩ khẳng định uống nước chanh không chữa được ung thư", CLAIM)
    assert "t:khang" in terms and "t:chanh" not in terms and "t:bac_si" in terms


def test_every_post_gets_one_of_three_stances() -> None:
    shipped, rule = StanceModel.load(), StanceModel()
    for model in (shipped, rule):
        assert model.stance("Không có chuyện đó, tin giả!", CLAIM) == "refutes"
        assert model.stance("Uống nước chanh nóng chữa ung thư thật không ạ?", CLAIM) == "asks"
        assert model.stance("Uống nước chanh nóng mỗi sáng chữa khỏi ung thư, chia sẻ ngay", CLAIM) == "repeats"

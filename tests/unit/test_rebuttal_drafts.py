"""The evidence assistant's verdict on the rating scale, and the rebuttal drafted from a case's evidence
(domain/rebuttal_drafts.py): a rating is picked by what the scale's own names mean, never a near miss; the
draft is one sentence per line, each citing the case's evidence by its number, and its own text never reads
as a citation."""

from __future__ import annotations

from datetime import date

import pytest

from kiemchung.domain.ratings import VIETNAMESE_DEFAULT, rating_scale
from kiemchung.domain.rebuttal_drafts import DraftEvidence, cited_numbers, draft_rebuttal, rating_for_verdict
from kiemchung.services.case_evidence import parse_rebuttal


def test_the_default_scale_maps_each_verdict_to_the_rating_of_that_meaning() -> None:
    assert rating_for_verdict(VIETNAMESE_DEFAULT, "supported") == "Đúng"
    assert rating_for_verdict(VIETNAMESE_DEFAULT, "refuted") == "Sai"
    assert rating_for_verdict(VIETNAMESE_DEFAULT, "not_enough_info") == "Chưa có bằng chứng"
    assert rating_for_verdict(VIETNAMESE_DEFAULT, "maybe") is None


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("Pants on Fire,False,Half True,Mostly True,True", ("True", "False", None)),
        (
            "Bịa đặt, Sai sự thật ,Chưa được kiểm chứng,Đúng sự thật.",
            ("Đúng sự thật.", "Sai sự thật", "Chưa được kiểm chứng"),
        ),  # the plainest name: not "Bịa đặt"
        ("Fake,Unverified,Correct", ("Correct", "Fake", "Unverified")),
        # near misses are not the rating: "Không đúng" is not "Đúng", "Mostly true" is not "True"
        ("Không đúng,Gần đúng,Mostly true", (None, "Không đúng", None)),
        ("Xấu,Trung bình,Tốt", (None, None, None)),  # a scale with no such meaning gets none
        ("ĐÚNG,SAI", ("ĐÚNG", "SAI", None)),
    ],
)
def test_a_configured_scale_is_read_by_its_own_names(labels: str, expected: tuple[str | None, ...]) -> None:
    scale = rating_scale(labels)
    got = tuple(rating_for_verdict(scale, v) for v in ("supported", "refuted", "not_enough_info"))
    assert got == expected


def test_the_draft_opens_with_the_claim_and_verdict_and_cites_each_piece_by_its_number() -> None:
    evidence = [
        DraftEvidence(1, "url", None, "Cổng thông tin Chính phủ", None),
        DraftEvidence(
            2,
            "quote",
            "Giá điện bình quân tăng 4,8% từ ngày 11/10/2026.",
            "Tập đoàn Điện lực Việt Nam",
            date(2026, 10, 10),
        ),  # fmt: skip
        DraftEvidence(3, "quote", "Hộ nghèo tiếp tục được hỗ trợ", "https://evn.com.vn/gia-dien-2026", None),
        DraftEvidence(4, "document", None, "thong-cao.pdf", None),
    ]
    draft = draft_rebuttal("Giá điện tăng 50% từ tháng sau", "refuted", "Sai", evidence)
    assert draft.splitlines() == [
        "Nhận định “Giá điện tăng 50% từ tháng sau”: kết luận gợi ý là Sai.",
        "Xem thêm: Cổng thông tin Chính phủ. [1]",
        "Theo Tập đoàn Điện lực Việt Nam (10/10/2026), Giá điện bình quân tăng 4,8% từ ngày 11/10/2026. [2]",
        "Theo https://evn.com.vn/gia-dien-2026, Hộ nghèo tiếp tục được hỗ trợ. [3]",
        "Xem thêm: thong-cao.pdf. [4]",
    ]
    assert cited_numbers(draft) == [1, 2, 3, 4]
    parsed = parse_rebuttal(draft, 4)  # what saving the verdict form would store
    assert [s["cites"] for s in parsed] == [[], [1], [2], [3], [4]]


def test_without_a_fitting_rating_the_draft_names_the_verdict_and_without_evidence_says_so() -> None:
    draft = draft_rebuttal("Trường học nghỉ cả tháng 3", "not_enough_info", None, [])
    first, second = draft.splitlines()
    assert first == "Nhận định “Trường học nghỉ cả tháng 3”: kết luận gợi ý là chưa đủ thông tin."
    assert "chưa có bằng chứng" in second and cited_numbers(draft) == []


def test_the_drafts_own_text_never_reads_as_a_citation_and_stays_one_sentence_per_line() -> None:
    claim = "Bài viết [3] nói\ngiá xăng tăng [12] lần " + "rất " * 200
    evidence = [DraftEvidence(1, "quote", "Giá xăng\ngiảm [2] đồng.", "Bộ Công Thương\n[5]", None)]
    draft = draft_rebuttal(claim, "refuted", "Sai", evidence)
    lines = draft.splitlines()
    assert len(lines) == 2 and cited_numbers(draft) == [1]
    assert "(3)" in lines[0] and "(12)" in lines[0] and lines[0].count("…") == 1 and len(lines[0]) < 360
    assert lines[1] == "Theo Bộ Công Thương (5), Giá xăng giảm (2) đồng. [1]"
    assert parse_rebuttal(draft, 1)[1]["cites"] == [1]

"""Pure monitoring logic: fingerprints and copies, check-worthiness, spreading claims, URLs, decoding."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from kiemchung.domain.ratings import is_debunked
from kiemchung.errors import InputError
from kiemchung.ingest.decoding import decode
from kiemchung.ingest.items import canonical_url, parse_published
from kiemchung.monitoring.checkworthiness import baseline_score, default_checkworthiness
from kiemchung.monitoring.copies import CopyIndex
from kiemchung.monitoring.spread import SpreadWindow
from kiemchung.services.case_evidence import parse_rebuttal
from kiemchung.text.fingerprint import Fingerprint, copy_tokens, fingerprint, similarity
from kiemchung.text.variants import spin
from tests.servers import to_cp1258

ARTICLE = (
    "Phó Bí thư Thành ủy cho biết thành phố sẽ đầu tư 12 nghìn tỉ đồng để cải tạo hệ thống thoát nước. "
    "Theo kế hoạch, 35 tuyến cống mới sẽ được xây dựng ở các quận trung tâm trước mùa mưa năm 2027. "
    "Người dân sống gần các công trình sẽ được thông báo lịch thi công trước ít nhất hai tuần. "
    "Sở Xây dựng đề nghị các đơn vị thi công bảo đảm an toàn giao thông và vệ sinh môi trường. "
    "Năm ngoái, nhiều tuyến phố bị ngập sâu sau những trận mưa lớn kéo dài hơn ba giờ liền. "
    "Các chuyên gia cho rằng cần kết hợp hồ điều hòa với trạm bơm để giảm ngập bền vững."
)
OTHER = (
    "Công an quận vừa triệt phá đường dây đánh bạc qua mạng với số tiền giao dịch hơn 50 tỉ đồng. "
    "Các đối tượng sử dụng tài khoản ngân hàng của người khác để chuyển tiền cho người chơi. "
    "Cơ quan điều tra đã tạm giữ 9 người và thu giữ nhiều máy tính, điện thoại. "
    "Vụ việc đang được mở rộng điều tra để làm rõ vai trò của từng đối tượng liên quan."
)


def test_spinnable_phrases_become_gaps_so_spun_copies_keep_their_fingerprint() -> None:
    assert copy_tokens("Phó Bí thư")[0] != "pho" or "_" in copy_tokens("Phó Bí thư")
    original = fingerprint(ARTICLE)
    for seed in range(5):
        spun = spin(ARTICLE, 0.6, random.Random(seed))
        assert spun != ARTICLE
        assert similarity(original, fingerprint(spun)) >= 0.5
    assert similarity(original, fingerprint(OTHER)) < 0.1
    assert Fingerprint.from_bytes(original.to_bytes()) == original


def test_the_copy_index_finds_whole_and_partial_copies_only() -> None:
    index = CopyIndex()
    index.add("goc", fingerprint(ARTICLE))
    index.add("khac", fingerprint(OTHER))
    whole = index.best(fingerprint(spin(ARTICLE, 0.4, random.Random(1))))
    assert whole is not None and whole.post_id == "goc" and whole.similarity >= 0.5
    sentences = ARTICLE.split(". ")
    page = "\n".join(["Bạn đang xem: Thời sự", "Xem thêm: Giá vàng", *sentences[1:4], "Gửi bình luận", "Họ và tên"])
    partial = index.best(fingerprint(page))
    assert partial is not None and partial.post_id == "goc"
    unrelated = "Đội tuyển bóng đá quốc gia sẽ thi đấu giao hữu với Thái Lan vào cuối tháng này tại Mỹ Đình."
    assert index.best(fingerprint(unrelated)) is None


@pytest.mark.parametrize(
    "sentence",
    ["Bạn đang xem: Giá vàng hôm nay", "Xem thêm: Tin mới", "Gửi bình luận", "Xin chào cả nhà!",
     "Mọi người thấy sao về chuyện này?", "Theo mình thì món này ngon hơn hẳn.", "Leave a comment"],
)  # fmt: skip
def test_boilerplate_questions_and_opinions_are_not_claims(sentence: str) -> None:
    assert not default_checkworthiness().is_claim(sentence)


@pytest.mark.parametrize(
    "sentence",
    ["Giá xăng RON95 tăng 1.200 đồng mỗi lít từ 15 giờ chiều nay.", "Tiêm vắc xin gây vô sinh ở phụ nữ trẻ.",
     "Bộ Y tế vừa công bố có 5 ca mắc mới trong ngày hôm qua.", "The unemployment rate fell to 3.5% in March."],
)  # fmt: skip
def test_factual_claims_are_check_worthy(sentence: str) -> None:
    assert default_checkworthiness().is_claim(sentence)
    assert baseline_score("Không có con số nào ở đây.") == 0.0


def test_a_claim_spreads_when_enough_sources_repeat_it_within_the_window() -> None:
    window = SpreadWindow(min_sources=3, window=timedelta(minutes=10))
    now = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    claim = "Bộ Tài chính sẽ tăng thuế thu nhập cá nhân lên 40 phần trăm từ tháng 7 năm sau"
    assert window.observe(now, 1, "a", 0, claim) is None
    assert window.observe(now + timedelta(minutes=1), 1, "b", 0, claim) is None  # same source again
    assert window.observe(now + timedelta(minutes=2), 2, "c", 0, claim.replace("sẽ tăng", "chuẩn bị tăng")) is None
    spreading = window.observe(now + timedelta(minutes=3), 3, "d", 0, claim)
    assert spreading is not None and spreading.source_count == 3 and spreading.post_id == "a"
    assert window.observe(now + timedelta(minutes=4), 4, "e", 0, claim) is None  # alerted once
    late = SpreadWindow(min_sources=2, window=timedelta(minutes=10))
    late.observe(now, 1, "a", 0, claim)
    assert late.observe(now + timedelta(minutes=30), 2, "b", 0, claim) is None  # the first sighting expired


def test_canonical_urls_and_dates() -> None:
    assert (
        canonical_url("HTTPS://Bao.VN:443/tin/123/?utm_source=fb&b=2&a=1#binh-luan") == "https://bao.vn/tin/123?a=1&b=2"
    )
    assert canonical_url("http://bao.vn:8080/x") == "http://bao.vn:8080/x"
    assert parse_published("2026-11-27T08:00:00+07:00") == datetime(2026, 11, 27, 1, tzinfo=UTC)
    assert parse_published("27/11/2026") is None


def test_legacy_encodings_are_decoded_and_composed() -> None:
    text = "Sở Giao thông vận tải thành phố"
    assert decode(to_cp1258(text), "text/html; charset=windows-1258") == text
    assert decode(to_cp1258(text)) == text  # no charset declared, not UTF-8: the Vietnamese code page
    assert decode(b'<meta charset="utf-8">' + text.encode()).endswith(text)


def test_rebuttal_citations() -> None:
    assert parse_rebuttal("Sai sự thật [1] [2].\n\nĐúng là 35% [2]", 2) == [
        {"text": "Sai sự thật.", "cites": [1, 2]},
        {"text": "Đúng là 35%", "cites": [2]},
    ]
    with pytest.raises(InputError, match=r"\[3\]"):
        parse_rebuttal("x [3]", 2)


def test_which_ratings_raise_repeat_alerts() -> None:
    assert is_debunked("Sai", 2, 5, 1) and is_debunked("Lừa đảo") and is_debunked("Mostly False")
    assert not is_debunked("Đúng", 5, 5, 1) and not is_debunked("True")

"""Batch re-grouping of narratives by the claims' words (average linkage)."""

from __future__ import annotations

import pytest

from kiemchung.domain.narrative_regroup import MAX_CLAIMS, claim_terms, regroup

EXAM = [
    "Bộ Giáo dục bỏ kỳ thi tốt nghiệp THPT từ năm 2027.",
    "nghe noi bo giao duc bo ky thi tot nghiep tu nam 2027 ha mn",
    "Từ năm 2027 không còn kỳ thi tốt nghiệp THPT, Bộ Giáo dục đã quyết?",
]
DAM = [
    "Đập thủy điện Sông Tranh 2 bị nứt, dân Bắc Trà My phải sơ tán gấp.",
    "dap thuy dien song tranh 2 nut roi, ba con bac tra my so tan gap",
    "Có thật đập Sông Tranh 2 nứt và dân phải sơ tán không?",
]


def test_terms_are_words_and_pairs_without_diacritics() -> None:
    assert claim_terms("Tốt nghiệp THPT") == ["tot", "nghiep", "trung", "hoc", "pho", "thong", "tot_nghiep",
                                             "nghiep_trung", "trung_hoc", "hoc_pho", "pho_thong"]  # fmt: skip


def test_two_stories_typed_three_ways_make_two_groups() -> None:
    groups = regroup(EXAM + DAM, [None] * 6)
    assert [group for _, group in groups] == [1, 1, 1, 2, 2, 2]
    assert all(narrative is None for narrative, _ in groups)


def test_touched_narratives_keep_their_claims_and_take_a_close_new_group() -> None:
    # the exam claims were put in narrative 7 by an editor; new dam claims form their own group
    groups = regroup(EXAM[:2] + DAM + EXAM[2:], [7, 7, None, None, None, None])
    assert [narrative for narrative, _ in groups] == [7, 7, None, None, None, 7]
    assert groups[0][1] == groups[1][1] == groups[5][1] != groups[2][1]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="one fixed entry per text"):
        regroup(EXAM, [None])
    assert regroup([], []) == []
    with pytest.raises(ValueError, match="regroup them online"):
        regroup(["x"] * (MAX_CLAIMS + 1), [None] * (MAX_CLAIMS + 1))

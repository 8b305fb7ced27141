from pathlib import Path

import numpy as np

from kiemchung.matching.lexical import LexicalIndex
from kiemchung.matching.vectors import VectorStore
from kiemchung.text.analysis import analyse

DOCS = {
    "a": "Uống nước chanh nóng chữa khỏi ung thư",
    "b": "Ngân hàng phát hành tiền mệnh giá một triệu đồng",
    "c": "Sóng 5G làm lây lan virus corona",
}


def build() -> LexicalIndex:
    index = LexicalIndex()
    for doc_id, text in DOCS.items():
        index.add(doc_id, analyse(text).features())
    return index


def test_best_document_first_with_or_without_diacritics() -> None:
    index = build()
    assert index.search(analyse("nuoc chanh chua ung thu").features())[0][0] == "a"
    assert index.search(analyse("tiền mệnh giá 1 triệu").features())[0][0] == "b"
    assert index.search(analyse("xyz").features()) == []


def test_replace_and_remove_are_incremental(tmp_path: Path) -> None:
    index = build()
    index.add("a", analyse("Ăn tỏi phòng cúm").features())
    assert all(doc != "a" for doc, _ in index.search(analyse("nước chanh nóng").features()))
    assert index.search(analyse("tỏi phòng cúm").features())[0][0] == "a"
    index.remove("c")
    assert index.size == 2 and index.search(analyse("sóng 5G virus").features()) == []
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert loaded.search(analyse("tỏi phòng cúm").features()) == index.search(analyse("tỏi phòng cúm").features())
    assert loaded.size == 2


def test_vector_store_searches_replaces_and_persists(tmp_path: Path) -> None:
    store = VectorStore(3)
    store.add(["x", "y"], ["k1", "k2"], np.eye(3, dtype=np.float32)[:2])
    assert store.search(np.array([0, 1, 0], dtype=np.float32), 1)[0][0] == "y"
    store.add(["x"], ["k3"], np.array([[0, 0, 1]], dtype=np.float32))
    assert store.has("x", "k3") and not store.has("x", "k1")
    store.remove("y")
    store.save(tmp_path)
    loaded = VectorStore.load(tmp_path)
    assert len(loaded) == 1 and loaded.search(np.array([0, 0, 1], dtype=np.float32), 5) == [("x", 1.0)]

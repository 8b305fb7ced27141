"""Dense vectors of archive claims, kept in memory as one matrix and saved as .npy."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class VectorStore:
    """id → unit vector, with exact (brute-force) cosine search; ~8 ms a query at 100k × 384."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self.ids: list[str] = []
        self.keys: list[str] = []  # a hash of the text each vector was computed from
        self.position: dict[str, int] = {}
        self._matrix = np.zeros((0, dimension), dtype=np.float32)
        self._pending: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.position)

    def has(self, doc_id: str, key: str) -> bool:
        row = self.position.get(doc_id)
        return row is not None and self.keys[row] == key

    def add(self, ids: Sequence[str], keys: Sequence[str], vectors: np.ndarray) -> None:
        for doc_id, key, vector in zip(ids, keys, vectors, strict=True):
            row = self.position.get(doc_id)
            if row is not None:
                self._flush()
                self._matrix[row] = vector
                self.keys[row] = key
                continue
            self.position[doc_id] = len(self.ids)
            self.ids.append(doc_id)
            self.keys.append(key)
            self._pending.append(np.asarray(vector, dtype=np.float32))

    def remove(self, doc_id: str) -> None:
        row = self.position.pop(doc_id, None)
        if row is not None:
            self._flush()
            self._matrix[row] = 0.0

    def _flush(self) -> None:
        if self._pending:
            self._matrix = np.vstack([self._matrix, np.stack(self._pending)])
            self._pending = []

    def vectors_for(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        self._flush()
        return {i: self._matrix[self.position[i]] for i in ids if i in self.position}

    def search(self, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        self._flush()
        if not self.position:
            return []
        scores = self._matrix @ query.astype(np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if self.ids[i] in self.position]

    def save(self, directory: Path, name: str = "vectors") -> None:
        self._flush()
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / f"{name}.npy", self._matrix)
        alive = [i in self.position and self.position[i] == row for row, i in enumerate(self.ids)]
        (directory / f"{name}-meta.json").write_text(
            json.dumps({"dimension": self.dimension, "ids": self.ids, "keys": self.keys, "alive": alive}),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: Path, name: str = "vectors") -> VectorStore:
        meta = json.loads((directory / f"{name}-meta.json").read_text(encoding="utf-8"))
        store = cls(meta["dimension"])
        store.ids, store.keys = meta["ids"], meta["keys"]
        store._matrix = np.load(directory / f"{name}.npy")
        store.position = {i: row for row, (i, alive) in enumerate(zip(store.ids, meta["alive"], strict=True)) if alive}
        return store

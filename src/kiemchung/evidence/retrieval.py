"""The evidence index: passages searched by words (BM25) and by meaning (static token vectors), fused by
reciprocal rank; then the sentences inside the best passages ranked against the claim.

Both first stages run no model, so a library of 100k passages answers in well under a second on two cores
(bench/evidence_assistant.py). The sentences are ranked by BM25 over the candidate sentences themselves,
blended with their static-vector cosine.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from kiemchung.evidence.documents import EvidenceDocument, Passage, split_passages
from kiemchung.matching.lexical import LexicalIndex
from kiemchung.matching.static import StaticEmbedder, static_embedder
from kiemchung.text.analysis import analyse
from kiemchung.text.normalize import TOKENS_VERSION

FORMAT_VERSION = 1
RRF_K = 60
SENTENCE_LEXICAL_WEIGHT = 0.7  # the rest is the static cosine (both scaled to 0..1)


@dataclass(frozen=True)
class RankedSentence:
    document_id: str
    passage: int
    sentence: str
    score: float  # 0..1


class EvidenceIndex:
    """Documents of one library, in memory. `add` replaces a document with the same id."""

    def __init__(self, embedder: StaticEmbedder | None = None, use_lexical: bool = True, use_dense: bool = True):
        self.embedder = embedder if embedder is not None else static_embedder()
        self.use_lexical, self.use_dense = use_lexical, use_dense and self.embedder is not None
        self.documents: dict[str, EvidenceDocument] = {}
        self.passages: dict[str, Passage] = {}
        self._by_document: dict[str, list[str]] = {}
        self._lexical = LexicalIndex()
        self._keys: list[str] = []  # one per row of vectors; a replaced or removed passage's row is dead
        self._rows: list[np.ndarray] = []
        self._row_of: dict[str, int] = {}
        self._dead: set[int] = set()
        self._matrix: np.ndarray | None = None
        self._alive = np.zeros(0, dtype=bool)
        self._lock = threading.RLock()  # adding and searching may come from several threads

    def __len__(self) -> int:
        return len(self.passages)

    def add(self, documents: Iterable[EvidenceDocument]) -> int:
        """Index documents (metadata kept, text split into passages); the number of passages added."""
        added = 0
        with self._lock:
            for document in documents:
                self._remove(document.id)
                passages = split_passages(document)
                self.documents[document.id] = EvidenceDocument(
                    document.id, "", document.url, document.title, document.publisher, document.published,
                    document.scanned,
                )  # fmt: skip
                self._by_document[document.id] = [p.key for p in passages]
                for passage in passages:
                    self.passages[passage.key] = passage
                    self._lexical.add(passage.key, analyse(passage.text).features())
                if passages and self.use_dense and self.embedder is not None:
                    vectors = self.embedder.embed([p.text for p in passages])
                    for passage, vector in zip(passages, vectors, strict=True):
                        self._row_of[passage.key] = len(self._rows)
                        self._keys.append(passage.key)
                        self._rows.append(vector)
                    self._matrix = None
                added += len(passages)
        return added

    def remove(self, document_id: str) -> None:
        with self._lock:
            self._remove(document_id)

    def _remove(self, document_id: str) -> None:
        for key in self._by_document.pop(document_id, []):
            self.passages.pop(key, None)
            self._lexical.remove(key)
            if key in self._row_of:
                self._dead.add(self._row_of.pop(key))
                self._matrix = None
        self.documents.pop(document_id, None)

    def search(self, text: str, k: int = 20, depth: int = 50) -> list[tuple[Passage, float]]:
        """The k best passages for a claim (reciprocal-rank fusion of BM25 and static cosine), best first."""
        features = analyse(text).features()
        query = self.embedder.embed([text])[0] if self.use_dense and self.embedder is not None else None
        with self._lock:
            if not self.passages:
                return []
            rankings = []
            if self.use_lexical:
                rankings.append([key for key, _ in self._lexical.search(features, k=depth)])
            if query is not None:
                rankings.append(self._dense_search(query, depth))
            fused: dict[str, float] = {}
            for ranking in rankings:
                for rank, key in enumerate(ranking):
                    if key in self.passages:
                        fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank + 1)
            best = sorted(fused.items(), key=lambda item: -item[1])[:k]
            return [(self.passages[key], score) for key, score in best]

    def _dense_search(self, query: np.ndarray, depth: int) -> list[str]:
        """Passage keys by static cosine (called under the lock)."""
        if self._matrix is None:
            self._matrix = np.vstack(self._rows) if self._rows else np.zeros((0, len(query)), dtype=np.float32)
            self._alive = np.ones(len(self._rows), dtype=bool)
            self._alive[list(self._dead)] = False
        if not len(self._matrix):
            return []
        scores = self._matrix @ query
        scores[~self._alive] = -np.inf
        top = np.argpartition(-scores, min(depth, len(scores) - 1))[:depth]
        return [self._keys[i] for i in top[np.argsort(-scores[top])] if np.isfinite(scores[i])]

    def save(self, directory: Path, state: Mapping[str, object] | None = None) -> None:
        """Write the index to `directory` (replaced whole: written beside it, then renamed), with `state`: what
        the caller needs to know which library changes it has seen."""
        staging = directory.with_name(directory.name + ".writing")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        with self._lock:  # copied as they are now (quickly), written after: searches and adds go on meanwhile
            lexical = self._lexical.snapshot()
            keys = [key for key in self._keys if key in self._row_of and key in self.passages]
            rows = [self._rows[self._row_of[key]] for key in keys]
            dimension = self.embedder.dimension if self.embedder is not None else 0
            passages = [
                {"document_id": p.document_id, "ordinal": p.ordinal, "sentences": list(p.sentences)}
                for p in self.passages.values()
            ]
            documents = [
                {"id": d.id, "url": d.url, "title": d.title, "publisher": d.publisher, "scanned": d.scanned,
                 "published": d.published.isoformat() if d.published else None}
                for d in self.documents.values()
            ]  # fmt: skip
            meta = {
                "format": FORMAT_VERSION,
                "tokens": TOKENS_VERSION,
                "static": getattr(self.embedder, "version", None) if self.use_dense else None,
                "lexical": self.use_lexical,
                "vector_keys": keys,
                "by_document": {document: list(passage_keys) for document, passage_keys in self._by_document.items()},
                "state": dict(state or {}),
            }
        lexical.save(staging)
        np.save(staging / "vectors.npy", np.vstack(rows) if rows else np.zeros((0, dimension), np.float32))
        for name, value in (("passages.json", passages), ("documents.json", documents), ("meta.json", meta)):
            (staging / name).write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        old = directory.with_name(directory.name + ".old")  # the one in place, set aside whole, then dropped
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        staging.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, embedder: StaticEmbedder | None = None) -> tuple[EvidenceIndex, dict] | None:
        """(index, saved state) from `directory`, or None when there is none or it was written by another
        format or another static-vectors artifact (then rebuild); a damaged one raises (OSError, ValueError…)."""
        try:
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        index = cls(embedder, use_lexical=meta.get("lexical", True), use_dense=meta.get("static") is not None)
        current = getattr(index.embedder, "version", None) if index.use_dense else None
        written = (meta.get("format"), meta.get("tokens"), meta.get("static"))
        if written != (FORMAT_VERSION, TOKENS_VERSION, current):
            return None
        index._lexical = LexicalIndex.load(directory)
        for item in json.loads((directory / "passages.json").read_text(encoding="utf-8")):
            passage = Passage(item["document_id"], item["ordinal"], tuple(item["sentences"]))
            index.passages[passage.key] = passage
        for item in json.loads((directory / "documents.json").read_text(encoding="utf-8")):
            published = date.fromisoformat(item["published"]) if item["published"] else None
            index.documents[item["id"]] = EvidenceDocument(
                item["id"], "", item["url"], item["title"], item["publisher"], published, item["scanned"]
            )
        index._by_document = {k: list(v) for k, v in meta["by_document"].items()}
        vectors = np.load(directory / "vectors.npy")
        if len(vectors) != len(meta["vector_keys"]):
            raise ValueError(f"{len(vectors)} vectors saved for {len(meta['vector_keys'])} passages")
        index._keys = list(meta["vector_keys"])
        index._rows = list(vectors)
        index._row_of = {key: row for row, key in enumerate(index._keys)}
        return index, dict(meta.get("state", {}))

    def document_text(self, document_id: str) -> str:
        """The document's indexed text (its passages joined)."""
        with self._lock:
            keys = list(self._by_document.get(document_id, []))
            return " ".join(self.passages[key].text for key in keys if key in self.passages)

    def rank_sentences(self, claim: str, passages: Sequence[Passage], k: int = 5) -> list[RankedSentence]:
        """The k sentences of `passages` that bear most on `claim`, best first."""
        return rank_sentences(claim, passages, k, self.embedder if self.use_dense else None, self.use_lexical)


def rank_sentences(
    claim: str,
    passages: Sequence[Passage],
    k: int = 5,
    embedder: StaticEmbedder | None = None,
    use_lexical: bool = True,
) -> list[RankedSentence]:
    """Rank the sentences of some passages against a claim: BM25 among those sentences, blended with cosine."""
    units = [(p.document_id, p.ordinal, s) for p in passages for s in p.sentences]
    if not units:
        return []
    lexical = np.zeros(len(units))
    if use_lexical:
        index = LexicalIndex()
        for number, (_doc, _ordinal, sentence) in enumerate(units):
            index.add(str(number), analyse(sentence).features())
        for key, score in index.search(analyse(claim).features(), k=len(units)):
            lexical[int(key)] = score
        lexical = lexical / lexical.max() if lexical.max() > 0 else lexical
    dense = np.zeros(len(units))
    if embedder is not None:
        vectors = embedder.embed([claim] + [u[2] for u in units])
        dense = np.clip(vectors[1:] @ vectors[0], 0.0, 1.0)
    weight = SENTENCE_LEXICAL_WEIGHT if (use_lexical and embedder is not None) else (1.0 if use_lexical else 0.0)
    scores = weight * lexical + (1 - weight) * dense
    order = np.argsort(-scores, kind="stable")[:k]
    return [RankedSentence(units[i][0], units[i][1], units[i][2], float(scores[i])) for i in order]

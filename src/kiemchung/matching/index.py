"""The persistent match index: lexical index, claim texts and dense vectors, in DATA_DIR/index."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kiemchung.domain.models import FactCheck
from kiemchung.matching.lexical import LexicalIndex
from kiemchung.matching.static import StaticEmbedder
from kiemchung.matching.vectors import VectorStore
from kiemchung.text.analysis import analyse
from kiemchung.text.language import guess_language, language_code
from kiemchung.text.normalize import TOKENS_VERSION
from kiemchung.text.spinning import SpinTable

FORMAT_VERSION = 2


@dataclass(frozen=True)
class ArchiveClaim:
    id: str
    text: str
    language: str  # "vi" or "en": stored tag, else guessed from the text
    context: str = ""  # the fact-check's summary: searched, not judged

    @property
    def key(self) -> str:
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Watermark:
    count: int = 0
    updated: str | None = None  # ISO time of the newest change the index has seen

    @classmethod
    def of(cls, count: int, updated: datetime | None) -> Watermark:
        return cls(count, updated.isoformat() if updated else None)


def document_features(claim: ArchiveClaim, spin: SpinTable | None = None) -> dict[str, float]:
    """What the lexical index holds for a claim: its own features, plus its summary's at half weight."""
    features = analyse(claim.text, spin).features()
    if claim.context:
        for feature, count in analyse(claim.context, spin).features().items():
            features[feature] = features.get(feature, 0.0) + 0.5 * count
    return features


class MatchIndex:
    """`spin`: the synonym table that analyses claims and posts (the shipped one unless a benchmark holds
    half of it out). `static`: static token vectors, computed for every claim on import (seconds for 100k), a
    dense first stage for the claims the embedder has not reached yet."""

    def __init__(
        self, dimension: int | None = None, spin: SpinTable | None = None, static: StaticEmbedder | None = None
    ) -> None:
        self.spin = spin
        self.lexical = LexicalIndex()
        self.claims: dict[str, ArchiveClaim] = {}
        self.vectors = VectorStore(dimension) if dimension else None
        self.static_embedder = static
        self.static = VectorStore(static.dimension) if static else None
        self.watermark = Watermark()
        self._languages: dict[str, float] | None = None

    def __len__(self) -> int:
        return len(self.claims)

    def language_shares(self) -> dict[str, float]:
        """Share of the archive's claims in each language (kept up to date as claims come and go)."""
        if self._languages is None:
            counts: dict[str, int] = {}
            for claim in self.claims.values():
                counts[claim.language] = counts.get(claim.language, 0) + 1
            total = max(len(self.claims), 1)
            self._languages = {language: count / total for language, count in counts.items()}
        return self._languages

    def upsert(self, factchecks: Iterable[FactCheck]) -> int:
        changed: list[ArchiveClaim] = []
        for fc in factchecks:
            language = language_code(fc.language) or guess_language(fc.claim)
            claim = ArchiveClaim(fc.id, fc.claim, language, fc.summary or "")
            previous = self.claims.get(fc.id)
            if previous == claim:
                continue
            self.claims[fc.id] = claim
            self._languages = None
            self.lexical.add(fc.id, document_features(claim, self.spin))
            changed.append(claim)
        self._add_static(changed)
        return len(changed)

    def _add_static(self, claims: list[ArchiveClaim]) -> None:
        if self.static is None or self.static_embedder is None:
            return
        version = self.static_embedder.version
        stale = [c for c in claims if not self.static.has(c.id, c.key + version)]
        for start in range(0, len(stale), 1000):
            chunk = stale[start : start + 1000]
            vectors = self.static_embedder.embed([c.text for c in chunk])
            self.static.add([c.id for c in chunk], [c.key + version for c in chunk], vectors)

    def static_search(self, texts: list[str], count: int) -> list[list[str]]:
        """For each text, up to `count` claims the embedder has no vector for yet, nearest by static vectors."""
        everything_embedded = self.vectors is not None and len(self.vectors) >= len(self.claims)
        if self.static is None or self.static_embedder is None or everything_embedded or not texts:
            return [[] for _ in texts]
        out = []
        for vector in self.static_embedder.embed(texts):
            hits = self.static.search(vector, count * 5)
            out.append([c for c, _ in hits if c in self.claims and not self._has_vector(c)][:count])
        return out

    def _has_vector(self, claim_id: str) -> bool:
        claim = self.claims[claim_id]
        return self.vectors is not None and self.vectors.has(claim.id, claim.key)

    def remove(self, ids: Iterable[str]) -> None:
        for doc_id in ids:
            self.claims.pop(doc_id, None)
            self._languages = None
            self.lexical.remove(doc_id)
            if self.vectors is not None:
                self.vectors.remove(doc_id)
            if self.static is not None:
                self.static.remove(doc_id)

    def missing_vectors(self) -> list[ArchiveClaim]:
        if self.vectors is None:
            return []
        return [c for c in self.claims.values() if not self.vectors.has(c.id, c.key)]

    def save(self, directory: Path) -> None:
        """Write to a sibling directory, then swap it in: a crash never leaves a half-written index."""
        staging = directory.with_name(directory.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        self.lexical.save(staging)
        if self.vectors is not None:
            self.vectors.save(staging)
        if self.static is not None:
            self.static.save(staging, "static")
        meta = {
            "version": FORMAT_VERSION,
            "tokens": TOKENS_VERSION,
            "watermark": self.watermark.__dict__,
            "claims": [[c.id, c.text, c.language, c.context] for c in self.claims.values()],
            "dimension": self.vectors.dimension if self.vectors else None,
        }
        (staging / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            os.replace(directory, old)
        os.replace(staging, directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, dimension: int | None, static: StaticEmbedder | None = None) -> MatchIndex | None:
        """The saved index, or None when it is missing, unreadable or of another format."""
        try:
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
            if meta.get("version") != FORMAT_VERSION or meta.get("tokens") != TOKENS_VERSION:
                return None
            index = cls(None, static=static)
            index.lexical = LexicalIndex.load(directory)
            index.claims = {row[0]: ArchiveClaim(*row) for row in meta["claims"]}
            index.watermark = Watermark(**meta["watermark"])
            if dimension and meta.get("dimension") == dimension and (directory / "vectors.npy").exists():
                index.vectors = VectorStore.load(directory)
            elif dimension:
                index.vectors = VectorStore(dimension)
            if static is not None:
                index.static = _saved_static(directory, static.dimension)
                index._add_static(list(index.claims.values()))  # an index saved without them, or a new artifact
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return index


def _saved_static(directory: Path, dimension: int) -> VectorStore:
    if (directory / "static.npy").exists():
        saved = VectorStore.load(directory, "static")
        if saved.dimension == dimension:
            return saved
    return VectorStore(dimension)

"""Matching use cases: keep the index in step with the archive, match posts, take reviewers' feedback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from kiemchung.domain.models import FactCheck, SuggestedMatch
from kiemchung.errors import InputError, NotFoundError
from kiemchung.matching.decision import ARTIFACT, MIN_FEEDBACK, Decision, Recalibration, fit_recalibration
from kiemchung.matching.embedders import Embedder, make_embedder
from kiemchung.matching.engine import MatchEngine, MatchOptions, PostMatch, is_match
from kiemchung.matching.index import MatchIndex, Watermark
from kiemchung.matching.static import StaticEmbedder, static_embedder
from kiemchung.services.metrics import Histogram
from kiemchung.settings import Settings
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.matches import MatchStore

MAX_TEXT_BYTES = 1_000_000
SAVE_EVERY_S = 60
SUGGESTION_SHARE = 0.5  # a best match scoring at least this share of the threshold is kept for review
MIN_REPORTED_SCORE = 0.01
REFIT_AFTER = (
    10  # new reviews that make the pipeline recalibrate  # candidates the decision all but rules out are not listed
)
Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class MatchOut:
    factcheck_id: str
    score: float
    sentence: str
    stance: str = "repeats"  # repeats | asks | refutes
    match_id: int | None = None
    closeness: str = "different"  # same | possible | different: the score in words, for readers


@dataclass(frozen=True)
class PostResult:
    """One post's answer, the same for the CLI, the API and the web page."""

    id: object
    matched: bool
    matches: list[MatchOut] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "id": self.id,
            "matched": self.matched,
            "matches": [_match_json(m) for m in self.matches],
        }
        if self.error:
            data["error"] = self.error
        return data


def _match_json(m: MatchOut) -> dict[str, object]:
    data: dict[str, object] = {
        "factcheck_id": m.factcheck_id,
        "score": m.score,
        "sentence": m.sentence,
        "stance": m.stance,
    }
    if m.match_id is not None:
        data["match_id"] = m.match_id
    return data


def closeness(score: float, threshold: float) -> str:
    """The score as a reader understands it: "same" at or above the decision threshold, "possible" where a
    reviewer should look (SUGGESTION_SHARE of it), "different" below."""
    if score >= threshold:
        return "same"
    return "possible" if score >= SUGGESTION_SHARE * threshold else "different"


def check_text(text: object) -> str:
    """The text of a post, or InputError saying why it cannot be matched."""
    if not isinstance(text, str):
        raise InputError(f"text must be a string, not {type(text).__name__}")
    if not text.strip():
        raise InputError("text is empty")
    if len(text.encode("utf-8", errors="replace")) > MAX_TEXT_BYTES:
        raise InputError(f"text is larger than {MAX_TEXT_BYTES // 1_000_000} MB")
    if sum(1 for c in text[:10_000] if c == "\ufffd" or (ord(c) < 32 and c not in "\t\r\n")) > 0.1 * min(
        len(text), 10_000
    ):
        raise InputError("text looks binary or mis-encoded")
    return text


class MatchService:
    def __init__(
        self,
        settings: Settings,
        factchecks: FactCheckStore,
        matches: MatchStore,
        embedder: Embedder | None = None,
        decision: Decision | None = None,
    ) -> None:
        self.settings = settings
        self.factchecks = factchecks
        self.matches = matches
        self._embedder = embedder
        self._decision = decision
        self._lock = threading.RLock()
        self._index: MatchIndex | None = None
        self._checked = 0.0
        self._engines: dict[tuple[int, MatchOptions], MatchEngine] = {}
        self.latency = Histogram()  # seconds per matched batch, for /metrics

    @cached_property
    def embedder(self) -> Embedder | None:
        return self._embedder or make_embedder(self.settings.embedder, self.settings.embed_threads)

    @cached_property
    def static(self) -> StaticEmbedder | None:
        """Static token vectors, when a dense embedder is there to judge what they propose."""
        if self.embedder is None or not self.settings.static_vectors:
            return None
        return static_embedder()

    @cached_property
    def decision(self) -> Decision:
        return self._decision or Decision.load(ARTIFACT)

    @property
    def recalibration_path(self) -> Path:
        return self.settings.index_dir / "recalibration.json"

    # -- the index --------------------------------------------------------------------------------------

    def index(self, progress: Progress | None = None) -> MatchIndex:
        """The index, loaded from disk, brought up to date with the archive, rebuilt if missing or stale.

        The archive is asked for changes at most once every INDEX_CHECK_SECONDS (and after every import
        through this service), so that single requests do not pay a count over the whole archive; so every
        worker's index follows fact-checks another process added or changed within that time.
        """
        with self._lock:
            dimension = self.embedder.dimension if self.embedder else None
            if self._index is None:
                self._index = MatchIndex.load(self.settings.index_dir, dimension, self.static)
                self._checked = 0.0
            fresh = time.monotonic() - self._checked < self.settings.index_check_seconds
            if fresh and self._index is not None:
                return self._index
            if self._index is None or not self._catch_up(self._index):
                self._index = self._rebuild(dimension, progress)
            self._checked = time.monotonic()
            return self._index

    def _catch_up(self, index: MatchIndex) -> bool:
        """Apply archive changes since the index's watermark; False when only a rebuild can help."""
        count, newest = self.factchecks.watermark()
        if index.watermark == Watermark.of(count, newest):
            return True
        moment = datetime.fromisoformat(index.watermark.updated) if index.watermark.updated else None
        changed = self.factchecks.changed_since(_naive_if_needed(moment, newest))
        index.upsert(changed)
        if len(index) != count:
            return False  # something was deleted behind our back
        index.watermark = Watermark.of(count, newest)
        index.save(self.settings.index_dir)
        return True

    def _rebuild(self, dimension: int | None, progress: Progress | None) -> MatchIndex:
        count, newest = self.factchecks.watermark()
        index = MatchIndex(dimension, static=self.static)
        previous = self._index or MatchIndex.load(self.settings.index_dir, dimension, self.static)
        if previous is not None and previous.vectors is not None and index.vectors is not None:
            index.vectors = previous.vectors  # vectors are keyed by text: keep the ones still valid
        batch: list[FactCheck] = []
        done = 0
        for fc in self.factchecks.iter_all():
            batch.append(fc)
            if len(batch) == 1000:
                index.upsert(batch)
                done += len(batch)
                batch.clear()
                if progress:
                    progress(done, count)
        index.upsert(batch)
        if progress:
            progress(count, count)
        index.watermark = Watermark.of(count, newest)
        index.save(self.settings.index_dir)
        return index

    def rebuild(self, progress: Progress | None = None) -> MatchIndex:
        with self._lock:
            self._index = self._rebuild(self.embedder.dimension if self.embedder else None, progress)
            return self._index

    def on_imported(self, batch: Sequence[FactCheck]) -> None:
        """Follow an import incrementally when an index exists (it is built on first use otherwise)."""
        with self._lock:
            if self._index is not None or (self.settings.index_dir / "meta.json").exists():
                self._checked = 0.0
                self.index()

    def embed_missing(
        self,
        limit: int | None = None,
        batch_size: int = 32,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Refine the index with dense vectors for claims that have none yet; saves about once a minute."""
        index = self.index()
        missing = index.missing_vectors()[:limit]
        engine = self.engine()
        done = 0
        saved = time.monotonic()
        for start in range(0, len(missing), batch_size):
            if stop is not None and stop.is_set():
                break
            with self._lock:
                done += engine.ensure_vectors(missing[start : start + batch_size])
                if time.monotonic() - saved > SAVE_EVERY_S:
                    index.save(self.settings.index_dir)
                    saved = time.monotonic()
            if progress:
                progress(done, len(missing))
        with self._lock:
            index.save(self.settings.index_dir)
        return done

    def status(self) -> dict[str, object]:
        index = self.index()
        vectors = len(index.vectors) if index.vectors is not None else 0
        return {
            "claims": len(index),
            "with_vectors": vectors,
            "embedder": self.embedder.name if self.embedder else None,
            "thresholds": self.decision.thresholds,
            "directory": str(self.settings.index_dir),
        }

    # -- matching ---------------------------------------------------------------------------------------

    def engine(self, options: MatchOptions | None = None) -> MatchEngine:
        """One engine per index and options, kept warm (its claim analyses are cached)."""
        index = self.index()
        options = options or MatchOptions()
        key = (id(index), options)
        engine = self._engines.get(key)
        if engine is None:
            self._engines = {k: e for k, e in self._engines.items() if k[0] == id(index)}
            engine = MatchEngine(
                index,
                self.decision,
                self.embedder,
                options,
                threshold_override=self.settings.match_threshold,
                pair="shipped" if self.settings.pair_model else None,
            )
            self._engines[key] = engine
        return engine

    def match_posts(
        self,
        posts: Sequence[tuple[object, object]],
        top_k: int | None = None,
        store: bool = False,
        options: MatchOptions | None = None,
    ) -> list[PostResult]:
        """Match (id, text) pairs; a post whose text is unusable gets an error, the rest are matched."""
        top_k = top_k or self.settings.match_top_k
        if not 1 <= top_k <= 50:
            raise InputError("top must be between 1 and 50")
        valid: list[tuple[int, str]] = []
        results: list[PostResult | None] = [None] * len(posts)
        for position, (post_id, text) in enumerate(posts):
            try:
                valid.append((position, check_text(text)))
            except InputError as exc:
                results[position] = PostResult(post_id, False, error=str(exc))
        scored = self._match_scored([(posts[position][0], text) for position, text in valid], top_k, options)
        for (position, _text), (result, suggestion) in zip(valid, scored, strict=True):
            results[position] = self._stored(result, suggestion) if store else result
        return [r for r in results if r is not None]

    def suggestions(
        self, posts: Sequence[tuple[object, str]], top_k: int | None = None
    ) -> list[tuple[PostResult, SuggestedMatch | None]]:
        """Match posts and return, with each answer, the suggestion a reviewer should see (not stored here:
        the caller stores it in its own transaction, e.g. with the post it belongs to)."""
        return self._match_scored(posts, top_k or self.settings.match_top_k)

    def _match_scored(
        self, posts: Sequence[tuple[object, str]], top_k: int, options: MatchOptions | None = None
    ) -> list[tuple[PostResult, SuggestedMatch | None]]:
        """The one matching path: engine, recalibrated scores, the decision and the suggestion per post."""
        engine = self.engine(options)
        recalibration = Recalibration.load(self.recalibration_path)
        started = time.perf_counter()
        with self._lock:
            answers = engine.match_many([text for _, text in posts], top_k)
        self.latency.observe(time.perf_counter() - started)
        return [
            self._scored(post_id, text, answer, engine, recalibration)
            for (post_id, text), answer in zip(posts, answers, strict=True)
        ]

    def _stored(self, result: PostResult, suggestion: SuggestedMatch | None) -> PostResult:
        """Store the suggestion for review (its own transaction) and give the answer its match_id."""
        if suggestion is None:
            return result
        match_id = self.matches.add(
            suggestion.factcheck_id, suggestion.query_text, suggestion.sentence, suggestion.score, suggestion.features,
            suggestion.decision,
        )  # fmt: skip
        first = replace(result.matches[0], match_id=match_id)
        return replace(result, matches=[first, *result.matches[1:]])

    def _scored(
        self,
        post_id: object,
        text: str,
        answer: PostMatch,
        engine: MatchEngine,
        recalibration: Recalibration | None,
    ) -> tuple[PostResult, SuggestedMatch | None]:
        scored = [
            (item, round(recalibration.apply(item.score, item.kind), 4) if recalibration else item.score)
            for item in answer.matches
        ]
        scored.sort(key=lambda pair: -pair[1])
        scored = [pair for pair in scored if pair[1] >= MIN_REPORTED_SCORE]
        matched = bool(scored) and is_match(
            replace(scored[0][0], score=scored[0][1]), engine.threshold(scored[0][0].kind)
        )
        suggestion = None
        if scored and scored[0][1] >= SUGGESTION_SHARE * engine.threshold(scored[0][0].kind):
            item = scored[0][0]
            suggestion = SuggestedMatch(
                item.factcheck_id,
                text,
                item.sentence,
                item.score,
                {**item.features, "kind": item.kind, "stance": item.stance},
                matched,
            )
        out = [
            MatchOut(
                item.factcheck_id,
                score,
                item.sentence,
                item.stance,
                closeness=closeness(score, engine.threshold(item.kind)),
            )
            for item, score in scored
        ]
        return PostResult(post_id, matched, out), suggestion

    # -- feedback ---------------------------------------------------------------------------------------

    def feedback(self, match_id: int, accepted: bool) -> None:
        if not self.matches.set_feedback(match_id, "accepted" if accepted else "rejected"):
            raise NotFoundError(f"no match with id {match_id}")

    def refit_if_reviewed(self, new_reviews: int = REFIT_AFTER) -> Recalibration | None:
        """The pipeline's hook: refit when at least `new_reviews` reviews arrived since the last refit."""
        reviewed = self.matches.reviewed_count()
        current = Recalibration.load(self.recalibration_path)
        if reviewed < MIN_FEEDBACK or reviewed - (current.reviewed if current else 0) < new_reviews:
            return None
        try:
            return self.refit()
        except InputError:  # only accepts or only rejects so far
            return None

    def refit(self) -> Recalibration:
        """Recalibrate from every stored review (deterministic: same reviews, same map)."""
        reviews = [
            (m.score, m.feedback == "accepted", str(m.features.get("kind", "vi"))) for m in self.matches.reviewed()
        ]
        if len(reviews) < MIN_FEEDBACK or len({accepted for _, accepted, _ in reviews}) < 2:
            raise InputError(
                f"refit needs at least {MIN_FEEDBACK} reviewed matches with both accepts and "
                f"rejects; there are {len(reviews)}"
            )
        recalibration = fit_recalibration(reviews)
        recalibration.save(self.recalibration_path)
        return recalibration


def _naive_if_needed(moment: datetime | None, reference: datetime | None) -> datetime | None:
    """SQLite returns naive UTC datetimes, PostgreSQL aware ones: compare like with like."""
    if moment is None or reference is None:
        return moment
    if reference.tzinfo is None and moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    if reference.tzinfo is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment

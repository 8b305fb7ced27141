"""The processing stages: normalise → de-duplicate → split → check-worthiness → match → store → alert
(repeats, spreading claims, and the bursts of the narratives the stored posts joined).

Items are taken from the inbox in batches, under a lease (store/inbox.py), so any number of workers may share
one PostgreSQL database; a batch is written only while its worker still holds every item's lease (else it is
rolled back and left to the worker now holding them). Everything a batch produces — posts, fingerprints, claims,
suggested matches, alerts — and the inbox entries' new state are written in ONE transaction. A process
killed at any moment leaves each item either untouched (pending: processed again once its lease expires,
or at once when a worker starts on SQLite) or fully stored and settled; never half, never twice. In-memory
indexes (copies, spreading claims) are rebuilt from the database at start and after a failed batch.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from kiemchung.domain.imports import is_http_url
from kiemchung.domain.models import content_hash
from kiemchung.domain.narratives import post_claim
from kiemchung.domain.ratings import is_debunked
from kiemchung.domain.sources import Source
from kiemchung.errors import InputError
from kiemchung.ingest.items import canonical_url, parse_published
from kiemchung.monitoring.checkworthiness import CheckWorthiness, default_checkworthiness
from kiemchung.monitoring.copies import CopyIndex
from kiemchung.monitoring.spread import SpreadWindow
from kiemchung.services.matching import MatchService, check_text
from kiemchung.services.narrative_trends import TrendService
from kiemchung.services.narratives import NarrativeService, PendingClaim
from kiemchung.services.workers import worker_name
from kiemchung.settings import Settings
from kiemchung.store.alerts import AlertStore, NewAlert
from kiemchung.store.database import Database
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.inbox import InboxEntry, InboxStore
from kiemchung.store.posts import NewClaim, NewPost, PostStore
from kiemchung.store.schema import claims, posts
from kiemchung.store.sources import SourceStore
from kiemchung.text.fingerprint import Fingerprint, fingerprint
from kiemchung.text.language import guess_language
from kiemchung.text.normalize import normalize_display
from kiemchung.text.sentences import split_sentences
from kiemchung.text.spinning import SpinTable, default_spin_table

log = logging.getLogger(__name__)

MAX_SENTENCES = 300  # per post: longer posts keep their first sentences as claims
SHORT_POST_SENTENCES = 8  # posts this short are matched whole; longer ones by their check-worthy sentences
MAX_MATCHED_SENTENCES = 30  # the most check-worthy sentences of a long post are matched…
MATCH_FLOOR = 0.25  # …among those scoring at least this (spread watching uses the threshold)
SPREAD_SENTENCES = 3  # the most check-worthy sentences of a post are watched for spreading
MIN_SPREAD_WORDS = 6
RECORD_KINDS = {"folder", "push", "import"}  # sources whose items carry their own post ids


class LeaseLost(Exception):
    """Another worker took over an item of the batch (our lease had expired): nothing of the batch is written."""


@dataclass
class BatchReport:
    taken: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    dead: int = 0
    retried: int = 0
    copies: int = 0
    matched: int = 0
    alerts: int = 0
    sentences: int = 0

    def add(self, other: BatchReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Work:
    entry: InboxEntry
    source: Source
    post: NewPost | None = None
    state: str = "done"
    reason: str | None = None
    reason_post: str | None = None  # the stored post a duplicate duplicates
    sentences: list[tuple[int, str, float]] = field(default_factory=list)


def post_id_for(source: Source, key: str, url: str | None) -> str:
    """Records carry their own ids; web items are named by their canonical URL (or key)."""
    if source.kind in RECORD_KINDS:
        return key
    return "web-" + hashlib.sha256((canonical_url(url) or key).encode("utf-8")).hexdigest()[:24]


def clean_text(text: str) -> str:
    """NFC, canonical tones, collapsed spaces — line breaks (paragraphs) kept."""
    return "\n".join(line for line in (normalize_display(raw) for raw in text.splitlines()) if line)


class Processor:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        matching: MatchService,
        factchecks: FactCheckStore,
        checkworthiness: CheckWorthiness | None = None,
        spin: SpinTable | None = None,
        narratives: NarrativeService | None = None,
        worker: str | None = None,
    ) -> None:
        self.settings = settings
        self.worker = worker or worker_name()
        self.narratives = narratives or NarrativeService(settings, database, matching=matching)
        self.database = database
        self.matching = matching
        self.factchecks = factchecks
        self.inbox = InboxStore(database)
        self.posts = PostStore(database)
        self.sources = SourceStore(database)
        self.checkworthiness = checkworthiness or default_checkworthiness()
        self.spin = spin or default_spin_table()
        self.copies = CopyIndex(settings.copy_threshold)
        self.spread = SpreadWindow(settings.spread_sources, timedelta(minutes=settings.spread_minutes), self.spin)
        self._loaded = False
        self.timings: defaultdict[str, float] = defaultdict(float)  # seconds per stage, for bench/

    # -- state kept in memory -----------------------------------------------------------------------------

    def load(self) -> None:
        """Rebuild the copy index and the spreading window from what is stored."""
        self.narratives.forget()
        self.copies = CopyIndex(self.settings.copy_threshold)
        for post_id, data in self.posts.iter_fingerprints():
            self.copies.add(post_id, Fingerprint.from_bytes(data))
        self.spread = SpreadWindow(
            self.settings.spread_sources, timedelta(minutes=self.settings.spread_minutes), self.spin
        )
        since = datetime.now(UTC) - timedelta(minutes=self.settings.spread_minutes)
        with self.database.read() as connection:
            rows = connection.execute(
                select(posts.c.id, posts.c.source_id, posts.c.fetched_at, claims.c.position, claims.c.text)
                .join(claims, claims.c.post_id == posts.c.id)
                .where(posts.c.fetched_at >= since, claims.c.checkworthiness >= self.settings.checkworthy_threshold)
                .order_by(posts.c.fetched_at, posts.c.id, claims.c.position)
            ).all()
        for row in rows:
            moment = row.fetched_at if row.fetched_at.tzinfo else row.fetched_at.replace(tzinfo=UTC)
            self.spread.observe(moment, row.source_id or 0, row.id, row.position, row.text)
        self._loaded = True

    # -- one batch --------------------------------------------------------------------------------------

    def process_batch(self, limit: int = 32) -> BatchReport:
        """Lease and process up to `limit` pending items. A batch that fails is retried item by item; an item
        that fails on its own goes back to the inbox with the error, and after WORKER_MAX_ATTEMPTS failures is
        set aside as dead with it: one bad item never blocks the inbox."""
        if not self._loaded:
            self.load()
        with self._clock("read inbox"):
            entries = self.inbox.lease(
                self.worker, limit, self.settings.worker_lease_seconds, self.settings.worker_max_attempts
            )
            if not entries:
                return BatchReport()
            sources = {s.id: s for s in self.sources.all()}
        try:
            return self._process(entries, sources)
        except LeaseLost:
            return self._lost(entries)
        except Exception:  # noqa: BLE001 - isolate the item at fault, keep the rest flowing
            self.load()  # the in-memory indexes may have seen posts that were not stored
            if len(entries) > 1:
                report = BatchReport()
                for entry in entries:
                    report.add(self._process_alone(entry, sources))
                return report
            return self._process_alone(entries[0], sources)

    def _lost(self, entries: list[InboxEntry]) -> BatchReport:
        """Some lease of the batch was taken over: forget what the batch taught the indexes, give back the rest."""
        log.warning("a lease of this batch expired and was taken over: the batch is left to the other worker")
        self.load()
        self.inbox.release(self.worker, [e.id for e in entries])
        return BatchReport()

    def _process_alone(self, entry: InboxEntry, sources: dict[int, Source]) -> BatchReport:
        try:
            return self._process([entry], sources)
        except LeaseLost:
            return self._lost([entry])
        except Exception as exc:  # noqa: BLE001 - see process_batch
            self.load()
            log.exception("inbox item %s (source %s) could not be processed", entry.id, entry.source_id)
            error = f"processing failed: {type(exc).__name__}: {exc}"
            with self.database.write() as connection:
                state = InboxStore.fail(connection, entry, self.worker, error, self.settings.worker_max_attempts)
            return BatchReport(taken=1, dead=int(state == "dead"), retried=int(state == "pending"))

    def _process(self, entries: list[InboxEntry], sources: dict[int, Source]) -> BatchReport:
        report = BatchReport(taken=len(entries))
        with self._clock("normalise"):
            work = [self._prepare(entry, sources[entry.source_id]) for entry in entries]
        with self._clock("de-duplicate"):
            self._deduplicate(work, report)
        with self._clock("sentences + check-worthiness"):
            self._claims(work, report)
        with self._clock("match + alerts"):
            new_alerts = self._match(work, report)
        with self._clock("narratives"):
            pending = self._narrative_claims(work)
        with self._clock("store"), self.database.write() as connection:
            for item in work:  # settled first: a batch whose lease was taken over is rolled back whole
                post_id = item.post.id if item.post else item.reason_post
                if not InboxStore.settle(connection, item.entry.id, item.state, post_id, item.reason, self.worker):
                    raise LeaseLost(item.entry.id)
            for item in work:
                if item.post is not None:
                    PostStore.insert(connection, item.post)
            self.narratives.assign(connection, pending)
            new_alerts += TrendService.burst_alerts(connection, [c.post_id for c in pending if c.post_id])
            report.alerts = AlertStore.add(connection, new_alerts)
        for item in work:
            if item.post is not None:
                self.copies.add(item.post.id, Fingerprint.from_bytes(item.post.fingerprint))
        return report

    def _prepare(self, entry: InboxEntry, source: Source) -> _Work:
        work = _Work(entry, source)
        item = entry.item
        if item is None:
            work.state, work.reason = "rejected", "the item's content is missing"
            return work
        try:
            text = clean_text(check_text(item.text))
        except InputError as exc:
            work.state, work.reason = "rejected", str(exc)
            return work
        if not text:
            work.state, work.reason = "rejected", "text is empty"
            return work
        title = normalize_display(item.title) if item.title else None
        url = item.url if is_http_url(item.url) else None  # a javascript: link is never kept
        post_id = post_id_for(source, item.key, url)
        work.post = NewPost(
            id=post_id,
            source_id=source.id,
            text=text,
            title=title,
            url=url,
            canonical_url=canonical_url(url),
            language=guess_language(text[:2000]),
            published_at=parse_published(item.published),
            content_hash=content_hash(text),
            copy_of=None,
            copy_similarity=None,
            fingerprint=b"",
        )
        return work

    def _deduplicate(self, work: Sequence[_Work], report: BatchReport) -> None:
        candidates = [w for w in work if w.post is not None]
        with self.database.read() as connection:
            ids, by_url, by_hash = self.posts.existing(
                connection,
                [w.post.id for w in candidates if w.post],
                [w.post.canonical_url for w in candidates if w.post and w.post.canonical_url],
                [w.post.content_hash for w in candidates if w.post],
            )
        batch_ids: set[str] = set()
        batch_urls: dict[str, str] = {}
        batch_hashes: dict[str, str] = {}
        local = CopyIndex(self.settings.copy_threshold)
        for w in candidates:
            post = w.post
            assert post is not None
            holder = by_url.get(post.canonical_url or "") or batch_urls.get(post.canonical_url or "")
            if post.id in ids or post.id in batch_ids:
                w.state, w.reason, w.reason_post, w.post = "duplicate", "a post with this id is stored", post.id, None
            elif post.canonical_url and holder:
                w.state, w.reason, w.reason_post, w.post = "duplicate", f"same URL as post {holder}", holder, None
            if w.post is None:
                report.duplicates += 1
                continue
            print_ = fingerprint(((post.title or "") + "\n" + post.text), self.spin)
            original = by_hash.get(post.content_hash) or batch_hashes.get(post.content_hash)
            copy_of, similarity = (original, 1.0) if original else (None, None)
            if copy_of is None:
                best = self.copies.best(print_)
                best_local = local.best(print_)
                if best_local and (best is None or best_local.similarity > best.similarity):
                    best = best_local
                if best:
                    copy_of, similarity = best.post_id, best.similarity
            w.post = replace(post, fingerprint=print_.to_bytes(), copy_of=copy_of, copy_similarity=similarity)
            report.copies += copy_of is not None
            local.add(post.id, print_)
            batch_ids.add(post.id)
            if post.canonical_url:
                batch_urls[post.canonical_url] = post.id
            batch_hashes.setdefault(post.content_hash, post.id)
            report.stored += 1
        report.rejected = sum(1 for w in work if w.state == "rejected")

    @contextmanager
    def _clock(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] += time.perf_counter() - started

    def _claims(self, work: Sequence[_Work], report: BatchReport) -> None:
        for w in work:
            post = w.post
            if post is None:
                continue
            text = f"{post.title}\n{post.text}" if post.title and post.title not in post.text[:500] else post.text
            sentences = split_sentences(text)[:MAX_SENTENCES]
            scored = [(i, s, self.checkworthiness.score(s)) for i, s in enumerate(sentences)]
            w.sentences = scored
            report.sentences += len(scored)
            w.post = replace(post, claims=[NewClaim(i, s[:5000], score) for i, s, score in scored])

    def _narrative_claims(self, work: Sequence[_Work]) -> list[PendingClaim]:
        """Each stored post's claim (its check-worthy sentences), embedded, with the fact-check the same-claim
        decision matched it to; dated by the post's published time (its fetch time when it has none)."""
        chosen = [
            (w, claim)
            for w in work
            if w.post and (claim := post_claim(w.sentences, self.settings.checkworthy_threshold))
        ]
        if not chosen:
            return []
        first = min(self.narratives.store.organisations(), default=None)
        matched = {w.post.id: w.post.matches[0].factcheck_id for w, _ in chosen
                   if w.post and w.post.matches and w.post.matches[0].decision}  # fmt: skip
        factchecks = {i: fc.claim for i, fc in self.factchecks.get_many(matched.values()).items()}
        vectors = self.narratives.embed([claim for _, claim in chosen] + list(factchecks.values()))
        by_factcheck = dict(zip(factchecks, vectors[len(chosen) :], strict=True))
        now = datetime.now(UTC)
        pending = []
        for (w, claim), vector in zip(chosen, vectors[: len(chosen)], strict=True):
            assert w.post is not None
            organisation = w.source.organisation_id or first  # None while the install has no organisation
            same = matched.get(w.post.id)
            pending.append(PendingClaim(organisation, claim, w.post.published_at or now, vector, post_id=w.post.id,
                                        same_claim_factcheck=same, factcheck_claim=factchecks.get(same or ""),
                                        factcheck_vector=by_factcheck.get(same or "")))  # fmt: skip
        return pending

    def _match(self, work: Sequence[_Work], report: BatchReport) -> list[NewAlert]:
        queries: list[tuple[object, str]] = []
        owners: list[_Work] = []
        for w in work:
            post = w.post
            if post is None:
                continue
            scored = w.sentences
            if len(scored) <= SHORT_POST_SENTENCES:  # a social post: match all of it, whatever its style
                worthy = scored
            else:  # matching is cheap enough to look past the doubtful sentences of long articles too
                threshold = min(self.settings.checkworthy_threshold, MATCH_FLOOR)
                worthy = sorted((x for x in scored if x[2] >= threshold), key=lambda x: -x[2])
                worthy = worthy[:MAX_MATCHED_SENTENCES]
            if worthy:
                queries.append((post.id, "\n".join(s for _, s, _ in sorted(worthy))))
                owners.append(w)
        alerts: list[NewAlert] = []
        answers = self.matching.suggestions(queries) if queries else []
        matched_sentences: dict[str, set[str]] = {}
        for w, (result, suggestion) in zip(owners, answers, strict=True):
            assert w.post is not None
            if suggestion is None:
                continue
            w.post = replace(w.post, matches=[suggestion])
            if result.matched:
                report.matched += 1
                matched_sentences.setdefault(w.post.id, set()).add(result.matches[0].sentence)
                factcheck = self.factchecks.get(suggestion.factcheck_id)
                if factcheck and is_debunked(
                    factcheck.rating.label, factcheck.rating.value, factcheck.rating.best, factcheck.rating.worst
                ):
                    alerts.append(NewAlert("repeat", f"repeat:{w.post.id}:{factcheck.id}", w.post.id, factcheck.id,
                                           result.matches[0].sentence, result.matches[0].score))  # fmt: skip
        now = datetime.now(UTC)
        for w in work:
            if w.post is None:
                continue
            watched = [
                x
                for x in w.sentences
                if x[2] >= self.settings.checkworthy_threshold
                and len(x[1].split()) >= MIN_SPREAD_WORDS
                and x[1] not in matched_sentences.get(w.post.id, ())
            ]
            for position, sentence, score in sorted(watched, key=lambda x: -x[2])[:SPREAD_SENTENCES]:  # fmt: skip
                spreading = self.spread.observe(now, w.source.id, w.post.id, position, sentence)
                if spreading:
                    alerts.append(NewAlert("spread", f"spread:{spreading.key}", spreading.post_id, None,
                                           spreading.sentence, score, spreading.source_count))  # fmt: skip
        return alerts

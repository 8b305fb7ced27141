"""Retro-matching (issue 16): a fact-check, once published (or on demand), searched for in the stored posts.

The stored claim sentences are read in claim-id partitions; a cheap first stage (domain/retro.py) proposes
the few sentences that share most of the claim's words; their posts go through the SAME decision as live
matching (`MatchService.suggestions`: engine, recalibration, threshold, stance), with the text the pipeline
matched (its check-worthy sentences). A post is kept when its answer says "same claim" for this fact-check
and does not refute it. What a partition finds is recorded as matches (the intake puts them in the
fact-check's case, as live ones) and joins the fact-check's appearances, in the transaction that marks the
partition done (store/retro.py): a crash resumes from the partitions not yet done, with no duplicates.

Only posts of the fact-check's organisation's sources are searched (`post_owned_by`, as everywhere).
Publishing queues a job; a background thread of the web app (or `kiemchung run`) works it off, so the
publish request never waits; `kiemchung retro-match` runs one in the foreground, on PostgreSQL with several
worker processes sharing its partitions.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kiemchung.domain.accounts import PUBLISH, Actor
from kiemchung.domain.models import SuggestedMatch
from kiemchung.domain.retro import FirstStage
from kiemchung.errors import InputError, NotFoundError
from kiemchung.matching.lexical import background_df, bm25_idf
from kiemchung.services.background import BackgroundJobs
from kiemchung.services.matching import MatchService, PostResult
from kiemchung.services.pipeline import MATCH_FLOOR, MAX_MATCHED_SENTENCES, SHORT_POST_SENTENCES
from kiemchung.settings import Settings
from kiemchung.store.audit import AuditStore
from kiemchung.store.database import Database
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.retro import (
    PARTITION_SIZE,
    Appearance,
    CandidatePost,
    ClaimedPartition,
    FoundAppearance,
    PartitionCounts,
    RetroJob,
    RetroJobStore,
    factcheck_owner,
)

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (partitions done, partitions)


@dataclass(frozen=True)
class RetroStatus:
    """A fact-check's latest job and the appearances it found: one result for the API and the case page."""

    job: RetroJob | None
    found: list[FoundAppearance]

    def as_json(self) -> dict[str, object]:
        return {
            "job": self.job.as_json() if self.job else None,
            "found": [
                {"post_id": a.post_id, "url": a.url, "sentence": a.sentence, "score": a.score, "stance": a.stance,
                 "seen_at": a.seen_at.isoformat() if a.seen_at else None}
                for a in self.found
            ],
        }  # fmt: skip


COMMON_IDF = 2.0  # a word at least this common in news weighs nothing in the first stage


def word_weight(word: str) -> float:
    """A folded word's rarity: its idf in the news background the lexical index also reads (an unseen word
    counts as found in one line), less COMMON_IDF."""
    documents, table = background_df()
    if not documents:
        return 1.0
    return max(float(bm25_idf(documents, table.get(f"f:{word}", 1))) - COMMON_IDF, 0.0)


def matched_text(sentences: Sequence[tuple[int, str, float]], checkworthy_threshold: float) -> str:
    """What the pipeline matched of a post (services/pipeline.py `_match`): a short post whole, a long one's
    most check-worthy sentences, in their order."""
    if len(sentences) <= SHORT_POST_SENTENCES:
        worthy = list(sentences)
    else:
        floor = min(checkworthy_threshold, MATCH_FLOOR)
        worthy = sorted((s for s in sentences if s[2] >= floor), key=lambda s: -s[2])[:MAX_MATCHED_SENTENCES]
    return "\n".join(text for _, text, _ in sorted(worthy))


def appearance_in(
    result: PostResult, suggestion: SuggestedMatch | None, factcheck_id: str, text: str
) -> SuggestedMatch | None:
    """The live decision's answer for this fact-check: "same claim", repeated or asked about; else None."""
    item = next((m for m in result.matches if m.factcheck_id == factcheck_id), None)
    if item is None or item.closeness != "same" or item.stance == "refutes":
        return None
    if suggestion is not None and suggestion.factcheck_id == factcheck_id:
        return suggestion
    return SuggestedMatch(factcheck_id, text, item.sentence, item.score, {"stance": item.stance}, True)


class RetroMatcher:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        matching: MatchService,
        factchecks: FactCheckStore,
        partition_size: int = PARTITION_SIZE,
    ) -> None:
        self.settings = settings
        self.database = database
        self.matching = matching
        self.factchecks = factchecks
        self.store = RetroJobStore(database)
        self.partition_size = partition_size
        self.jobs = BackgroundJobs("retro", self.store.waiting, self._work_waiting_job)

    # -- use cases ----------------------------------------------------------------------------------------

    def queue(self, factcheck_id: str, trigger: str = "demand", user_id: int | None = None) -> RetroJob:
        """The fact-check's unfinished job, or a new queued one (NotFoundError: no such fact-check)."""
        with self.database.write() as connection:
            job_id = RetroJobStore.queue(connection, factcheck_id, trigger, self.partition_size, user_id)
        if job_id is None:
            raise NotFoundError(f"no fact-check with id {factcheck_id!r}")
        job = self.store.get(job_id)
        assert job is not None
        return job

    def run(self, factcheck_id: str, progress: Progress | None = None) -> RetroJob:
        """Search the stored posts for the fact-check now (resuming its unfinished job if it has one)."""
        return self.run_job(self.queue(factcheck_id).id, progress)

    def request(self, actor: Actor, factcheck_id: str) -> RetroStatus:
        """An editor asks for a retro-match of one of the organisation's fact-checks; it runs in the background.
        Another organisation's fact-check is "not found", as if it did not exist."""
        actor.require(PUBLISH)
        with self.database.write() as connection:
            known, owner = factcheck_owner(connection, factcheck_id)
            if not known or owner != actor.organisation_id:
                raise NotFoundError(f"no fact-check with id {factcheck_id!r}")
            job_id = RetroJobStore.queue(connection, factcheck_id, "demand", self.partition_size, actor.user_id)
            AuditStore.record_in(connection, owner, actor, "factcheck.retro_match", "factcheck", factcheck_id,
                                 job=job_id)  # fmt: skip
        assert job_id is not None
        self.submit(job_id)
        return self.status(actor, factcheck_id)

    def status(self, actor: Actor, factcheck_id: str) -> RetroStatus:
        """The fact-check's latest job and what it found, for its organisation's people only."""
        with self.database.read() as connection:
            known, owner = factcheck_owner(connection, factcheck_id)
        if not known or owner != actor.organisation_id:
            raise NotFoundError(f"no fact-check with id {factcheck_id!r}")
        job = self.store.latest(factcheck_id)
        return RetroStatus(job, self.store.found(job.id) if job else [])

    # -- working a job ------------------------------------------------------------------------------------

    def run_job(self, job_id: int, progress: Progress | None = None, stop: threading.Event | None = None) -> RetroJob:
        """Work the job's pending partitions until none is left to take (other workers may share them)."""
        return self._work_job(job_id, progress, stop)[0]

    def _work_job(
        self, job_id: int, progress: Progress | None = None, stop: threading.Event | None = None
    ) -> tuple[RetroJob, int]:
        """run_job, and how many partitions this worker did."""
        job = self.store.start(job_id)
        if job is None:
            raise NotFoundError(f"no retro-match job {job_id}")
        worked = 0
        try:
            stage = self._first_stage(job) if job.state == "running" else None
            while stage is not None and job.state == "running" and not (stop is not None and stop.is_set()):
                with self.store.claim(job_id) as claimed:
                    if claimed is None:
                        break
                    worked += self._judge(job, stage, claimed)
                job = self.store.get(job_id) or job
                if progress:
                    progress(job.partitions_done, job.partitions)
        except Exception as exc:
            log.exception("retro-match job %s failed", job_id)
            self.store.fail(job_id, f"{type(exc).__name__}: {exc}")
            raise
        return self.store.get(job_id) or job, worked

    def _first_stage(self, job: RetroJob) -> FirstStage:
        factcheck = self.factchecks.get(job.factcheck_id)
        if factcheck is None:
            raise NotFoundError(f"no fact-check with id {job.factcheck_id!r}")
        if job.factcheck_id not in self.matching.index().claims:
            self.matching.on_imported([factcheck])  # published a moment ago: the index catches up
        if job.factcheck_id not in self.matching.index().claims:
            raise InputError(f"fact-check {job.factcheck_id} is not in the matching index yet")
        return FirstStage.of(factcheck.claim, word_weight)

    def _judge(self, job: RetroJob, stage: FirstStage, claimed: ClaimedPartition) -> bool:
        """The first stage over the partition's sentences, the live decision over the posts it proposes, and
        what was found written with the partition done."""
        sentences = self.store.sentences(claimed.partition, job.organisation_id)
        texts: dict[str, list[str]] = {}
        first_claim: dict[str, int] = {}
        for sentence in sentences:
            texts.setdefault(sentence.post_id, []).append(sentence.text)
            first_claim.setdefault(sentence.post_id, sentence.claim_id)
        proposed = {
            post_id: first_claim[post_id] for post_id, parts in texts.items() if stage.proposes("\n".join(parts))
        }
        posts = self.store.candidate_posts(list(proposed))
        found = self._decide(job.factcheck_id, posts, proposed)
        return self.store.finish(claimed, PartitionCounts(len(sentences), len(posts)), found)

    def _decide(self, factcheck_id: str, posts: Sequence[CandidatePost], claim_ids: dict[str, int]) -> list[Appearance]:
        queries = [(p, matched_text(p.sentences, self.settings.checkworthy_threshold)) for p in posts]
        queries = [(p, text) for p, text in queries if text.strip()]
        if not queries:
            return []
        answers = self.matching.suggestions([(p.id, text) for p, text in queries])
        found = []
        for (post, text), (result, suggestion) in zip(queries, answers, strict=True):
            kept = appearance_in(result, suggestion, factcheck_id, text)
            if kept is not None:
                found.append(Appearance(post, claim_ids.get(post.id), kept))
        return found

    # -- in the background ----------------------------------------------------------------------------------

    def submit(self, job_id: int | None = None) -> None:
        """Work this job (and any other waiting) soon, in a background thread; never blocks."""
        self.jobs.submit(job_id)

    def run_waiting(self, stop: threading.Event | None = None) -> int:
        """Work every queued (or abandoned running) job; how many partitions this worker did."""
        return self.jobs.run_waiting(stop)

    def _work_waiting_job(self, job_id: int, stop: threading.Event) -> int:
        with contextlib.suppress(Exception):  # a failure is recorded on the job; the next one goes on
            return self._work_job(job_id, stop=stop)[1]
        return 0

    def close(self, timeout: float = 5.0) -> None:
        self.jobs.close(timeout)

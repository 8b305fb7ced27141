"""Retro-match jobs: a fact-check searched for in the stored posts, partition by partition.

A job's partitions are ranges of `claims.id`, planned once when the job starts (claims stored later were
matched live, against a fact-check that existed by then). Each partition is done in ONE transaction that
records what it found (matches, the fact-check's appearances, the job's counts) and marks it done; on
PostgreSQL that transaction claims the partition with FOR UPDATE SKIP LOCKED and holds it while the
partition is judged, so several processes share a job and a crashed one leaves its partition pending. On
SQLite (one process) the partition is judged first and written only if it is still pending. A post that
already has a match to the fact-check (found live, or by an earlier partition or job) is not recorded again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, select, update
from sqlalchemy.orm import aliased

from kiemchung.domain.imports import is_http_url
from kiemchung.domain.models import SuggestedMatch
from kiemchung.store.database import Database, aware
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.organisations import owner_of
from kiemchung.store.posts import post_owned_by
from kiemchung.store.schema import claims, factchecks, matches, posts, retro_jobs, retro_partitions, subscriptions

UNFINISHED = ("queued", "running", "failed")
PARTITION_SIZE = 5000  # claim ids per partition (a job's unit of work, of resuming and of sharing)
MAX_APPEARANCES = 100  # as many as a confirmed repeat keeps attaching (services/repeats.py)


@dataclass(frozen=True)
class RetroJob:
    id: int
    factcheck_id: str
    organisation_id: int | None
    state: str  # queued | running | done | failed
    trigger: str  # publish | demand
    partition_size: int
    partitions: int
    partitions_done: int
    last_claim_id: int | None
    scanned: int
    candidates: int
    found: int
    first_seen: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None

    @property
    def finished(self) -> bool:
        return self.state == "done"

    def as_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in ("first_seen", "created_at", "started_at", "finished_at"):
            data[name] = data[name].isoformat() if data[name] else None
        return data


@dataclass(frozen=True)
class Partition:
    id: int
    job_id: int
    first_claim_id: int
    last_claim_id: int


@dataclass(frozen=True)
class StoredSentence:
    """A claim sentence of a post the job's organisation owns."""

    claim_id: int
    post_id: str
    text: str


@dataclass(frozen=True)
class CandidatePost:
    id: str
    url: str | None
    seen_at: datetime  # published, else fetched
    sentences: list[tuple[int, str, float]]  # (position, text, check-worthiness) as the pipeline scored them


@dataclass(frozen=True)
class Appearance:
    """A post the live decision matched to the fact-check, to record."""

    post: CandidatePost
    claim_id: int | None
    suggestion: SuggestedMatch


@dataclass(frozen=True)
class PartitionCounts:
    scanned: int
    candidates: int


@dataclass(frozen=True)
class FoundAppearance:
    post_id: str
    url: str | None
    sentence: str
    score: float
    stance: str
    seen_at: datetime | None


def _job(row: Any) -> RetroJob:
    return RetroJob(
        row.id, row.factcheck_id, row.organisation_id, row.state, row.trigger, row.partition_size, row.partitions,
        row.partitions_done, row.last_claim_id, row.scanned, row.candidates, row.found, aware(row.first_seen),
        aware(row.created_at), aware(row.started_at), aware(row.finished_at), row.error,
    )  # fmt: skip


def factcheck_owner(connection: Connection, factcheck_id: str) -> tuple[bool, int | None]:
    """Whether the fact-check exists, and the organisation whose posts it is matched with: its own, its
    subscription's, else the installation's first (store/organisations.py)."""
    row = connection.execute(
        select(owner_of(func.coalesce(factchecks.c.organisation_id, subscriptions.c.organisation_id)))
        .select_from(factchecks)
        .outerjoin(subscriptions, subscriptions.c.id == factchecks.c.subscription_id)
        .where(factchecks.c.id == factcheck_id)
    ).first()
    return (row is not None, row[0] if row is not None else None)


@dataclass(frozen=True)
class ClaimedPartition:
    """A partition a worker judges now; on PostgreSQL with the transaction that holds it."""

    partition: Partition
    connection: Connection | None


class RetroJobStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # -- jobs -------------------------------------------------------------------------------------------

    @staticmethod
    def queue(
        connection: Connection, factcheck_id: str, trigger: str, partition_size: int, user_id: int | None = None
    ) -> int | None:
        """A job for the fact-check (inside the caller's transaction): the unfinished one if there is one (a
        failed one queued again), else a new queued job; None when there is no such fact-check."""
        known, organisation_id = factcheck_owner(connection, factcheck_id)
        if not known:
            return None
        current = connection.execute(
            select(retro_jobs.c.id, retro_jobs.c.state)
            .where(retro_jobs.c.factcheck_id == factcheck_id, retro_jobs.c.state.in_(UNFINISHED))
            .order_by(retro_jobs.c.id.desc())
        ).first()
        if current is not None:
            if current.state == "failed":  # asked for again: it resumes (its done partitions stay done)
                connection.execute(update(retro_jobs).where(retro_jobs.c.id == current.id).values(state="queued"))
            return int(current.id)
        result = connection.execute(
            retro_jobs.insert().values(
                factcheck_id=factcheck_id,
                organisation_id=organisation_id,
                state="queued",
                trigger=trigger,
                requested_by=user_id,
                partition_size=partition_size,
                created_at=datetime.now(UTC),
            )  # fmt: skip
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def get(self, job_id: int) -> RetroJob | None:
        with self.database.read() as connection:
            row = connection.execute(select(retro_jobs).where(retro_jobs.c.id == job_id)).first()
        return _job(row) if row else None

    def latest(self, factcheck_id: str) -> RetroJob | None:
        with self.database.read() as connection:
            row = connection.execute(
                select(retro_jobs).where(retro_jobs.c.factcheck_id == factcheck_id).order_by(retro_jobs.c.id.desc())
            ).first()
        return _job(row) if row else None

    def waiting(self, limit: int = 10) -> list[int]:
        """Jobs to work on, oldest first: queued ones, and running ones (a crashed run's, or another worker's
        that this one can help with)."""
        with self.database.read() as connection:
            rows = connection.execute(
                select(retro_jobs.c.id)
                .where(retro_jobs.c.state.in_(("queued", "running")))
                .order_by(retro_jobs.c.id)
                .limit(limit)
            ).all()
        return [int(r.id) for r in rows]

    def start(self, job_id: int) -> RetroJob | None:
        """Plan the job's partitions (once) and mark it running; a failed job resumes. None: no such job."""
        with self.database.write() as connection:
            row = connection.execute(select(retro_jobs).where(retro_jobs.c.id == job_id).with_for_update()).first()
            if row is None:
                return None
            if row.state in ("queued", "failed"):
                planned = connection.execute(
                    select(func.count()).select_from(retro_partitions).where(retro_partitions.c.job_id == job_id)
                ).scalar_one()
                count = int(planned) if planned else self._plan(connection, job_id, row.partition_size)
                now = datetime.now(UTC)
                connection.execute(
                    update(retro_jobs)
                    .where(retro_jobs.c.id == job_id)
                    .values(state="running", partitions=count, started_at=row.started_at or now, error=None)
                )
                self._finish_if_done(connection, job_id)
        return self.get(job_id)

    @staticmethod
    def _plan(connection: Connection, job_id: int, size: int) -> int:
        low, high = connection.execute(select(func.min(claims.c.id), func.max(claims.c.id))).one()
        if low is None:
            return 0
        rows = [
            {"job_id": job_id, "first_claim_id": start, "last_claim_id": min(start + size - 1, int(high)),
             "state": "pending"}
            for start in range(int(low), int(high) + 1, size)
        ]  # fmt: skip
        for chunk in range(0, len(rows), 1000):
            connection.execute(retro_partitions.insert(), rows[chunk : chunk + 1000])
        return len(rows)

    def fail(self, job_id: int, error: str) -> None:
        with self.database.write() as connection:
            connection.execute(
                update(retro_jobs)
                .where(retro_jobs.c.id == job_id, retro_jobs.c.state != "done")
                .values(state="failed", error=error[:2000])
            )

    # -- partitions -------------------------------------------------------------------------------------

    @contextmanager
    def claim(self, job_id: int) -> Iterator[ClaimedPartition | None]:
        """The next pending partition of the job (None when none is left to take). On PostgreSQL it stays
        locked until the block ends: `finish` writes on the same transaction, committed at the end."""
        query = (
            select(retro_partitions)
            .where(retro_partitions.c.job_id == job_id, retro_partitions.c.state == "pending")
            .order_by(retro_partitions.c.first_claim_id)
            .limit(1)
        )
        if self.database.is_sqlite:
            with self.database.read() as connection:
                row = connection.execute(query).first()
            yield ClaimedPartition(_partition(row), None) if row else None
            return
        with self.database.engine.connect() as connection, connection.begin():
            row = connection.execute(query.with_for_update(skip_locked=True)).first()
            yield ClaimedPartition(_partition(row), connection) if row else None

    def sentences(self, partition: Partition, organisation_id: int | None) -> list[StoredSentence]:
        """Every claim sentence of the posts whose first sentence is in the partition (a post is judged whole,
        once) that the organisation owns, in id order."""
        starting = select(claims.c.post_id).where(
            claims.c.id.between(partition.first_claim_id, partition.last_claim_id)
        )
        earlier = aliased(claims)
        query = (
            select(claims.c.id, claims.c.post_id, claims.c.text)
            .join(posts, posts.c.id == claims.c.post_id)
            .where(claims.c.post_id.in_(starting))
            .where(~exists().where(earlier.c.post_id == claims.c.post_id, earlier.c.id < partition.first_claim_id))
            .order_by(claims.c.id)
        )
        if organisation_id is not None:
            query = query.where(post_owned_by(organisation_id))
        with self.database.read() as connection:
            return [StoredSentence(r.id, r.post_id, r.text) for r in connection.execute(query)]

    def candidate_posts(self, post_ids: Sequence[str]) -> list[CandidatePost]:
        """The posts with every claim sentence the pipeline stored, in the order asked."""
        if not post_ids:
            return []
        with self.database.read() as connection:
            found = {
                r.id: r
                for r in connection.execute(
                    select(posts.c.id, posts.c.url, posts.c.published_at, posts.c.fetched_at).where(
                        posts.c.id.in_(list(post_ids))
                    )
                )
            }
            sentences: dict[str, list[tuple[int, str, float]]] = {}
            for r in connection.execute(
                select(claims.c.post_id, claims.c.position, claims.c.text, claims.c.checkworthiness)
                .where(claims.c.post_id.in_(list(found)))
                .order_by(claims.c.post_id, claims.c.position)
            ):
                sentences.setdefault(r.post_id, []).append((r.position, r.text, float(r.checkworthiness or 0.0)))
        return [
            CandidatePost(p, found[p].url, aware(found[p].published_at or found[p].fetched_at), sentences.get(p, []))
            for p in post_ids
            if p in found
        ]

    def finish(self, claimed: ClaimedPartition, counts: PartitionCounts, found: Sequence[Appearance]) -> bool:
        """Record what the partition found and mark it done, in one transaction; False when another worker
        had done it meanwhile (nothing is written then)."""
        if claimed.connection is not None:
            return self._finish(claimed.connection, claimed.partition, counts, found)
        with self.database.write() as connection:
            return self._finish(connection, claimed.partition, counts, found)

    def _finish(
        self, connection: Connection, partition: Partition, counts: PartitionCounts, found: Sequence[Appearance]
    ) -> bool:
        done = connection.execute(
            update(retro_partitions)
            .where(retro_partitions.c.id == partition.id, retro_partitions.c.state == "pending")
            .values(state="done", finished_at=datetime.now(UTC))
        )
        if done.rowcount != 1:
            return False
        factcheck_id = connection.execute(
            select(retro_jobs.c.factcheck_id).where(retro_jobs.c.id == partition.job_id)
        ).scalar_one()
        # one writer per fact-check at a time: its appearances and "is there a match already" stay exact
        connection.execute(select(factchecks.c.id).where(factchecks.c.id == factcheck_id).with_for_update())
        job = connection.execute(select(retro_jobs).where(retro_jobs.c.id == partition.job_id)).one()
        recorded = _record_matches(connection, job.factcheck_id, partition.job_id, found)
        if recorded:
            _extend_appearances(connection, job.factcheck_id, job.organisation_id, recorded)
        first_seen = min((a.post.seen_at for a in recorded), default=None)
        connection.execute(
            update(retro_jobs)
            .where(retro_jobs.c.id == partition.job_id)
            .values(
                partitions_done=retro_jobs.c.partitions_done + 1,
                scanned=retro_jobs.c.scanned + counts.scanned,
                candidates=retro_jobs.c.candidates + counts.candidates,
                found=retro_jobs.c.found + len(recorded),
            )
        )
        _advance(connection, job, partition, first_seen)
        self._finish_if_done(connection, partition.job_id)
        return True

    @staticmethod
    def _finish_if_done(connection: Connection, job_id: int) -> None:
        pending = connection.execute(
            select(func.count())
            .select_from(retro_partitions)
            .where(retro_partitions.c.job_id == job_id, retro_partitions.c.state == "pending")
        ).scalar_one()
        if not pending:
            connection.execute(
                update(retro_jobs)
                .where(retro_jobs.c.id == job_id)
                .values(state="done", finished_at=datetime.now(UTC), error=None)
            )

    # -- what a job found ---------------------------------------------------------------------------------

    def found(self, job_id: int, limit: int = 200) -> list[FoundAppearance]:
        """The appearances the job recorded, earliest post first."""
        job = self.get(job_id)
        if job is None:
            return []
        with self.database.read() as connection:
            rows = connection.execute(
                select(matches.c.post_id, matches.c.sentence, matches.c.score, matches.c.features, posts.c.url,
                       posts.c.published_at, posts.c.fetched_at)
                .join(posts, posts.c.id == matches.c.post_id)
                .where(matches.c.factcheck_id == job.factcheck_id, matches.c.decision.is_(True))
                .order_by(matches.c.id.desc())
            ).all()  # fmt: skip
        out = [
            FoundAppearance(r.post_id, r.url, r.sentence, r.score, str((r.features or {}).get("stance", "repeats")),
                            aware(r.published_at or r.fetched_at))
            for r in rows
            if (r.features or {}).get("retro_job") == job_id
        ]  # fmt: skip
        out.sort(key=lambda a: (a.seen_at or datetime.max.replace(tzinfo=UTC), a.post_id))
        return out[:limit]


def _partition(row: Any) -> Partition:
    return Partition(row.id, row.job_id, row.first_claim_id, row.last_claim_id)


def _record_matches(
    connection: Connection, factcheck_id: str, job_id: int, found: Sequence[Appearance]
) -> list[Appearance]:
    """Insert a match for each post that has none to the fact-check yet; the ones recorded."""
    recorded: list[Appearance] = []
    now = datetime.now(UTC)
    for appearance in found:
        known = connection.execute(
            select(
                exists().where(and_(matches.c.post_id == appearance.post.id, matches.c.factcheck_id == factcheck_id))
            )
        ).scalar()
        if known or appearance.post.id in {a.post.id for a in recorded}:
            continue
        s = appearance.suggestion
        connection.execute(
            matches.insert().values(
                post_id=appearance.post.id,
                claim_id=appearance.claim_id,
                factcheck_id=factcheck_id,
                query_text=s.query_text[:20_000],
                sentence=s.sentence,
                score=s.score,
                features={**s.features, "retro_job": job_id},
                decision=True,
                created_at=now,
            )  # fmt: skip
        )
        recorded.append(appearance)
    return recorded


def _extend_appearances(
    connection: Connection, factcheck_id: str, organisation_id: int | None, recorded: Sequence[Appearance]
) -> None:
    """The posts' addresses join the fact-check's appearances (its own organisation's or an archive record,
    never another's or a subscription's: `FactCheckStore.attachable`), the earliest becoming its first
    appearance when it is earlier than the one known."""
    if not FactCheckStore.attachable(connection, factcheck_id, organisation_id):
        return
    dated = sorted((a.post.seen_at, a.post.url) for a in recorded if a.post.url and is_http_url(a.post.url))
    if not dated:
        return
    FactCheckStore.add_appearances(connection, factcheck_id, [url for _, url in dated], MAX_APPEARANCES)
    current = connection.execute(
        select(factchecks.c.first_appearance).where(factchecks.c.id == factcheck_id)
    ).scalar_one_or_none()
    known = connection.execute(
        select(func.min(func.coalesce(posts.c.published_at, posts.c.fetched_at))).where(posts.c.url == current)
    ).scalar_one_or_none()
    earliest_at, earliest_url = dated[0]
    if current != earliest_url and known is not None and earliest_at < aware(known):
        connection.execute(
            update(factchecks).where(factchecks.c.id == factcheck_id).values(first_appearance=earliest_url)
        )


def _advance(connection: Connection, job: Any, partition: Partition, first_seen: datetime | None) -> None:
    """The job's highest partition done and earliest post found, kept in step (the caller holds the lock)."""
    values: dict[str, Any] = {}
    if job.last_claim_id is None or partition.last_claim_id > job.last_claim_id:
        values["last_claim_id"] = partition.last_claim_id
    if first_seen is not None and (job.first_seen is None or first_seen < aware(job.first_seen)):
        values["first_seen"] = first_seen
    if values:
        connection.execute(update(retro_jobs).where(retro_jobs.c.id == partition.job_id).values(**values))

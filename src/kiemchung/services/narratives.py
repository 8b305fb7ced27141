"""Narrative use cases: assign claims as posts and fact-checks are stored, list and export narratives, let
editors rename, merge, split, pin and rate them, and re-cluster without renumbering what editors touched.

Every editor action is one transaction with its audit entry. Assignment runs inside the pipeline's own
write transaction (a post and its narrative membership are stored together). The in-memory centroid index
of each organisation is rebuilt from the stored member vectors when an editor changed something (an audit
entry on a narrative newer than the index) or when the caller says the store moved on (`forget`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, select

from kiemchung.domain.accounts import PUBLISH, READ, Actor
from kiemchung.domain.narrative_regroup import MAX_CLAIMS, regroup
from kiemchung.domain.narrative_trends import export_bursts
from kiemchung.domain.narratives import RISK_LEVELS, Claim, Member, Narrative, NarrativeIndex, group, keep_numbers
from kiemchung.errors import InputError, NotFoundError
from kiemchung.matching.embedders import Embedder, HashingEmbedder
from kiemchung.matching.static import static_embedder
from kiemchung.services.matching import MatchService
from kiemchung.settings import Settings
from kiemchung.store.audit import AuditStore
from kiemchung.store.database import Database
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.narrative_timelines import TimelineStore
from kiemchung.store.narratives import CarriedVerdict, NarrativeStore, NewMember, vector_of
from kiemchung.store.schema import audit_log

log = logging.getLogger(__name__)

OBJECT = "narrative"


@dataclass(frozen=True)
class PendingClaim:
    """A claim to assign, prepared (embedded) before the write transaction."""

    organisation_id: int | None
    sentence: str
    published: datetime | None
    vector: np.ndarray = field(compare=False, repr=False)
    post_id: str | None = None
    factcheck_id: str | None = None
    same_claim_factcheck: str | None = None  # the fact-check the same-claim decision matched it to
    factcheck_claim: str | None = None  # that fact-check's claim, in case it has no narrative yet
    factcheck_vector: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class NarrativeDetail:
    """One narrative for the page, the API and the CLI: the narrative and its members."""

    narrative: Narrative
    members: list[Member]

    @property
    def post_ids(self) -> list[str]:
        return [m.post_id for m in self.members if m.post_id]

    @property
    def factcheck_ids(self) -> list[str]:
        return sorted({m.factcheck_id for m in self.members if m.factcheck_id})

    def export_line(self, bursts: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
        """The contract's export line; `bursts` from domain.narrative_trends.export_bursts."""
        n = self.narrative
        return {
            "id": n.id, "label": n.label, "post_ids": self.post_ids, "factcheck_ids": self.factcheck_ids,
            "first_seen": _iso(n.first_seen), "last_seen": _iso(n.last_seen), "bursts": list(bursts),
        }  # fmt: skip

    def fingerprint(self) -> dict[str, Any]:
        """The narrative as partners receive it: label, variants, languages, seen, counts, fact-checks, risk."""
        n = self.narrative
        variants = list(dict.fromkeys(m.sentence for m in self.members))
        return {
            "id": n.id, "label": n.label, "variants": variants[:50],
            "languages": sorted({m.language for m in self.members if m.language}),
            "first_seen": _iso(n.first_seen), "last_seen": _iso(n.last_seen),
            "counts": {"posts": len(self.post_ids), "sources": len({m.source for m in self.members if m.source}),
                       "variants": len(variants)},
            "factchecks": self.factcheck_ids, "pinned_factcheck": n.pinned_factcheck_id, "risk_level": n.risk_level,
        }  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        data = self.fingerprint()
        data["post_ids"] = self.post_ids
        data["members"] = [
            {"post_id": m.post_id, "factcheck_id": m.factcheck_id, "sentence": m.sentence,
             "published": _iso(m.published), "assigned_by": m.assigned_by, "source": m.source}
            for m in self.members
        ]  # fmt: skip
        return data


def owner(actor: Actor) -> int | None:
    """The organisation an actor works for; 0 (the command line before any organisation exists) is None."""
    return actor.organisation_id or None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def narrative_json(n: Narrative) -> dict[str, Any]:
    return {
        "id": n.id, "label": n.label, "posts": n.posts, "factchecks": n.factchecks, "risk_level": n.risk_level,
        "pinned_factcheck": n.pinned_factcheck_id, "first_seen": _iso(n.first_seen), "last_seen": _iso(n.last_seen),
        "editor_touched": n.editor_touched,
    }  # fmt: skip


class NarrativeService:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        embedder: Embedder | None = None,
        matching: MatchService | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.matching = matching
        self.store = NarrativeStore(database)
        self._embedder = embedder
        self._indexes: dict[int | None, NarrativeIndex] = {}
        self._editor_mark = -1
        self._lock = threading.RLock()

    @cached_property
    def embedder(self) -> Embedder:
        """The matching engine's dense embedder; static token vectors without one (then a hashing fallback)."""
        dense = self.matching.embedder if self.matching is not None else None
        return self._embedder or dense or static_embedder() or HashingEmbedder()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.asarray(self.embedder.embed(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    # -- the in-memory index ---------------------------------------------------------------------------------

    def forget(self) -> None:
        """Drop the indexes (the store changed behind them: a failed batch, a recluster)."""
        with self._lock:
            self._indexes.clear()

    def index(self, organisation_id: int | None) -> NarrativeIndex:
        with self._lock:
            if organisation_id not in self._indexes:
                self._indexes[organisation_id] = self._load(organisation_id)
            return self._indexes[organisation_id]

    def _follow_editors(self) -> None:
        """Drop the indexes when an editor changed narratives since they were built (another process too)."""
        with self._lock:
            mark = self._editor_changes()
            if mark != self._editor_mark:
                self._indexes.clear()
                self._editor_mark = mark

    def _editor_changes(self) -> int:
        with self.database.read() as connection:
            return int(connection.execute(select(func.max(audit_log.c.id)).where(audit_log.c.object_type == OBJECT)
                                          ).scalar() or 0)  # fmt: skip

    def _load(self, organisation_id: int | None) -> NarrativeIndex:
        index = NarrativeIndex(self.embedder.dimension, self.settings.narrative_granularity)
        for narrative_id, claim in self._stored_claims(organisation_id):
            index.add(narrative_id, claim.vector, claim.text)
        return index

    def _stored_claims(self, organisation_id: int | None) -> Iterator[tuple[int, Claim]]:
        """(narrative id, claim) of every member, in assignment order; members without a usable vector are
        embedded again (in batches)."""
        waiting: list[tuple[int, str, str]] = []
        for narrative_id, key, sentence, data, _touched in self.store.iter_vectors(organisation_id):
            vector = vector_of(data, self.embedder.dimension)
            if vector is None:
                waiting.append((narrative_id, key, sentence))
                continue
            yield from self._embedded(waiting)
            waiting = []
            yield narrative_id, Claim(key, sentence, vector)
        yield from self._embedded(waiting)

    def _embedded(self, waiting: list[tuple[int, str, str]]) -> Iterator[tuple[int, Claim]]:
        for start in range(0, len(waiting), 256):
            chunk = waiting[start : start + 256]
            vectors = self.embed([sentence for _, _, sentence in chunk])
            for (narrative_id, key, sentence), vector in zip(chunk, vectors, strict=True):
                yield narrative_id, Claim(key, sentence, vector)

    # -- assignment (inside the pipeline's transaction) -----------------------------------------------------

    def assign(self, connection: Connection, pending: Sequence[PendingClaim]) -> int:
        """Assign each claim to a narrative (creating narratives as needed); returns how many were assigned.
        A matched fact-check without a narrative yet is assigned first, so the post joins it."""
        if not pending:
            return 0
        self._follow_editors()
        assigned = 0
        for claim in pending:
            index = self.index(claim.organisation_id)
            same = self._factcheck_narrative(connection, index, claim)
            choice = index.choose(claim.vector, same)
            narrative_id = choice.narrative_id or NarrativeStore.create(
                connection, claim.organisation_id, claim.sentence
            )
            member = NewMember(claim.organisation_id, claim.sentence, claim.published, claim.vector, claim.post_id,
                               claim.factcheck_id)  # fmt: skip
            self._join(connection, index, narrative_id, member)
            assigned += 1
        return assigned

    def _factcheck_narrative(self, connection: Connection, index: NarrativeIndex, claim: PendingClaim) -> int | None:
        factcheck_id = claim.same_claim_factcheck
        if factcheck_id is None:
            return None
        held = NarrativeStore.narrative_of_factcheck(connection, claim.organisation_id, factcheck_id)
        if held is not None or claim.factcheck_vector is None or not claim.factcheck_claim:
            return held
        choice = index.choose(claim.factcheck_vector)
        narrative_id = choice.narrative_id or NarrativeStore.create(connection, claim.organisation_id,
                                                                    claim.factcheck_claim)  # fmt: skip
        member = NewMember(claim.organisation_id, claim.factcheck_claim, None, claim.factcheck_vector,
                           factcheck_id=factcheck_id)  # fmt: skip
        self._join(connection, index, narrative_id, member)
        return narrative_id

    @staticmethod
    def _join(connection: Connection, index: NarrativeIndex, narrative_id: int, member: NewMember) -> None:
        index.add(narrative_id, member.vector, member.sentence)
        NarrativeStore.add_member(connection, narrative_id, member)
        NarrativeStore.refresh(connection, narrative_id, label=index.label(narrative_id))

    def catch_up(self, organisation_id: int | None) -> int:
        """Assign what is stored but in no narrative yet: the organisation's fact-checks, then its posts with
        a check-worthy claim (by published time). One transaction per 500 claims."""
        factchecks = self.store.unassigned_factchecks(organisation_id)
        done = 0
        for start in range(0, len(factchecks), 500):
            chunk = factchecks[start : start + 500]
            vectors = self.embed([claim for _, claim, _ in chunk])
            pending = [PendingClaim(organisation_id, claim, published, vector, factcheck_id=fc)
                       for (fc, claim, published), vector in zip(chunk, vectors, strict=True)]  # fmt: skip
            done += self._assign_now(pending)
        posts = self.store.unassigned_posts(organisation_id, self.settings.checkworthy_threshold)
        for start in range(0, len(posts), 500):
            dated = posts[start : start + 500]
            sentences = self.store.claim_sentences(
                [post_id for post_id, _ in dated], self.settings.checkworthy_threshold
            )
            kept = [(post_id, published) for post_id, published in dated if sentences.get(post_id)]
            vectors = self.embed([sentences[post_id] for post_id, _ in kept])
            pending = [PendingClaim(organisation_id, sentences[post_id], published, vector, post_id=post_id)
                       for (post_id, published), vector in zip(kept, vectors, strict=True)]  # fmt: skip
            done += self._assign_now(pending)
        return done

    def _assign_now(self, pending: Sequence[PendingClaim]) -> int:
        try:
            with self.database.write() as connection:
                return self.assign(connection, pending)
        except Exception:
            self.forget()  # the index saw members that were not stored
            raise

    # -- reads -------------------------------------------------------------------------------------------------

    def listing(self, actor: Actor, limit: int | None = None) -> list[Narrative]:
        actor.require(READ)
        return self.store.of_organisation(owner(actor), limit)

    def detail(self, actor: Actor, narrative_id: int) -> NarrativeDetail:
        """The narrative with its members; NotFoundError when the caller's organisation does not own it."""
        actor.require(READ)
        return self._detail(owner(actor), narrative_id)

    def _detail(self, organisation_id: int | None, narrative_id: int) -> NarrativeDetail:
        narrative = self.store.get(organisation_id, narrative_id)
        if narrative is None:
            raise NotFoundError(f"no narrative {narrative_id}")
        return NarrativeDetail(narrative, self.store.members(narrative_id))

    def export(self, organisation_id: int | None) -> Iterator[dict[str, Any]]:
        """The contract's JSON Lines records, one per narrative with members, by id; bursts up to the
        narrative's latest post (copies included: domain/narrative_trends.py)."""
        timelines = TimelineStore(self.database)
        for narrative in sorted(self.store.of_organisation(organisation_id), key=lambda n: n.id):
            if narrative.posts or narrative.factchecks:
                timeline = timelines.timelines([narrative.id])[narrative.id]
                detail = NarrativeDetail(narrative, self.store.members(narrative.id))
                yield detail.export_line(export_bursts(timeline))

    def case_verdicts(self, actor: Actor, case_ids: Sequence[int]) -> dict[int, CarriedVerdict]:
        """case id → the verdict the narrative of one of its posts carries (pinned, else linked): the queue
        shows it beside the case (the cases are the ones the actor may read)."""
        actor.require(READ)
        return self.store.verdicts_of_cases(case_ids, actor.organisation_id)

    # -- editors' actions (one transaction each, audited) -----------------------------------------------

    def rename(self, actor: Actor, narrative_id: int, label: str) -> NarrativeDetail:
        label = " ".join(label.split())
        if not label:
            raise InputError("a narrative needs a label")
        with self._edit(actor, narrative_id) as connection:
            NarrativeStore.change(connection, narrative_id, label=label[:2000], label_locked=True, editor_touched=True)
            self._audit(connection, actor, "narrative.rename", narrative_id, label=label[:200])
        return self._detail(owner(actor), narrative_id)

    def set_risk(self, actor: Actor, narrative_id: int, level: str) -> NarrativeDetail:
        if level not in RISK_LEVELS:
            raise InputError(f"risk level must be one of {', '.join(RISK_LEVELS)}")
        with self._edit(actor, narrative_id) as connection:
            NarrativeStore.change(connection, narrative_id, risk_level=level)
            self._audit(connection, actor, "narrative.risk", narrative_id, risk_level=level)
        return self._detail(owner(actor), narrative_id)

    def pin(
        self, actor: Actor, narrative_id: int, factcheck_id: str | None, factchecks: FactCheckStore
    ) -> NarrativeDetail:
        if factcheck_id and factchecks.get(factcheck_id) is None:
            raise NotFoundError(f"no fact-check {factcheck_id}")
        with self._edit(actor, narrative_id) as connection:
            NarrativeStore.change(
                connection, narrative_id, pinned_factcheck_id=factcheck_id or None, editor_touched=True
            )
            self._audit(connection, actor, "narrative.pin", narrative_id, factcheck_id=factcheck_id or None)
        return self._detail(owner(actor), narrative_id)

    def merge(self, actor: Actor, target_id: int, source_id: int) -> NarrativeDetail:
        """Every member of `source_id` joins `target_id`; `source_id` is gone."""
        if target_id == source_id:
            raise InputError("a narrative cannot be merged into itself")
        self._owned(actor, source_id)
        with self._edit(actor, target_id) as connection:
            moved = NarrativeStore.move_members(connection, source_id, target_id)
            NarrativeStore.delete(connection, source_id)
            NarrativeStore.change(connection, target_id, editor_touched=True)
            NarrativeStore.refresh(connection, target_id)
            self._audit(connection, actor, "narrative.merge", target_id, merged=source_id, members=moved)
        return self._detail(owner(actor), target_id)

    def split(
        self, actor: Actor, narrative_id: int, post_ids: Sequence[str], label: str | None = None
    ) -> NarrativeDetail:
        """These posts leave the narrative for a new one (returned); both count as editor-touched."""
        wanted = list(dict.fromkeys(p.strip() for p in post_ids if p.strip()))
        held = set(self._owned(actor, narrative_id).post_ids)
        if not wanted or not set(wanted) <= held:
            raise InputError("name posts of this narrative to split off: " + ", ".join(sorted(set(wanted) - held)))
        members = {m.post_id: m for m in self.store.members(narrative_id)}
        with self._edit(actor, narrative_id) as connection:
            created = NarrativeStore.create(connection, owner(actor), label or members[wanted[0]].sentence)
            NarrativeStore.move_members(connection, narrative_id, created, wanted)
            for changed in (narrative_id, created):
                NarrativeStore.change(connection, changed, editor_touched=True)
                NarrativeStore.refresh(connection, changed)
            if label:
                NarrativeStore.change(connection, created, label_locked=True)
            self._audit(connection, actor, "narrative.split", narrative_id, into=created, posts=wanted[:100])
        return self._detail(owner(actor), created)

    def _owned(self, actor: Actor, narrative_id: int) -> NarrativeDetail:
        actor.require(PUBLISH)
        return self._detail(owner(actor), narrative_id)

    def _edit(self, actor: Actor, narrative_id: int) -> Any:
        self._owned(actor, narrative_id)
        return self.database.write()

    @staticmethod
    def _audit(connection: Connection, actor: Actor, action: str, narrative_id: int, **detail: Any) -> None:
        by = actor if owner(actor) else None  # the command line before any organisation exists: no one's
        AuditStore.record_in(connection, owner(actor), by, action, OBJECT, narrative_id, **detail)

    # -- re-clustering -----------------------------------------------------------------------------------------

    def _regrouped(self, free: list[Claim], fixed: dict[int, list[Claim]]) -> tuple[dict[str, int], NarrativeIndex]:
        """key → narrative number, and an index of the groups (for their labels): average linkage over the
        claims' words (`domain/narrative_regroup.py`) up to MAX_CLAIMS claims, the online grouping above."""
        claims = [*free, *(claim for _, members in sorted(fixed.items()) for claim in members)]
        if len(claims) > MAX_CLAIMS:
            log.warning("%d claims: more than %d, re-grouped one by one (online)", len(claims), MAX_CLAIMS)
            return group(free, self.settings.narrative_granularity, self.embedder.dimension, sorted(fixed.items()))
        owners = [None] * len(free) + [number for number, members in sorted(fixed.items()) for _ in members]
        labels = regroup([claim.text for claim in claims], owners, self.settings.narrative_regroup_distance)
        first_new = max(fixed, default=0) + 1
        index = NarrativeIndex(self.embedder.dimension, self.settings.narrative_granularity)
        grouped: dict[str, int] = {}
        for claim, (touched, group_number) in zip(claims, labels, strict=True):
            number = touched if touched is not None else first_new + group_number
            grouped[claim.key] = number
            index.add(number, claim.vector, claim.text)
        return grouped, index

    def recluster(self, organisation_id: int | None, actor: Actor | None = None) -> dict[str, int]:
        """Group every member again, all at once (average linkage over the claims' words; online, one by one,
        above MAX_CLAIMS). Narratives an editor touched keep their number and members (and take new ones);
        the others keep the number their members mostly had. One transaction."""
        self.catch_up(organisation_id)
        fixed: dict[int, list[Claim]] = {}
        free: list[Claim] = []
        previous: dict[str, int] = {}
        touched = {n.id for n in self.store.of_organisation(organisation_id) if n.editor_touched}
        for narrative_id, claim in self._stored_claims(organisation_id):
            previous[claim.key] = narrative_id
            (fixed.setdefault(narrative_id, []) if narrative_id in touched else free).append(claim)
        grouped, index = self._regrouped(free, fixed)
        fresh = {key: number for key, number in grouped.items() if number not in fixed}
        numbers = keep_numbers(previous, fresh, taken=fixed)
        with self.database.write() as connection:
            for number in sorted(set(fresh.values()) - set(numbers)):
                numbers[number] = NarrativeStore.create(connection, organisation_id, index.label(number))
            moves = {key: numbers.get(number, number) for key, number in grouped.items()}
            changed = {key: target for key, target in moves.items() if previous.get(key) != target}
            NarrativeStore.reassign(connection, organisation_id, changed)
            for number in set(grouped.values()):
                NarrativeStore.refresh(connection, numbers.get(number, number), label=index.label(number))
            removed = NarrativeStore.delete_empty(connection, organisation_id)
            by = actor if actor and owner(actor) else None
            AuditStore.record_in(connection, organisation_id, by, "narrative.recluster", OBJECT, "*",
                                 moved=len(changed), removed=removed)  # fmt: skip
        self.forget()
        return {"members": len(grouped), "moved": len(changed), "narratives": len(set(grouped.values())),
                "removed": removed}  # fmt: skip


def export_jsonl(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"

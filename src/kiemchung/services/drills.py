"""Training drills built from the organisation's own archive (issue 15): an editor assembles a drill,
reviews its items and marks it ready; everyone in the organisation takes ready drills, one item at a time,
with feedback after each; scores per trainee and per cohort (`domain/drills.py`).

One service for the pages and the API; every method takes the acting person, checks the role table
(taking: READ; assembling, reviewing, the cohort: PUBLISH, i.e. editors and admins) and writes the audit log
in the same transaction as the change. A drill, its items and its attempts belong to one organisation:
another organisation's people are answered "not found". A trainee's results are shown to the trainee and to
the organisation's editors and admins, never outside it; nothing is collected about a person beyond the
answers themselves and the time taken per item."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from kiemchung.domain import drill_assembly as assembly
from kiemchung.domain.accounts import PUBLISH, READ, Actor
from kiemchung.domain.drill_assembly import Candidate
from kiemchung.domain.drills import TECHNIQUES, DrillScore, ScoredAnswer, mean_of, score_answers
from kiemchung.domain.models import FactCheck
from kiemchung.domain.ratings import VIETNAMESE_DEFAULT, RatingScale
from kiemchung.domain.spreadsheets import csv_document
from kiemchung.errors import ConflictError, InputError, NotFoundError
from kiemchung.services.matching import MatchService
from kiemchung.store.audit import AuditStore
from kiemchung.store.database import Database
from kiemchung.store.drills import Answer, Attempt, Drill, DrillItem, DrillStore, NewItem
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.text import strip_controls

MAX_SECONDS = 3600.0  # time on one item is capped (a trainee who left the page open is not "slow")
MAX_TITLE = 200


@dataclass(frozen=True)
class DrillOptions:
    title: str
    size: int = 40
    language: str = "vi"
    topics: tuple[str, ...] = ()
    seed: int | None = None


@dataclass(frozen=True)
class Assembled:
    drill: Drill
    variants_generated: int
    variants_kept: int
    true_dropped: int  # true candidates refused because the matching engine matched them to a false claim


@dataclass(frozen=True)
class AnswerInput:
    item_id: int
    verdict: str
    confidence: int
    technique: str | None
    shown_at: float | None  # when the item's page was rendered (epoch seconds), to time the answer


@dataclass(frozen=True)
class Feedback:
    item: DrillItem
    answer: Answer
    right: bool
    summary: str | None
    number: int
    total: int
    finished: bool


@dataclass(frozen=True)
class AttemptScore:
    attempt: Attempt
    score: DrillScore


@dataclass(frozen=True)
class Cohort:
    drill: Drill
    rows: list[AttemptScore]  # finished attempts, oldest first

    def mean(self, name: str) -> float | None:
        return mean_of([getattr(row.score, name) for row in self.rows])


@dataclass(frozen=True)
class NextItem:
    attempt: Attempt
    item: DrillItem
    number: int
    total: int


def scored(items: Sequence[DrillItem], answers: Sequence[Answer]) -> list[ScoredAnswer]:
    by_id = {item.id: item for item in items}
    return [_scored_one(by_id[a.item_id], a) for a in answers if a.item_id in by_id]


def _scored_one(item: DrillItem, a: Answer) -> ScoredAnswer:
    return ScoredAnswer(item.is_signal, a.says_signal, a.confidence / 100, item.rating_label, a.verdict, a.seconds,
                        item.technique, a.technique)  # fmt: skip


class DrillService:
    def __init__(
        self,
        database: Database,
        store: DrillStore,
        factchecks: FactCheckStore,
        matching: MatchService,
        scale: RatingScale = VIETNAMESE_DEFAULT,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.database = database
        self.store = store
        self.factchecks = factchecks
        self.matching = matching
        self.scale = scale
        self.clock = clock or (lambda: datetime.now(UTC))

    # -- reading ---------------------------------------------------------------------------------------------

    def drills(self, actor: Actor) -> list[Drill]:
        """The organisation's drills: all of them for editors and admins, the ready ones for everyone else."""
        actor.require(READ)
        return self.store.of_organisation(actor.organisation_id, ready_only=not actor.can(PUBLISH))

    def get(self, actor: Actor, drill_id: int) -> Drill:
        actor.require(READ)
        drill = self.store.get(drill_id)
        if drill is None or drill.organisation_id != actor.organisation_id:
            raise NotFoundError(f"no drill {drill_id}")
        if drill.status != "ready" and not actor.can(PUBLISH):
            raise NotFoundError(f"no drill {drill_id}")
        return drill

    # -- assembling and reviewing (editors, admins) ----------------------------------------------------------

    def assemble(self, actor: Actor, options: DrillOptions) -> Assembled:
        """Draw the items, check them with the matching engine and store the drill as a draft, or refuse with
        the reason (too few true or false items in the archive)."""
        actor.require(PUBLISH)
        options = self._checked_options(options)
        rng = random.Random(options.seed)
        false_real, variants, true_pool = self._candidates(actor.organisation_id, options, rng)
        kept_variants = self._variants_still_matching(variants)
        true_kept = self._true_not_matching_false(true_pool)
        false_pool = false_real + kept_variants
        split = assembly.split_for(options.size, len(false_pool), len(true_kept))
        if isinstance(split, str):
            raise InputError(split)
        picked = assembly.spread_pick(false_pool, split[0], rng) + assembly.spread_pick(true_kept, split[1], rng)
        rng.shuffle(picked)
        drill = self._store_draft(actor, options, picked)
        return Assembled(drill, len(variants), len(kept_variants), len(true_pool) - len(true_kept))

    def _checked_options(self, options: DrillOptions) -> DrillOptions:
        title = strip_controls(options.title).strip()[:MAX_TITLE]
        if not title:
            raise InputError("give the drill a title")
        if not assembly.MIN_SIZE <= options.size <= assembly.MAX_SIZE:
            raise InputError(f"a drill has {assembly.MIN_SIZE} to {assembly.MAX_SIZE} items")
        if options.language not in ("vi", "en"):
            raise InputError("the language is vi or en")
        topics = tuple(t.strip() for t in options.topics if t.strip())
        return replace(options, title=title, topics=topics)

    def _candidates(
        self, organisation_id: int, options: DrillOptions, rng: random.Random
    ) -> tuple[list[Candidate], list[Candidate], list[Candidate]]:
        """(false claims and appearances, variants to check, true candidates) on the topics, in the language."""
        archive = [fc for fc in self.store.organisation_factchecks(organisation_id)
                   if assembly.in_language(fc, options.language)
                   and assembly.on_topics(f"{fc.claim} {fc.summary or ''}", options.topics)]  # fmt: skip
        false = [fc for fc in archive if assembly.is_rated_false(fc.rating)]
        appearances = self.store.appearances([fc.id for fc in false], organisation_id)
        real: list[Candidate] = []
        variants: list[Candidate] = []
        for fc in false:
            claim_and_posts, made = assembly.false_candidates(fc, appearances.get(fc.id, []), rng)
            real += claim_and_posts
            variants += made
        true = assembly.true_claim_candidates([fc for fc in archive if assembly.is_rated_true(fc.rating)], rng)
        if len(true) < assembly.true_items_needed(options.size):
            evidence = self.store.evidence_texts(organisation_id)
            true += assembly.evidence_candidates(evidence, self.scale.labels[-1], options.topics)
        return real, variants, true

    def _matches(self, candidates: Sequence[Candidate]) -> list[list[tuple[str, bool]]]:
        """Per candidate, the fact-checks the matching engine finds: (id, over the match threshold)."""
        if not candidates:
            return []
        results = self.matching.match_posts([(i, c.text) for i, c in enumerate(candidates)], top_k=5)
        return [[(m.factcheck_id, m.closeness == "same") for m in r.matches] if r.matched else [] for r in results]

    def _variants_still_matching(self, variants: Sequence[Candidate]) -> list[Candidate]:
        """The variants the matching engine still matches to their own claim (its best match)."""
        found = self._matches(variants)
        return [v for v, hits in zip(variants, found, strict=True)
                if v.factcheck is not None and hits and hits[0] == (v.factcheck.id, True)]  # fmt: skip

    def _true_not_matching_false(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """The true candidates that the matching engine matches to no false or misleading claim."""
        found = self._matches(candidates)
        ids = {factcheck_id for hits in found for factcheck_id, same in hits if same}
        ratings = self.factchecks.get_many(ids)
        false_ids = {i for i, fc in ratings.items() if assembly.is_rated_false(fc.rating)}
        return [c for c, hits in zip(candidates, found, strict=True)
                if not any(same and i in false_ids for i, same in hits)]  # fmt: skip

    def _store_draft(self, actor: Actor, options: DrillOptions, picked: Sequence[Candidate]) -> Drill:
        values = {
            "organisation_id": actor.organisation_id, "title": options.title, "language": options.language,
            "topics": list(options.topics), "size": len(picked), "status": "draft", "created_by": actor.user_id,
            "created_at": self.clock(),
        }  # fmt: skip
        items = [_new_item(c) for c in picked]
        with self.database.write() as connection:
            drill_id = self.store.create(connection, values, items)
            AuditStore.record(connection, actor, "drill.create", "drill", drill_id, size=len(items),
                              true_items=sum(not i.is_signal for i in items))  # fmt: skip
        return self.get(actor, drill_id)

    def remove_item(self, actor: Actor, drill_id: int, item_id: int) -> Drill:
        drill = self._draft(actor, drill_id)
        with self.database.write() as connection:
            if not self.store.remove_item(connection, drill.id, item_id):
                raise NotFoundError(f"no item {item_id} in drill {drill_id}")
            AuditStore.record(connection, actor, "drill.remove_item", "drill", drill.id, item_id=item_id)
        return self.get(actor, drill_id)

    def set_technique(self, actor: Actor, drill_id: int, item_id: int, technique: str | None) -> Drill:
        drill = self._draft(actor, drill_id)
        technique = _technique(technique)
        with self.database.write() as connection:
            if not self.store.set_technique(connection, drill.id, item_id, technique):
                raise NotFoundError(f"no item {item_id} in drill {drill_id}")
            AuditStore.record(connection, actor, "drill.technique", "drill", drill.id, item_id=item_id,
                              technique=technique)  # fmt: skip
        return self.get(actor, drill_id)

    def mark_ready(self, actor: Actor, drill_id: int) -> Drill:
        """After review: the drill can be taken, and its items no longer change. Still ≥ 40 % true items."""
        drill = self._draft(actor, drill_id)
        if not drill.items:
            raise InputError("the drill has no items left")
        if drill.true_share < assembly.MIN_TRUE_SHARE:
            raise InputError(f"only {drill.true_share:.0%} of the items are true; a drill needs at least "
                             f"{assembly.MIN_TRUE_SHARE:.0%}: remove false items or assemble it again")  # fmt: skip
        with self.database.write() as connection:
            if not self.store.mark_ready(connection, drill.id, actor.user_id, self.clock()):
                raise ConflictError("the drill is already ready")
            AuditStore.record(connection, actor, "drill.ready", "drill", drill.id, size=len(drill.items))
        return self.get(actor, drill_id)

    def _draft(self, actor: Actor, drill_id: int) -> Drill:
        actor.require(PUBLISH)
        drill = self.get(actor, drill_id)
        if drill.status != "draft":
            raise ConflictError("a ready drill no longer changes; assemble a new one")
        return drill

    # -- taking a drill (everyone in the organisation) -------------------------------------------------------

    def open_attempt(self, actor: Actor, drill_id: int) -> Attempt | None:
        """The caller's unfinished attempt at this drill, if any."""
        self.get(actor, drill_id)
        mine = [a for a in self.store.attempts(drill_id, _person(actor)) if a.finished_at is None]
        return mine[-1] if mine else None

    def start(self, actor: Actor, drill_id: int) -> Attempt:
        """An attempt at a ready drill: the unfinished one if there is one, else a new one."""
        drill = self.get(actor, drill_id)
        if drill.status != "ready":
            raise ConflictError("only a ready drill can be taken")
        current = self.open_attempt(actor, drill_id)
        if current is not None:
            return current
        with self.database.write() as connection:
            attempt_id = self.store.start_attempt(connection, drill.id, actor.organisation_id, _person(actor),
                                                  self.clock())  # fmt: skip
            AuditStore.record(connection, actor, "drill.start", "drill_attempt", attempt_id, drill_id=drill.id)
        started = self.open_attempt(actor, drill_id)
        assert started is not None
        return started

    def next_item(self, actor: Actor, drill_id: int) -> NextItem | None:
        """The first item the caller's unfinished attempt has not answered; None without one."""
        drill = self.get(actor, drill_id)
        attempt = self.open_attempt(actor, drill_id)
        if attempt is None:
            return None
        answered = {a.item_id for a in attempt.answers}
        left = [item for item in drill.items if item.id not in answered]
        return NextItem(attempt, left[0], len(answered) + 1, len(drill.items)) if left else None

    def answer(self, actor: Actor, drill_id: int, given: AnswerInput) -> Feedback:
        """Store one answer of the caller's unfinished attempt (the attempt ends with its last answer)."""
        drill = self.get(actor, drill_id)
        attempt = self.open_attempt(actor, drill_id)
        if attempt is None:
            raise ConflictError("start the drill first")
        item = next((i for i in drill.items if i.id == given.item_id), None)
        if item is None:
            raise NotFoundError(f"no item {given.item_id} in drill {drill_id}")
        if any(a.item_id == item.id for a in attempt.answers):
            raise ConflictError("this item is already answered")
        answer = self._checked_answer(given)
        with self.database.write() as connection:
            now = self.clock()
            answered = self.store.add_answer(connection, attempt.id, answer, now)
            AuditStore.record(connection, actor, "drill.answer", "drill_attempt", attempt.id, item_id=item.id)
            finished = answered == len(drill.items)
            if finished:
                self.store.finish_attempt(connection, attempt.id, now)
                AuditStore.record(connection, actor, "drill.finish", "drill_attempt", attempt.id, drill_id=drill.id)
        return self._feedback(drill, item, answer, answered, finished)

    def feedback(self, actor: Actor, drill_id: int, item_id: int) -> Feedback:
        """What the caller's latest answer to this item got right or wrong, and the published fact-check."""
        drill = self.get(actor, drill_id)
        for attempt in reversed(self.store.attempts(drill_id, _person(actor))):
            for number, answer in enumerate(attempt.answers, 1):
                if answer.item_id == item_id:
                    item = next(i for i in drill.items if i.id == item_id)
                    last = number == len(drill.items)
                    return self._feedback(drill, item, answer, number, last and attempt.finished_at is not None)
        raise NotFoundError(f"no answer to item {item_id}")

    def _checked_answer(self, given: AnswerInput) -> Answer:
        rating = self.scale.rating(given.verdict)
        if rating.value is None:
            raise InputError(f"choose a verdict of the scale: {', '.join(self.scale.labels)}")
        if not 50 <= given.confidence <= 100:
            raise InputError("confidence is between 50 and 100 %")
        seconds = 0.0 if given.shown_at is None else self.clock().timestamp() - given.shown_at
        return Answer(given.item_id, rating.label, assembly.is_rated_false(rating), given.confidence,
                      _technique(given.technique), round(min(max(seconds, 0.0), MAX_SECONDS), 1))  # fmt: skip

    def _feedback(self, drill: Drill, item: DrillItem, answer: Answer, number: int, finished: bool) -> Feedback:
        factcheck = self.factchecks.get(item.factcheck_id) if item.factcheck_id else None
        summary = factcheck.summary if factcheck else None
        return Feedback(item, answer, answer.says_signal == item.is_signal, summary, number, len(drill.items),
                        finished)  # fmt: skip

    # -- results ---------------------------------------------------------------------------------------------

    def my_results(self, actor: Actor, drill_id: int) -> list[AttemptScore]:
        """The caller's own attempts at this drill with their scores, oldest first (progress over sessions)."""
        drill = self.get(actor, drill_id)
        return [_scored_attempt(drill, a) for a in self.store.attempts(drill_id, _person(actor)) if a.answers]

    def cohort(self, actor: Actor, drill_id: int) -> Cohort:
        """Every finished attempt at the drill in the caller's organisation (editors and admins)."""
        actor.require(PUBLISH)
        drill = self.get(actor, drill_id)
        attempts = [a for a in self.store.attempts(drill_id) if a.finished_at is not None]
        return Cohort(drill, [_scored_attempt(drill, a) for a in attempts])

    def cohort_csv(self, actor: Actor, drill_id: int) -> str:
        """The cohort's scores as a spreadsheet (domain/spreadsheets.py: BOM, formula-safe cells)."""
        return csv_document(CSV_COLUMNS, (_csv_row(row) for row in self.cohort(actor, drill_id).rows))


CSV_COLUMNS = (
    "trainee", "finished_at", "answered", "accuracy", "d_prime", "criterion", "brier", "kappa", "technique_accuracy",
    "median_seconds", "hits", "misses", "false_alarms", "correct_rejections",
)  # fmt: skip


def _csv_row(row: AttemptScore) -> dict[str, object]:
    s = row.score
    numbers = {"accuracy": s.accuracy, "d_prime": s.d_prime, "criterion": s.criterion, "brier": s.brier,
               "kappa": s.kappa, "technique_accuracy": s.technique_accuracy,
               "median_seconds": s.median_seconds}  # fmt: skip
    return {"trainee": row.attempt.trainee, "finished_at": row.attempt.finished_at, "answered": s.answered,
            **{name: None if v is None else round(v, 4) for name, v in numbers.items()},
            "hits": s.counts.hits, "misses": s.counts.misses, "false_alarms": s.counts.false_alarms,
            "correct_rejections": s.counts.correct_rejections}  # fmt: skip


def _scored_attempt(drill: Drill, attempt: Attempt) -> AttemptScore:
    return AttemptScore(attempt, score_answers(scored(drill.items, attempt.answers)))


def _person(actor: Actor) -> int:
    if actor.user_id is None:
        raise InputError("drills are taken by a signed-in person, not an API token")
    return actor.user_id


def _technique(value: str | None) -> str | None:
    if not value:
        return None
    if value not in TECHNIQUES:
        raise InputError(f"unknown technique {value!r}; one of {', '.join(TECHNIQUES)}")
    return value


def _new_item(candidate: Candidate) -> NewItem:
    fc: FactCheck | None = candidate.factcheck
    return NewItem(candidate.text, candidate.origin, candidate.is_signal, candidate.rating_label, candidate.variant,
                   fc.id if fc else None, fc.url if fc else None, candidate.case_id)  # fmt: skip

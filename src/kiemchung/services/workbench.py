"""The fact-checkers' workbench: the queue, case work, sign-off and publishing. One service for the UI and
the API; every method takes the acting person or token, checks the role table and writes the audit log in
the same transaction as the change. The evidence, verdict and sign-off operations are mixed in from
services/case_evidence.py.

Organisations are kept apart: a case (with its comments and evidence) belongs to its organisation. Another
organisation neither lists, reads nor acts on it — it is answered "not found", so its existence is not
revealed — unless the owner's editor or admin shares the case with it: then that organisation may read it
and comment on it; every other action stays with the owner. Each action is audited in the owner's log."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from kiemchung.domain.accounts import PUBLISH, READ, TRIAGE, Actor
from kiemchung.domain.appearances import with_copies
from kiemchung.domain.claimreview import first_appearance_of
from kiemchung.domain.imports import is_http_url
from kiemchung.domain.models import FactCheck
from kiemchung.domain.ratings import VIETNAMESE_DEFAULT, RatingScale
from kiemchung.domain.records import factcheck_to_record
from kiemchung.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from kiemchung.services.case_evidence import CaseEvidence
from kiemchung.services.matching import MatchService
from kiemchung.services.repeats import attach_repeat, confirmed_repeat_of
from kiemchung.settings import Settings
from kiemchung.store.accounts import AccountStore
from kiemchung.store.audit import AuditStore
from kiemchung.store.cases import STATUSES, Case, CaseFilter, CaseSpread, CaseStore, PendingMatch
from kiemchung.store.database import Database
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.matches import MatchStore
from kiemchung.store.organisations import OrganisationStore
from kiemchung.store.retro import PARTITION_SIZE, RetroJobStore
from kiemchung.store.schema import (
    alerts,
    case_items,
    factcheck_versions,
    factchecks,
    matches,
    posts,
    sources,
    subscriptions,
)
from kiemchung.text import strip_controls
from kiemchung.text.language import guess_language

INTAKE_BATCH = 500
MAX_COMMENT = 10_000
TRANSITIONS = {  # status → statuses reachable by hand (drafted and published are reached by their actions)
    "new": {"in_progress", "dismissed"},
    "in_progress": {"new", "dismissed"},
    "drafted": {"in_progress", "dismissed"},
    "dismissed": {"in_progress"},
    "published": set(),
}


@dataclass(frozen=True)
class Published:
    factcheck: FactCheck
    version: int
    case: Case


class CaseService(CaseEvidence):
    def __init__(
        self,
        settings: Settings,
        database: Database,
        store: CaseStore,
        factchecks: FactCheckStore,
        matching: MatchService,
        orgs: OrganisationStore,
        archive_later: Callable[[int], None],
        scale: RatingScale = VIETNAMESE_DEFAULT,
        retro_later: Callable[[int], None] | None = None,
    ) -> None:
        self.settings = settings
        self.retro_later = retro_later or (lambda _job_id: None)  # works a queued retro-match job (services/retro.py)
        self.database = database
        self.store = store
        self.factchecks = factchecks
        self.matching = matching
        self.orgs = orgs
        self.archive_later = archive_later  # queues an evidence URL for its snapshot (services/evidence.py)
        self.scale = scale

    # -- intake: suggested matches and spreading claims become cases ---------------------------------------

    def intake(self) -> int:
        """Put every new suggested match and spread alert into the queue, grouped by claim. Idempotent. A new
        case belongs to the fact-check's organisation (a subscription's, for an imported one), else to the
        post's source's; else to the instance's first organisation (store/organisations.py)."""
        added = 0
        with self.database.write() as connection:
            rows = connection.execute(
                select(matches.c.id, matches.c.factcheck_id, matches.c.sentence, matches.c.query_text,
                       matches.c.post_id, matches.c.created_at, posts.c.source_id, factchecks.c.claim,
                       func.coalesce(factchecks.c.organisation_id, subscriptions.c.organisation_id,
                                     sources.c.organisation_id).label("organisation_id"))
                .outerjoin(posts, posts.c.id == matches.c.post_id)
                .outerjoin(sources, sources.c.id == posts.c.source_id)
                .join(factchecks, factchecks.c.id == matches.c.factcheck_id)
                .outerjoin(subscriptions, subscriptions.c.id == factchecks.c.subscription_id)
                .where(~matches.c.id.in_(select(case_items.c.match_id).where(case_items.c.match_id.is_not(None))))
                .order_by(matches.c.id)
                .limit(INTAKE_BATCH)
            ).all()  # fmt: skip
            for r in rows:
                CaseStore.upsert_for_item(
                    connection, f"factcheck:{r.factcheck_id}", r.claim,
                    {"kind": "match", "match_id": r.id, "post_id": r.post_id, "source_id": r.source_id,
                     "text": (r.query_text or r.sentence)[:5000]},
                    r.organisation_id, factcheck_id=r.factcheck_id,
                )  # fmt: skip
            spread = connection.execute(
                select(alerts.c.id, alerts.c.dedupe_key, alerts.c.sentence, alerts.c.post_id, posts.c.source_id,
                       sources.c.organisation_id)
                .outerjoin(posts, posts.c.id == alerts.c.post_id)
                .outerjoin(sources, sources.c.id == posts.c.source_id)
                .where(alerts.c.kind == "spread")
                .where(~alerts.c.id.in_(select(case_items.c.alert_id).where(case_items.c.alert_id.is_not(None))))
                .order_by(alerts.c.id)
                .limit(INTAKE_BATCH)
            ).all()  # fmt: skip
            for a in spread:
                CaseStore.upsert_for_item(
                    connection, a.dedupe_key, a.sentence,
                    {"kind": "claim", "alert_id": a.id, "post_id": a.post_id, "source_id": a.source_id,
                     "text": a.sentence},
                    a.organisation_id,
                )  # fmt: skip
            added = len(rows) + len(spread)
        return added

    def open_case(self, actor: Actor, claim: str, priority: int = 1, topic: str | None = None) -> Case:
        """A case opened by hand (a tip, a claim seen elsewhere)."""
        actor.require(TRIAGE)
        claim = strip_controls(claim).strip()
        if not claim or len(claim) > 5000:
            raise InputError("a case needs a claim of 1 to 5,000 characters")
        key = "manual:" + hashlib.sha256(f"{actor.organisation_id}:{claim}".encode()).hexdigest()[:32]
        with self.database.write() as connection:
            case_id = CaseStore.upsert_for_item(
                connection, key, claim, {"kind": "claim", "text": claim}, actor.organisation_id
            )
            CaseStore.change(connection, case_id, None, priority=_priority(priority), topic=_topic(topic))
            AuditStore.record_in(connection, actor.organisation_id, actor, "case.open", "case", case_id,
                                 claim=claim[:200])  # fmt: skip
        return self.store.get(case_id)

    # -- reading ----------------------------------------------------------------------------------------

    def queue(self, actor: Actor, filters: CaseFilter) -> tuple[list[Case], int]:
        actor.require(READ)
        if filters.status and filters.status not in STATUSES:
            raise InputError(f"status must be one of {', '.join(STATUSES)}")
        return self.store.find(filters, actor.organisation_id)

    def get(self, actor: Actor, case_id: int) -> Case:
        actor.require(READ)
        return self._readable(actor, case_id)

    def topics(self, actor: Actor) -> list[str]:
        actor.require(READ)
        return self.store.topics(actor.organisation_id)

    def _readable(self, actor: Actor, case_id: int, details: bool = True) -> Case:
        """The case, if the actor's organisation owns it or it is shared with it; else "not found"."""
        case = self.store.get(case_id, details)
        partners = {share.organisation_id for share in case.shared_with}
        if case.organisation_id != actor.organisation_id and actor.organisation_id not in partners:
            raise NotFoundError(f"no case with id {case_id}")
        return case

    def _owned(self, actor: Actor, case_id: int, details: bool = True) -> Case:
        """The case, if the actor's organisation owns it: a partner it is shared with only reads and comments."""
        case = self._readable(actor, case_id, details)
        if case.organisation_id != actor.organisation_id:
            raise PermissionDenied("this case belongs to another organisation: shared with yours to read and comment")
        return case

    def pending_matches(self, actor: Actor, case_ids: list[int]) -> dict[int, PendingMatch]:
        """Each case's first suggested match nobody has reviewed yet, with the post's sentence, its stance and
        the matcher's decision (for one-key triage in the queue)."""
        actor.require(READ)
        return self.store.first_unreviewed_matches(case_ids)

    def spreads(self, actor: Actor, case_ids: list[int]) -> dict[int, CaseSpread]:
        """Per case the queue lists: its posts and sources, and the post sentence that raised it."""
        actor.require(READ)
        return self.store.spreads(case_ids)

    # -- triage -----------------------------------------------------------------------------------------

    def review_match(self, actor: Actor, match_id: int, accepted: bool) -> None:
        """Confirm or reject a suggested post ↔ fact-check match: stored, audited, and used by `matches refit`."""
        actor.require(TRIAGE)
        case_id = self.store.case_of_match(match_id)
        if case_id is None and self.intake():  # a new match: its case (and so its owner) is made first
            case_id = self.store.case_of_match(match_id)
        owner = None if case_id is None else self._owned(actor, case_id, details=False).organisation_id
        self.matching.feedback(match_id, accepted)
        with self.database.write() as connection:
            AuditStore.record_in(connection, owner, actor, "match.confirm" if accepted else "match.reject", "match",
                                 match_id, case=case_id)  # fmt: skip

    def review_items(self, actor: Actor, case_id: int, item_ids: list[int], accepted: bool) -> list[int]:
        """Confirm or reject the suggested matches of the chosen items of a case and of the copies folded under
        them (domain/appearances.py), in one transaction with ONE audit entry listing them. Their match ids."""
        actor.require(TRIAGE)
        case = self._owned(actor, case_id)
        chosen = [i.match_id for i in with_copies(case.items, item_ids) if i.match_id is not None]
        if not chosen:
            raise InputError("choose at least one suggested match of this case")
        with self.database.write() as connection:
            MatchStore.set_feedback_many(connection, chosen, "accepted" if accepted else "rejected")
            AuditStore.record_in(connection, case.organisation_id, actor,
                                 "match.bulk_confirm" if accepted else "match.bulk_reject", "case", case_id,
                                 matches=chosen, count=len(chosen))  # fmt: skip
        return chosen

    def update(
        self,
        actor: Actor,
        case_id: int,
        version: int | None,
        *,
        status: str | None = None,
        assignee_id: int | None | str = "unchanged",
        priority: int | None = None,
        topic: str | None = None,
    ) -> Case:
        actor.require(TRIAGE)
        case = self._owned(actor, case_id, details=False)
        values: dict[str, Any] = {}
        if status is not None and status != case.status:
            if status not in TRANSITIONS.get(case.status, set()):
                raise InputError(f"a {case.status} case cannot be set to {status} by hand")
            if status == "dismissed" or case.status == "dismissed":
                actor.require(PUBLISH)
            values["status"] = status
        if assignee_id != "unchanged":
            values["assignee_id"] = assignee_id
            if case.status == "new" and "status" not in values and assignee_id is not None:
                values["status"] = "in_progress"
        if priority is not None:
            values["priority"] = _priority(priority)
        if topic is not None:
            values["topic"] = _topic(topic)
        if not values:
            return case
        with self.database.write() as connection:
            _check_assignee(connection, actor, values.get("assignee_id"))
            CaseStore.change(connection, case_id, version, **values)
            AuditStore.record_in(connection, case.organisation_id, actor, "case.update", "case", case_id, **values)
        return self.store.get(case_id)

    def comment(self, actor: Actor, case_id: int, body: str) -> Case:
        actor.require(TRIAGE)
        body = strip_controls(body).strip()
        if not body or len(body) > MAX_COMMENT:
            raise InputError(f"a comment needs 1 to {MAX_COMMENT:,} characters")
        case = self._readable(actor, case_id, details=False)  # partners the case is shared with may comment
        with self.database.write() as connection:
            comment_id = CaseStore.add_comment(connection, case_id, self._person(actor), body)
            CaseStore.change(connection, case_id, None)
            AuditStore.record_in(connection, case.organisation_id, actor, "case.comment", "case", case_id,
                                 comment=comment_id)  # fmt: skip
        return self.store.get(case_id)

    # -- sharing with another organisation ------------------------------------------------------------------

    def share(self, actor: Actor, case_id: int, organisation: str) -> Case:
        """Let another organisation (by name) read the case and comment on it; editors and admins of the owner."""
        actor.require(PUBLISH)
        self._owned(actor, case_id, details=False)
        partner = self.orgs.by_name(strip_controls(organisation).strip())
        if partner is None:
            raise NotFoundError(f"no organisation named {organisation.strip()!r}")
        if partner.id == actor.organisation_id:
            raise InputError("the case belongs to your organisation already")
        with self.database.write() as connection:
            if CaseStore.add_share(connection, case_id, partner.id, actor.user_id):
                AuditStore.record_in(connection, actor.organisation_id, actor, "case.share", "case", case_id,
                                     organisation=partner.name, organisation_id=partner.id)  # fmt: skip
        return self.store.get(case_id)

    def unshare(self, actor: Actor, case_id: int, organisation_id: int) -> Case:
        """Stop sharing the case with an organisation; its people no longer see the case."""
        actor.require(PUBLISH)
        self._owned(actor, case_id, details=False)
        with self.database.write() as connection:
            if not CaseStore.remove_share(connection, case_id, organisation_id):
                raise NotFoundError(f"case {case_id} is not shared with organisation {organisation_id}")
            AuditStore.record_in(connection, actor.organisation_id, actor, "case.unshare", "case", case_id,
                                 organisation_id=organisation_id)  # fmt: skip
        return self.store.get(case_id)

    # -- publishing (evidence, verdict and sign-off: services/case_evidence.py) ---------------------------

    def publish(self, actor: Actor, case_id: int, version: int, note: str | None = None) -> Published:
        """Publish the verdict, or a correction of it: a new numbered version, shown publicly, never silent."""
        actor.require(PUBLISH)
        case = self._owned(actor, case_id)
        repeated = confirmed_repeat_of(case)
        if repeated is not None:  # a confirmed repeat joins the fact-check it repeats (services/repeats.py)
            with self.database.write() as connection:
                attached = FactCheckStore.attachable(connection, repeated, case.organisation_id)
                if attached:  # else (another organisation's, a subscription's): published as its own
                    factcheck, number = attach_repeat(connection, actor, case, version, repeated, self.scale)
            if attached:
                return Published(factcheck, number, self.store.get(case_id))
        if case.status not in {"drafted", "published"} or case.rating_label is None:
            raise InputError("only a drafted verdict can be published")
        if case.needs_second_review and case.signed_off_by is None:
            raise InputError("this verdict needs a second reviewer's sign-off before publishing")
        correcting = case.status == "published"
        if correcting and not (note or "").strip():
            raise InputError("a correction needs a note saying what changed")
        organisation = self.orgs.get(actor.organisation_id)
        factcheck_id = (
            case.factcheck_id if case.factcheck_id and case.factcheck_id.startswith("kc-") else f"kc-{case.id}"
        )
        now = datetime.now(UTC)
        with self.database.write() as connection:
            current = connection.execute(
                select(factchecks.c.version, factchecks.c.organisation_id).where(factchecks.c.id == factcheck_id)
            ).first()
            if not correcting and current is not None:
                if current.organisation_id is not None:
                    raise ConflictError(f"fact-check {factcheck_id} exists already")
                factcheck_id, current = _free_id(connection, factcheck_id), None  # squatted by an old import
            number = (current.version if current else 0) + 1 if correcting else 1
            factcheck = self._factcheck(case, factcheck_id, organisation.name, now)
            FactCheckStore.write_many(connection, [factcheck], organisation_id=actor.organisation_id, version=number)
            connection.execute(
                factcheck_versions.insert().values(
                    factcheck_id=factcheck_id,
                    version=number,
                    record=_version_record(factcheck, case),
                    note=(note or "").strip() or None,
                    published_by=self._person(actor),
                    published_at=now,
                )  # fmt: skip
            )
            CaseStore.change(connection, case_id, version, status="published", factcheck_id=factcheck_id,
                             published_at=case.published_at or now)  # fmt: skip
            AuditStore.record_in(connection, case.organisation_id, actor,
                                 "factcheck.correct" if correcting else "factcheck.publish", "factcheck", factcheck_id,
                                 case=case_id, version=number)  # fmt: skip
            retro_job = None if correcting else RetroJobStore.queue(connection, factcheck_id, "publish",
                                                                    PARTITION_SIZE, actor.user_id)  # fmt: skip
        self.matching.on_imported([factcheck])
        if retro_job is not None:  # earlier appearances are searched for in the background
            self.retro_later(retro_job)
        return Published(factcheck, number, self.store.get(case_id))

    def _factcheck(self, case: Case, factcheck_id: str, publisher: str, now: datetime) -> FactCheck:
        seen = _appearances(case)
        appearances = tuple(url for url, _ in seen)
        first = first_appearance_of(seen)
        return FactCheck(
            id=factcheck_id,
            claim=case.claim,
            rating=self.scale.rating(case.rating_label or ""),
            url=f"{self.settings.base_url}/factchecks/{factcheck_id}",
            language=guess_language(case.claim),
            published=(case.published_at or now).date(),
            summary=case.summary or " ".join(s["text"] for s in case.rebuttal)[:5000],
            publisher=publisher,
            publisher_url=self.settings.base_url,
            claim_date=first[1].date() if first and first[1] else None,
            appearances=appearances,
            first_appearance=first[0] if first else None,
            evidence_links=tuple(e.url for e in case.evidence if e.url),
        )

    def versions(self, factcheck_id: str) -> list[dict[str, Any]]:
        """Every published version of a fact-check, newest first (public)."""
        with self.database.read() as connection:
            rows = connection.execute(
                select(factcheck_versions)
                .where(factcheck_versions.c.factcheck_id == factcheck_id)
                .order_by(factcheck_versions.c.version.desc())
            ).all()
        return [{"version": r.version, "note": r.note, "published_at": r.published_at, "record": r.record}
                for r in rows]  # fmt: skip

    @staticmethod
    def _person(actor: Actor) -> int:
        if actor.user_id is None:
            raise PermissionDenied("this action needs a person, not a machine token")
        return actor.user_id


def _version_record(factcheck: FactCheck, case: Case) -> dict[str, Any]:
    """What a published version keeps: the record, the rebuttal and the evidence it cites."""
    evidence = [{"n": n, "kind": e.kind, "title": e.title, "url": e.url, "quote": e.quote, "source": e.quote_source,
                 "archived": e.snapshot is not None if e.kind == "url" else None}  # still archiving: not archived
                for n, e in enumerate(case.evidence, start=1)]  # fmt: skip
    return {**factcheck_to_record(factcheck), "rebuttal": case.rebuttal, "evidence": evidence}


def _free_id(connection: Any, taken: str) -> str:
    """The first of `taken`-2, `taken`-3, … that no fact-check has (an archive row written before ids were
    namespaced may hold the kc- id a case would publish under)."""
    for n in range(2, 1000):
        candidate = f"{taken}-{n}"
        if connection.execute(select(factchecks.c.id).where(factchecks.c.id == candidate)).first() is None:
            return candidate
    raise ConflictError(f"no free fact-check id after {taken}")


def _check_assignee(connection: Connection, actor: Actor, assignee_id: object) -> None:
    """A case is assigned only to an active person of the actor's organisation; an unknown id, someone
    deactivated and someone of another organisation get the same answer (nothing to learn about others)."""
    if isinstance(assignee_id, int) and not AccountStore.is_active_member(
        connection, assignee_id, actor.organisation_id
    ):
        raise InputError(f"no active person with id {assignee_id} in your organisation to assign the case to")


def _priority(value: int) -> int:
    if not 0 <= value <= 3:
        raise InputError("priority must be 0 (low) to 3 (urgent)")
    return value


def _topic(value: str | None) -> str | None:
    if value is None:
        return None
    value = strip_controls(value).strip()
    if len(value) > 100:
        raise InputError("a topic has at most 100 characters")
    return value or None


def _appearances(case: Case, most: int = 20) -> list[tuple[str, datetime | None]]:
    """The http(s) addresses of the case's posts (none a reviewer rejected), each once, with the earliest
    publication time known for it."""
    earliest: dict[str, datetime | None] = {}
    for item in case.items:
        url, when = item.post_url, item.post_published_at
        if url is None or item.feedback == "rejected" or not is_http_url(url):
            continue
        known = earliest.get(url)
        earliest[url] = when if known is None or (when is not None and when < known) else known
    return list(earliest.items())[:most]

"""Publishing a confirmed repeat (issue 11, item 3): a case the intake opened because posts repeat a claim
that is already fact-checked, once a reviewer has confirmed one of its suggested matches, is published by
attaching it to that fact-check — the posts' addresses join its appearances — never as a second public
fact-check of the same claim. The change, the case's new state and the audit entry are one transaction.

The fact-check keeps its verdict: a case whose drafted verdict says otherwise is refused with the reason
(an editor publishes a correction of the fact-check instead, where it is the organisation's own).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection

from kiemchung.domain.accounts import Actor
from kiemchung.domain.imports import is_http_url
from kiemchung.domain.models import FactCheck
from kiemchung.domain.ratings import RatingScale
from kiemchung.errors import InputError, NotFoundError
from kiemchung.store.audit import AuditStore
from kiemchung.store.cases import Case, CaseStore
from kiemchung.store.factchecks import FactCheckStore

MAX_APPEARANCES = 100  # on a fact-check that repeats keep attaching to


def confirmed_repeat_of(case: Case) -> str | None:
    """The fact-check the case repeats, once a reviewer confirmed a suggested match to it; else None (and
    None once the case is published or dismissed)."""
    if not case.factcheck_id or case.status in {"published", "dismissed"}:
        return None
    confirmed = any(
        item.kind == "match" and item.feedback == "accepted" and item.factcheck_id == case.factcheck_id
        for item in case.items
    )
    return case.factcheck_id if confirmed else None


def appearances_of(case: Case) -> list[str]:
    """The http(s) addresses of the case's posts, in the order they came, none a reviewer rejected."""
    urls = [i.post_url for i in case.items if i.post_url and i.feedback != "rejected" and is_http_url(i.post_url)]
    return list(dict.fromkeys(urls))


def attach_repeat(
    connection: Connection, actor: Actor, case: Case, version: int, factcheck_id: str, scale: RatingScale
) -> tuple[FactCheck, int]:
    """Attach the case to the fact-check it repeats (inside the caller's transaction); the fact-check as it
    now is and its version."""
    attached = FactCheckStore.add_appearances(connection, factcheck_id, appearances_of(case), MAX_APPEARANCES)
    if attached is None:
        raise NotFoundError(f"no fact-check with id {factcheck_id!r}")
    factcheck, number = attached
    if case.rating_label and not scale.same_verdict(case.rating_label, factcheck.rating.label):
        raise InputError(f"this case repeats fact-check {factcheck_id}, rated {factcheck.rating.label!r}, not "
                         f"{case.rating_label!r}: publish a correction of that fact-check instead")  # fmt: skip
    now = datetime.now(UTC)
    CaseStore.change(connection, case.id, version, status="published", factcheck_id=factcheck_id, published_at=now)
    AuditStore.record_in(connection, case.organisation_id, actor, "factcheck.attach", "factcheck", factcheck_id,
                         case=case.id, appearances=len(factcheck.appearances))  # fmt: skip
    return factcheck, number

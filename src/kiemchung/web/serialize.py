"""One JSON shape per domain object, shared by every API route."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kiemchung.domain.priorities import priority_name
from kiemchung.domain.sources import Source
from kiemchung.store.accounts import Invite, User
from kiemchung.store.cases import Case
from kiemchung.store.tokens import ApiToken


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def case_json(case: Case, details: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": case.id, "claim": case.claim, "status": case.status, "priority": case.priority,
        "priority_name": priority_name(case.priority), "topic": case.topic, "assignee_id": case.assignee_id,
        "assignee": case.assignee, "spread": case.spread, "version": case.version,
        "first_detected_at": _iso(case.first_detected_at), "updated_at": _iso(case.updated_at),
        "rating": case.rating_label, "summary": case.summary, "rebuttal": case.rebuttal,
        "needs_second_review": case.needs_second_review, "signed_off": case.signed_off_by is not None,
        "factcheck_id": case.factcheck_id, "published_at": _iso(case.published_at),
        "time_to_publication_s": case.time_to_publication_s, "organisation_id": case.organisation_id,
    }  # fmt: skip
    if details:
        data["shared_with"] = [
            {"organisation_id": s.organisation_id, "organisation": s.organisation, "shared_at": _iso(s.shared_at)}
            for s in case.shared_with
        ]
        data["items"] = [
            {"id": i.id, "kind": i.kind, "text": i.text, "post_id": i.post_id, "post_url": i.post_url,
             "source": i.source, "match_id": i.match_id, "factcheck_id": i.factcheck_id, "score": i.score,
             "sentence": i.sentence, "stance": i.stance, "closeness": i.closeness, "feedback": i.feedback,
             "created_at": _iso(i.created_at)} for i in case.items
        ]  # fmt: skip
        data["comments"] = [
            {"id": c.id, "author": c.author, "body": c.body, "created_at": _iso(c.created_at)} for c in case.comments
        ]
        data["evidence"] = [
            {"n": n, "id": e.id, "kind": e.kind, "title": e.title, "url": e.url, "archived": e.snapshot is not None,
             "archiving": e.archiving,
             "file_name": e.file_name, "content_type": e.content_type, "quote": e.quote, "source": e.quote_source,
             "added_by": e.added_by, "created_at": _iso(e.created_at)}
            for n, e in enumerate(case.evidence, start=1)
        ]  # fmt: skip
    return data


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "display_name": user.display_name, "role": user.role,
            "active": user.active, "organisation": user.organisation}  # fmt: skip


def invite_json(invite: Invite) -> dict[str, Any]:
    return {"id": invite.id, "email": invite.email, "role": invite.role, "expires_at": _iso(invite.expires_at)}


def token_json(token: ApiToken) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "role": token.role, "created_at": _iso(token.created_at),
            "last_used_at": _iso(token.last_used_at), "revoked_at": _iso(token.revoked_at)}  # fmt: skip


def source_json(source: Source) -> dict[str, Any]:
    return {
        "id": source.id, "name": source.name, "kind": source.kind, "url": source.url, "enabled": source.enabled,
        "interval_s": source.interval_s, "items": source.items_total, "last_success_at": _iso(source.last_success_at),
        "last_error_at": _iso(source.last_error_at), "last_error": source.last_error, "failures": source.failures,
        "config": source.config, "evidence": source.evidence,
    }  # fmt: skip

"""JSON API, version 1: monitoring (posts, sources, alerts, status) and the workbench (cases, accounts,
tokens, audit, subscriptions). Routes only check who is asking and translate to service calls."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from kiemchung.domain.accounts import ADMIN, MANAGE_SOURCES, PUBLISH, PUSH, READ, TRIAGE, Actor
from kiemchung.errors import InputError, NotFoundError
from kiemchung.ingest.files import record_item
from kiemchung.ingest.lines import LineError
from kiemchung.store.cases import CaseFilter
from kiemchung.store.sources import SourceStore
from kiemchung.web.auth import SESSION_COOKIE, client_of, needs, password_work
from kiemchung.web.deps import ContextDep
from kiemchung.web.downloads import attachment
from kiemchung.web.serialize import case_json, invite_json, source_json, token_json, user_json

router = APIRouter()
Reader = Annotated[Actor, Depends(needs(READ))]
Triager = Annotated[Actor, Depends(needs(TRIAGE))]
Publisher = Annotated[Actor, Depends(needs(PUBLISH))]
Admin = Annotated[Actor, Depends(needs(ADMIN))]
Pusher = Annotated[Actor, Depends(needs(PUSH))]
SourceManager = Annotated[Actor, Depends(needs(MANAGE_SOURCES))]
MAX_PUSH = 1000

# -- monitoring ---------------------------------------------------------------------------------------------


class PushRequest(BaseModel):
    """One post ({"id", "text", "url"?, "title"?, "published"?}) or a batch under "posts"."""

    posts: list[dict[str, Any]] | None = None
    id: str | int | None = None
    text: str | None = None
    url: str | None = None
    title: str | None = None
    published: str | None = None


@router.post("/posts", status_code=202, tags=["monitoring"])
def push_posts(request: PushRequest, actor: Pusher, context: ContextDep) -> dict[str, Any]:
    """Partners push posts; they enter the monitoring pipeline like any other source's items."""
    records = request.posts if request.posts is not None else [request.model_dump(exclude={"posts"}, exclude_none=True)]
    if len(records) > MAX_PUSH:
        raise InputError(f"at most {MAX_PUSH} posts per request")
    organisation = context.organisations.get(actor.organisation_id)
    source = context.sources.ensure("push", f"push:{organisation.name}", actor.organisation_id)
    items, rejected = [], []
    for index, record in enumerate(records):
        try:
            items.append(record_item(record))
        except LineError as exc:
            rejected.append({"index": index, "error": str(exc)})
    with context.database.write() as connection:
        accepted = context.inbox.add(connection, source.id, items)
        SourceStore.record_success(connection, source, datetime.now(UTC), accepted, None, None)
    return {"accepted": accepted, "seen_before": len(items) - accepted, "rejected": rejected,
            "queued_for": source.name}  # fmt: skip


@router.get("/posts/{post_id}", tags=["monitoring"])
def get_post(post_id: str, actor: Reader, context: ContextDep) -> dict[str, Any]:
    """A post your organisation collected (its source's) or one appearing in a case your organisation may read
    (its own, or shared with it); any other is "not found"."""
    post = context.post_store.get(post_id, organisation_id=actor.organisation_id)
    if post is None:
        raise NotFoundError(f"no post with id {post_id}")
    claims = [{"position": p, "text": t, "checkworthiness": s} for p, t, s in context.post_store.claims_of(post_id)]
    return {**post.as_json(), "claims": claims}


@router.get("/sources", tags=["monitoring"])
def list_sources(actor: Reader, context: ContextDep) -> list[dict[str, Any]]:
    """Every source of your organisation with its health: last success, last error and why, items."""
    return [source_json(s) for s in context.sources.of_organisation(actor.organisation_id)]


class SourceIn(BaseModel):
    kind: Literal["feed", "sitemap", "page", "folder"]
    name: str = Field(min_length=1, max_length=200)
    url: str
    interval_s: int | None = None
    follow_links: bool | None = None
    max_pages: int | None = None
    evidence: bool = Field(False, description="What the source collects also joins the evidence library.")


@router.post("/sources", status_code=201, tags=["monitoring"])
def add_source(source: SourceIn, actor: SourceManager, context: ContextDep) -> dict[str, Any]:
    config = {
        k: v for k, v in {"follow_links": source.follow_links, "max_pages": source.max_pages}.items() if v is not None
    }
    added = context.sources.add_requested(
        source.kind, source.name, source.url, source.interval_s, config, actor.organisation_id, source.evidence
    )
    with context.database.write() as connection:
        context.audit.record(connection, actor, "source.add", "source", added.id, name=added.name, url=added.url)
    return source_json(added)


class SourcePatch(BaseModel):
    enabled: bool | None = None
    evidence: bool | None = Field(None, description="Mark (or unmark) it as an evidence source.")


@router.patch("/sources/{name}", tags=["monitoring"])
def change_source(name: str, patch: SourcePatch, actor: SourceManager, context: ContextDep) -> dict[str, Any]:
    """Enable or disable a source, and mark it as an evidence source or not (`enabled`, `evidence`)."""
    if patch.enabled is None and patch.evidence is None:
        raise InputError("send enabled and/or evidence")
    source = context.sources.owned(actor.organisation_id, name)  # your organisation's source of this name (or id)
    changed = source
    if patch.enabled is not None:
        changed = context.sources.set_enabled(source.id, patch.enabled)
        with context.database.write() as connection:
            context.audit.record(connection, actor, "source.enable" if patch.enabled else "source.disable",
                                 "source", changed.id)  # fmt: skip
    if patch.evidence is not None and patch.evidence != source.evidence:
        changed = context.sources.set_evidence(source.id, patch.evidence)
        with context.database.write() as connection:
            context.audit.record(connection, actor, "source.evidence", "source", changed.id, evidence=patch.evidence)
    return source_json(changed)


@router.delete("/sources/{name}", status_code=204, tags=["monitoring"])
def remove_source(name: str, actor: SourceManager, context: ContextDep) -> Response:
    source = context.sources.owned(actor.organisation_id, name)
    context.sources.remove(source.id, actor)
    return Response(status_code=204)


@router.get("/alerts", tags=["monitoring"])
def list_alerts(
    actor: Reader, context: ContextDep, limit: int = Query(50, ge=1, le=500), kind: str | None = None
) -> list[dict[str, Any]]:
    """Your organisation's alerts: on its posts, or on the claims it checks (store/alerts.py)."""
    alerts = context.alert_store.recent(limit, kind, organisation_id=actor.organisation_id)
    return [a.as_json(context.settings.base_url) for a in alerts]


@router.get("/alerts/groups", tags=["monitoring"])
def list_alert_groups(
    actor: Reader, context: ContextDep, page: int = Query(1, ge=1, le=100_000), per_page: int = Query(50, ge=1, le=50)
) -> dict[str, Any]:
    """Your organisation's alerts grouped per fact-check (or spreading claim) and day, newest group first, with
    counts of alerts, posts and sources, the newest alert, your organisation's state and the case."""
    found = context.alert_groups.page(actor, page, per_page)
    base = context.settings.base_url
    return {"total": found.total, "page": found.page, "pages": found.pages,
            "groups": [g.as_json(base) for g in found.groups]}  # fmt: skip


class AlertGroupStateIn(BaseModel):
    group: str = Field(max_length=400)
    state: Literal["open", "acknowledged", "handled"]


@router.post("/alerts/groups/state", tags=["monitoring"])
def set_alert_group_state(body: AlertGroupStateIn, actor: Triager, context: ContextDep) -> dict[str, Any]:
    """Acknowledge a group of alerts, mark it handled, or open it again (audited)."""
    context.alert_groups.set_state(actor, body.group, body.state)
    return {"group": body.group, "state": body.state}


@router.get("/status", tags=["monitoring"])
def status(actor: Reader, context: ContextDep) -> dict[str, Any]:
    """Your organisation's pipeline at a glance: inbox states, posts, alerts, and each source's health."""
    return {
        "inbox": context.inbox.counts(organisation_id=actor.organisation_id),
        "posts": context.post_store.count(organisation_id=actor.organisation_id),
        "alerts": context.alert_store.count(organisation_id=actor.organisation_id),
        "sources": [source_json(s) for s in context.sources.of_organisation(actor.organisation_id)],
    }


# -- the queue and case work ------------------------------------------------------------------------------


@router.get("/cases", tags=["workbench"])
def list_cases(
    actor: Reader,
    context: ContextDep,
    status: str | None = None,
    priority: int | None = Query(None, ge=0, le=3),
    source_id: int | None = None,
    topic: str | None = None,
    assignee_id: int | None = None,
    q: str = Query("", max_length=200),
    sort: Literal["recent", "oldest", "priority", "spread"] = "recent",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    context.cases.intake()
    found, total = context.cases.queue(
        actor, CaseFilter(status, priority, source_id, topic, assignee_id, q, sort, limit, offset)
    )
    return {"total": total, "items": [case_json(c, details=False) for c in found]}


class CaseIn(BaseModel):
    claim: str = Field(min_length=1, max_length=5000)
    priority: int = Field(1, ge=0, le=3)
    topic: str | None = None


@router.post("/cases", status_code=201, tags=["workbench"])
def open_case(case: CaseIn, actor: Triager, context: ContextDep) -> dict[str, Any]:
    return case_json(context.cases.open_case(actor, case.claim, case.priority, case.topic))


@router.get("/cases/{case_id}", tags=["workbench"])
def get_case(case_id: int, actor: Reader, context: ContextDep) -> dict[str, Any]:
    return case_json(context.cases.get(actor, case_id))


class CasePatch(BaseModel):
    version: int = Field(description="The version you read: a change made meanwhile by someone else is refused (409).")
    status: Literal["new", "in_progress", "drafted", "dismissed"] | None = None
    assignee_id: int | None = None
    unassign: bool = False
    priority: int | None = Field(None, ge=0, le=3)
    topic: str | None = None


@router.patch("/cases/{case_id}", tags=["workbench"])
def change_case(case_id: int, patch: CasePatch, actor: Triager, context: ContextDep) -> dict[str, Any]:
    assignee: int | None | str = None if patch.unassign else (patch.assignee_id if patch.assignee_id else "unchanged")
    return case_json(
        context.cases.update(
            actor,
            case_id,
            patch.version,
            status=patch.status,
            assignee_id=assignee,
            priority=patch.priority,
            topic=patch.topic,
        )  # fmt: skip
    )


class ShareIn(BaseModel):
    organisation: str = Field(min_length=1, max_length=200, description="The other organisation's name.")


@router.post("/cases/{case_id}/shares", tags=["workbench"])
def share_case(case_id: int, body: ShareIn, actor: Publisher, context: ContextDep) -> dict[str, Any]:
    """Let another organisation read the case and comment on it (its other actions stay with yours)."""
    return case_json(context.cases.share(actor, case_id, body.organisation))


@router.delete("/cases/{case_id}/shares/{organisation_id}", tags=["workbench"])
def unshare_case(case_id: int, organisation_id: int, actor: Publisher, context: ContextDep) -> dict[str, Any]:
    return case_json(context.cases.unshare(actor, case_id, organisation_id))


class CommentIn(BaseModel):
    body: str = Field(min_length=1, max_length=10_000)


@router.post("/cases/{case_id}/comments", status_code=201, tags=["workbench"])
def comment(case_id: int, body: CommentIn, actor: Triager, context: ContextDep) -> dict[str, Any]:
    return case_json(context.cases.comment(actor, case_id, body.body))


class EvidenceIn(BaseModel):
    kind: Literal["url", "quote"]
    url: str | None = None
    quote: str | None = None
    source: str | None = None


@router.post("/cases/{case_id}/evidence", status_code=201, tags=["workbench"])
def add_evidence(case_id: int, evidence: EvidenceIn, actor: Triager, context: ContextDep) -> dict[str, Any]:
    """A URL (its text is archived as a snapshot in the background: `archiving` until done) or a quote with its
    source. Documents: .../evidence/file."""
    if evidence.kind == "url":
        return case_json(context.cases.add_url(actor, case_id, evidence.url or ""))
    return case_json(context.cases.add_quote(actor, case_id, evidence.quote or "", evidence.source or ""))


@router.post("/cases/{case_id}/evidence/file", status_code=201, tags=["workbench"])
def upload_evidence(
    case_id: int, actor: Triager, context: ContextDep, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    data = file.file.read(context.settings.upload_max_bytes + 1)
    return case_json(context.cases.add_document(actor, case_id, file.filename or "", data))


class EvidenceChange(BaseModel):
    version: int = Field(description="The case version you read: a change made meanwhile is refused (409).")
    url: str | None = None
    quote: str | None = None
    source: str | None = None
    reason: str = Field("", max_length=500, description="Why (kept in the audit log).")


@router.patch("/cases/{case_id}/evidence/{evidence_id}", tags=["workbench"])
def correct_evidence(
    case_id: int, evidence_id: int, change: EvidenceChange, actor: Triager, context: ContextDep
) -> dict[str, Any]:
    """Correct a URL (archived again) or a quote and its source. On a published case the public page changes
    with the next published correction."""
    values = {"url": change.url or "", "quote": change.quote or "", "source": change.source or ""}
    return case_json(context.cases.correct_evidence(actor, case_id, evidence_id, change.version, values, change.reason))


@router.delete("/cases/{case_id}/evidence/{evidence_id}", tags=["workbench"])
def remove_evidence(
    case_id: int,
    evidence_id: int,
    actor: Triager,
    context: ContextDep,
    version: int | None = Query(None, description="The case version you read (a change meanwhile is a 409)."),
    reason: str = Query("", max_length=500),
) -> dict[str, Any]:
    """Remove a piece of evidence the rebuttal does not cite; the rebuttal's numbers follow."""
    return case_json(context.cases.remove_evidence(actor, case_id, evidence_id, version, reason))


@router.get("/cases/{case_id}/evidence/{evidence_id}/file", tags=["workbench"])
def evidence_file(case_id: int, evidence_id: int, actor: Reader, context: ContextDep) -> Response:
    data, content_type, name = context.cases.document(actor, case_id, evidence_id)
    return attachment(data, content_type, name)


class VerdictIn(BaseModel):
    version: int
    rating: str
    summary: str = ""
    rebuttal: str = Field(description="One sentence per line; cite evidence as [1], [2]…")
    second_review: bool = True


@router.put("/cases/{case_id}/verdict", tags=["workbench"])
def draft_verdict(case_id: int, verdict: VerdictIn, actor: Triager, context: ContextDep) -> dict[str, Any]:
    return case_json(
        context.cases.draft_verdict(
            actor, case_id, verdict.version, verdict.rating, verdict.summary, verdict.rebuttal, verdict.second_review
        )  # fmt: skip
    )


class VersionIn(BaseModel):
    version: int
    note: str | None = None


@router.post("/cases/{case_id}/signoff", tags=["workbench"])
def sign_off(case_id: int, body: VersionIn, actor: Publisher, context: ContextDep) -> dict[str, Any]:
    return case_json(context.cases.sign_off(actor, case_id, body.version))


@router.post("/cases/{case_id}/publish", tags=["workbench"])
def publish(case_id: int, body: VersionIn, actor: Publisher, context: ContextDep) -> dict[str, Any]:
    published = context.cases.publish(actor, case_id, body.version, body.note)
    return {
        **case_json(published.case),
        "factcheck_url": published.factcheck.url,
        "factcheck_version": published.version,
    }


class FeedbackIn(BaseModel):
    verdict: Literal["accept", "reject"]


class BulkReviewIn(BaseModel):
    verdict: Literal["accept", "reject"]
    items: list[int] = Field(default_factory=list, max_length=10_000)


@router.post("/cases/{case_id}/review", tags=["workbench"])
def review_items(case_id: int, body: BulkReviewIn, actor: Triager, context: ContextDep) -> dict[str, Any]:
    """Confirm or reject the suggested matches of the case's chosen items and of the copies folded under them;
    one audit entry for the whole action."""
    done = context.cases.review_items(actor, case_id, body.items, body.verdict == "accept")
    return {"case_id": case_id, "verdict": body.verdict, "matches": done}


@router.post("/matches/{match_id}/feedback", tags=["matching"])
def match_feedback(match_id: int, body: FeedbackIn, actor: Triager, context: ContextDep) -> dict[str, Any]:
    """Confirm or reject a suggested match; the matcher's calibration learns from these (`matches refit`)."""
    context.cases.review_match(actor, match_id, body.verdict == "accept")
    return {"match_id": match_id, "verdict": body.verdict}


# -- administration -----------------------------------------------------------------------------------------


@router.get("/users", tags=["administration"])
def list_users(actor: Admin, context: ContextDep) -> list[dict[str, Any]]:
    return [user_json(u) for u in context.accounts.users(actor)]


class InviteIn(BaseModel):
    email: str
    role: Literal["admin", "editor", "factchecker", "viewer"]


@router.post("/invites", status_code=201, tags=["administration"])
def invite(body: InviteIn, actor: Admin, context: ContextDep) -> dict[str, Any]:
    created, secret = context.accounts.invite(actor, body.email, body.role)
    link = f"{context.settings.base_url}/invite/{secret}"
    return {**invite_json(created), "link": link}


class UserPatch(BaseModel):
    active: bool | None = None
    role: Literal["admin", "editor", "factchecker", "viewer"] | None = None


@router.patch("/users/{user_id}", tags=["administration"])
def change_user(user_id: int, patch: UserPatch, actor: Admin, context: ContextDep) -> dict[str, Any]:
    user = None
    if patch.role is not None:
        user = context.accounts.set_role(actor, user_id, patch.role)
    if patch.active is not None:
        user = context.accounts.set_active(actor, user_id, patch.active)
    if user is None:
        raise InputError("give active or role")
    return user_json(user)


@router.post("/users/{user_id}/password-reset", status_code=201, tags=["administration"])
def issue_password_reset(user_id: int, actor: Admin, context: ContextDep) -> dict[str, Any]:
    """A single-use link that lets the person set a new password (and ends their sessions); expires in 24 h."""
    reset, secret = context.accounts.issue_reset(actor, user_id)
    link = f"{context.settings.base_url}/reset/{secret}"
    return {"id": reset.id, "user_id": user_id, "link": link, "expires_at": reset.expires_at.isoformat()}


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


@router.post("/account/password", tags=["accounts"])
async def change_password(
    request: Request, body: PasswordChangeIn, actor: Reader, context: ContextDep
) -> dict[str, Any]:
    """Change your own password (signed in with a session, not a token); your other sessions end."""
    change = partial(context.accounts.change_password, actor, body.current_password, body.new_password,
                     keep_session=request.cookies.get(SESSION_COOKIE), client=client_of(request))  # fmt: skip
    return {"changed": True, "sessions_ended": await password_work(request, change)}


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Literal["partner", "viewer", "factchecker", "editor", "admin"] = "partner"


@router.get("/tokens", tags=["administration"])
def list_tokens(actor: Admin, context: ContextDep) -> list[dict[str, Any]]:
    return [token_json(t) for t in context.accounts.list_tokens(actor)]


@router.post("/tokens", status_code=201, tags=["administration"])
def create_token(body: TokenIn, actor: Admin, context: ContextDep) -> dict[str, Any]:
    token, secret = context.accounts.create_token(actor, body.name, body.role)
    return {**token_json(token), "token": secret}


@router.delete("/tokens/{token_id}", status_code=204, tags=["administration"])
def revoke_token(token_id: int, actor: Admin, context: ContextDep) -> Response:
    context.accounts.revoke_token(actor, token_id)
    return Response(status_code=204)


@router.get("/audit", tags=["administration"])
def audit(
    actor: Admin, context: ContextDep, format: Literal["json", "jsonl", "csv"] = "json",
    limit: int | None = Query(500, ge=1),
) -> Response:  # fmt: skip
    """The audit log of this organisation, newest first; `format=csv` or `jsonl` to export it."""
    entries = [e.as_json() for e in context.audit.entries(actor.organisation_id, limit)]
    if format == "json":
        return JSONResponse(entries)
    if format == "jsonl":
        body = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
        return attachment(body, "application/x-ndjson", "audit.jsonl")
    out = io.StringIO()
    columns = ["id", "at", "user", "token_id", "actor_organisation", "action", "object_type", "object_id", "detail"]
    writer = csv.DictWriter(out, columns)
    writer.writeheader()
    for entry in entries:
        writer.writerow({**entry, "detail": json.dumps(entry["detail"], ensure_ascii=False)})
    return attachment(out.getvalue(), "text/csv", "audit.csv")


class SubscriptionIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    url: str


@router.get("/subscriptions", tags=["administration"])
def list_subscriptions(actor: Admin, context: ContextDep) -> list[dict[str, Any]]:
    return [s.__dict__ | {"last_fetch_at": s.last_fetch_at.isoformat() if s.last_fetch_at else None}
            for s in context.subscriptions.all(actor)]  # fmt: skip


@router.post("/subscriptions", status_code=201, tags=["administration"])
def add_subscription(body: SubscriptionIn, actor: Admin, context: ContextDep) -> dict[str, Any]:
    """Subscribe to another organisation's published fact-checks (a ClaimReview feed); imported at once."""
    subscription = context.subscriptions.add(actor, body.name, body.url)
    imported = context.subscriptions.refresh(subscription)
    fresh = context.subscriptions.get(subscription.id)
    return {
        "id": fresh.id,
        "name": fresh.name,
        "url": fresh.url,
        "imported": imported,
        "last_error": fresh.last_error,
        "problems": fresh.problems,
    }


@router.post("/subscriptions/{subscription_id}/refresh", tags=["administration"])
def refresh_subscription(subscription_id: int, actor: Admin, context: ContextDep) -> dict[str, Any]:
    subscription = context.subscriptions.get(subscription_id)
    if subscription.organisation_id != actor.organisation_id:
        raise NotFoundError(f"no subscription with id {subscription_id}")
    imported = context.subscriptions.refresh(subscription)
    fresh = context.subscriptions.get(subscription_id)
    return {"id": fresh.id, "imported": imported, "last_error": fresh.last_error, "problems": fresh.problems}


# -- retro-matching (issue 16): a fact-check searched for in the stored posts ----------------------------------


@router.post("/factchecks/{factcheck_id}/retro-match", status_code=202, tags=["matching"])
def retro_match(factcheck_id: str, actor: Publisher, context: ContextDep) -> dict[str, Any]:
    """Search the organisation's stored posts for earlier appearances of one of its fact-checks, in the
    background; the answer is the job as queued (poll the GET for its state and what it found)."""
    return context.retro.request(actor, factcheck_id).as_json()


@router.get("/factchecks/{factcheck_id}/retro-match", tags=["matching"])
def retro_match_status(factcheck_id: str, actor: Reader, context: ContextDep) -> dict[str, Any]:
    """The fact-check's latest retro-match job and the appearances it found."""
    return context.retro.status(actor, factcheck_id).as_json()

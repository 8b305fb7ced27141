"""The workbench in the browser: sign-in, the queue, case work, sources, alerts, status and administration.

Every state change is a POST form carrying the session's CSRF token and answered with a redirect (303);
the same services as the API do the work and the checking.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kiemchung.domain.accounts import (
    ADMIN,
    LEAST_PRIVILEGED_ROLE,
    MANAGE_SOURCES,
    PUBLISH,
    READ,
    ROLES,
    TRIAGE,
    USER_ROLES,
    Actor,
)
from kiemchung.domain.alert_groups import page_number
from kiemchung.domain.appearances import appearance_page
from kiemchung.domain.priorities import PRIORITY_NAMES, parse_priority
from kiemchung.errors import AuthenticationError, InputError, KiemchungError, NotFoundError, RateLimited
from kiemchung.services.retro import RetroStatus
from kiemchung.services.workbench import TRANSITIONS
from kiemchung.store.cases import STATUSES, Case, CaseFilter
from kiemchung.web.auth import SESSION_COOKIE, OptionalActor, client_of, needs, password_work
from kiemchung.web.deps import ContextDep, FormDep
from kiemchung.web.evidence_library import suggested_evidence
from kiemchung.web.i18n import translator
from kiemchung.web.messages import error_for_form
from kiemchung.web.pages import language_of, render, render_error, templates
from kiemchung.web.serialize import source_json

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(needs(READ))]
Triager = Annotated[Actor, Depends(needs(TRIAGE))]
Publisher = Annotated[Actor, Depends(needs(PUBLISH))]
Admin = Annotated[Actor, Depends(needs(ADMIN))]
SourceManager = Annotated[Actor, Depends(needs(MANAGE_SOURCES))]
LOGIN_CSRF_COOKIE = "kc_login_csrf"
templates.env.globals["priority_names"] = PRIORITY_NAMES  # a form's priority values: words, not numbers


def _back(path: str, message: str | None = None) -> RedirectResponse:
    if message:
        path += ("&" if "?" in path else "?") + "msg=" + quote(message)
    return RedirectResponse(path, status_code=303)


def _safe_next(value: object) -> str:
    """Only a path on this site (no open redirect)."""
    text = str(value or "/queue")
    parts = urlsplit(text)
    return text if text.startswith("/") and not text.startswith("//") and not parts.netloc else "/queue"


def _int(value: object, name: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a whole number") from None


def _priority_filter(value: str | None) -> int | None:
    """A queue filter's priority (a word or a number); one it cannot read shows every priority."""
    try:
        return parse_priority(value)
    except InputError:
        return None


def _colleagues(actor: Actor, context: ContextDep) -> list[tuple[int, str]]:
    """Whom the actor may assign a case to (none for someone who may not assign)."""
    return context.accounts.colleagues(actor) if actor.can(TRIAGE) else []


def _optional_int(value: str | None) -> int | None:
    digits = (value or "").lstrip("-")
    return int(value) if value and digits.isascii() and digits.isdigit() else None  # not '²', which int() refuses


# -- signing in and out --------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, actor: OptionalActor) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", login_csrf=token, next=_safe_next(request.query_params.get("next")),
                      email="", error=None, message=request.query_params.get("msg"))  # fmt: skip
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.app.state.context.settings.secure_cookies)  # fmt: skip
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, context: ContextDep) -> Response:
    form = await request.form()
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    target = _safe_next(form.get("next"))
    if not cookie or not secrets.compare_digest(cookie, str(form.get("login_csrf") or "")):
        reload = error_for_form("reload the page and sign in again", language_of(request))
        return _back(f"/login?next={quote(target)}", reload)
    email, password = str(form.get("email") or ""), str(form.get("password") or "")
    try:
        signed = await password_work(request, partial(context.accounts.sign_in, email, password, client_of(request)))
    except (AuthenticationError, RateLimited) as exc:
        token, error = secrets.token_urlsafe(24), error_for_form(str(exc), language_of(request))
        failed = render(request, "login.html", status=429 if isinstance(exc, RateLimited) else 401,
                        login_csrf=token, next=target, email=email, error=error)  # fmt: skip
        failed.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
        if isinstance(exc, RateLimited):
            failed.headers["Retry-After"] = str(exc.retry_after)
        return failed
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, signed.secret, httponly=True, samesite="lax", max_age=14 * 24 * 3600,
                        secure=context.settings.secure_cookies)  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, actor: Reader, context: ContextDep) -> Response:
    context.accounts.sign_out(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/invite/{secret}", response_class=HTMLResponse)
def invite_form(request: Request, secret: str, context: ContextDep, actor: OptionalActor) -> Response:
    return render(request, "invite.html", invite=context.accounts.invite_for(secret), error=None)


@router.post("/invite/{secret}", response_class=HTMLResponse)
async def accept_invite(request: Request, secret: str, context: ContextDep) -> Response:
    form = await request.form()
    accept = partial(context.accounts.accept_invite, secret, str(form.get("display_name") or ""),
                     str(form.get("password") or ""))  # fmt: skip
    try:
        await password_work(request, accept)
    except InputError as exc:
        invite = await run_in_threadpool(context.accounts.invite_for, secret)
        error = error_for_form(str(exc), language_of(request))
        return render(request, "invite.html", status=422, invite=invite, error=error)
    return _back("/login", "✓")


# -- the queue and cases -----------------------------------------------------------------------------------


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, actor: Reader, context: ContextDep) -> Response:
    p = request.query_params
    filters = CaseFilter(
        status=p.get("status") or None, priority=_priority_filter(p.get("priority")),
        source_id=_optional_int(p.get("source_id")), topic=p.get("topic") or None,
        assignee_id=_optional_int(p.get("assignee_id")), q=p.get("q", "")[:200], sort=p.get("sort") or "recent",
    )  # fmt: skip
    context.cases.intake()
    cases, total = context.cases.queue(actor, filters)
    pending = context.cases.pending_matches(actor, [c.id for c in cases if c.status in {"new", "in_progress"}])
    return render(request, "queue.html", cases=cases, total=total, f=filters, statuses=STATUSES,
                  sources=context.sources.of_organisation(actor.organisation_id), topics=context.cases.topics(actor),
                  pending_matches=pending, colleagues=_colleagues(actor, context),
                  spreads=context.cases.spreads(actor, [c.id for c in cases]),
                  narrative_verdicts=context.narratives.case_verdicts(actor, [c.id for c in cases]),
                  message=p.get("msg"))  # fmt: skip


@router.post("/cases")
def open_case(request: Request, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    case = context.cases.open_case(actor, str(form.get("claim") or ""), topic=str(form.get("topic") or "") or None)
    return _back(f"/cases/{case.id}")


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, actor: Reader, context: ContextDep) -> Response:
    return _case_view(request, actor, context, case_id, message=request.query_params.get("msg"))


def _case_view(request: Request, actor: Actor, context: ContextDep, case_id: int, status: int = 200,
               **extra: Any) -> Response:  # fmt: skip
    case = context.cases.get(actor, case_id)
    appearances = appearance_page(case.items, page_number(request.query_params.get("page")))
    return render(request, "case.html", status=status, case=case, ratings=context.cases.scale.labels,
                  appearances=appearances,
                  transitions=sorted(TRANSITIONS.get(case.status, set())), colleagues=_colleagues(actor, context),
                  retro=_retro_of(actor, context, case),
                  evidence_suggestion=suggested_evidence(actor, context, case), **extra)  # fmt: skip


def _retro_of(actor: Actor, context: ContextDep, case: Case) -> RetroStatus | None:
    """The retro-match block of a published case whose fact-check is the organisation's own (else none)."""
    if case.status != "published" or case.factcheck_id is None:
        return None
    with suppress(NotFoundError):
        return context.retro.status(actor, case.factcheck_id)
    return None


@router.post("/cases/{case_id}/retro-match")
def retro_match(case_id: int, actor: Publisher, context: ContextDep, form: FormDep) -> Response:
    """Search the stored posts for earlier appearances of the case's published fact-check (background)."""
    case = context.cases.get(actor, case_id)
    if case.factcheck_id is None or case.organisation_id != actor.organisation_id:
        raise NotFoundError(f"no published fact-check on case {case_id}")
    context.retro.request(actor, case.factcheck_id)
    return _back(f"/cases/{case_id}#retro-h")


@router.post("/cases/{case_id}/update")
def update_case(request: Request, case_id: int, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    assign = "assign_me" in form
    case = context.cases.get(actor, case_id)
    assignee: int | None | str = "unchanged"
    if assign and case.assignee_id != actor.user_id:
        assignee = actor.user_id
    elif not assign and case.assignee_id == actor.user_id:
        assignee = None
    context.cases.update(
        actor, case_id, _int(form.get("version"), "version"), status=str(form.get("status") or "") or None,
        assignee_id=assignee, priority=parse_priority(str(form.get("priority") or "")),
        topic=str(form.get("topic") or ""),
    )  # fmt: skip
    return _back(f"/cases/{case_id}")


@router.post("/cases/{case_id}/assign")
def assign_case(request: Request, case_id: int, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    """Assign the case to a colleague (or to nobody), from the case page or the queue."""
    assignee = _optional_int(str(form.get("assignee_id") or ""))
    context.cases.update(actor, case_id, _optional_int(str(form.get("version") or "")), assignee_id=assignee)
    return _back(_safe_next(form.get("next") or f"/cases/{case_id}"))


@router.post("/cases/{case_id}/shares")
def share_case(request: Request, case_id: int, actor: Publisher, context: ContextDep, form: FormDep) -> Response:
    context.cases.share(actor, case_id, str(form.get("organisation") or ""))
    return _back(f"/cases/{case_id}#shares-h")


@router.post("/cases/{case_id}/shares/{organisation_id}/remove")
def unshare_case(case_id: int, organisation_id: int, actor: Publisher, context: ContextDep) -> Response:
    context.cases.unshare(actor, case_id, organisation_id)
    return _back(f"/cases/{case_id}#shares-h")


@router.post("/cases/{case_id}/review")
def review_items(request: Request, case_id: int, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    """Confirm or reject the chosen appearances (or every one on the page), their copies with them."""
    verdict = str(form.get("verdict") or "")
    if verdict not in {"accept", "reject"}:
        raise InputError("verdict must be accept or reject")
    page_scope = "page" in (request.query_params.get("scope"), form.get("scope"))
    chosen = form.getlist("page_item") if page_scope else form.getlist("item")
    item_ids = [number for number in (_optional_int(str(v)) for v in chosen) if number is not None]
    done = context.cases.review_items(actor, case_id, item_ids, verdict == "accept")
    message = translator(language_of(request))["bulk_done"].format(count=len(done))
    return _back(_safe_next(form.get("next") or f"/cases/{case_id}"), message)


@router.post("/matches/{match_id}/feedback")
def review_match(request: Request, match_id: int, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    verdict = str(form.get("verdict") or "")
    if verdict not in {"accept", "reject"}:
        raise InputError("verdict must be accept or reject")
    context.cases.review_match(actor, match_id, verdict == "accept")
    return _back(_safe_next(form.get("next")))


@router.post("/cases/{case_id}/comments")
def comment(request: Request, case_id: int, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    context.cases.comment(actor, case_id, str(form.get("body") or ""))
    return _back(f"/cases/{case_id}#comments-h")


@router.post("/cases/{case_id}/evidence")
def add_evidence(request: Request, case_id: int, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    if form.get("kind") == "url":
        context.cases.add_url(actor, case_id, str(form.get("url") or ""))  # archived in the background
        return _back(f"/cases/{case_id}")
    context.cases.add_quote(actor, case_id, str(form.get("quote") or ""), str(form.get("source") or ""))
    return _back(f"/cases/{case_id}")


@router.post("/cases/{case_id}/evidence/file")
async def upload_evidence(request: Request, case_id: int, actor: Triager, context: ContextDep) -> Response:
    async with request.form(max_part_size=context.settings.upload_max_bytes + 1) as form:  # closes its files
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InputError("choose a file to upload")
        data = await upload.read(context.settings.upload_max_bytes + 1)
    await run_in_threadpool(context.cases.add_document, actor, case_id, upload.filename or "", data)
    return _back(f"/cases/{case_id}")


@router.post("/cases/{case_id}/evidence/{evidence_id}/remove")
def remove_evidence(case_id: int, evidence_id: int, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    context.cases.remove_evidence(actor, case_id, evidence_id, _optional_int(str(form.get("version") or "")),
                                  str(form.get("reason") or ""))  # fmt: skip
    return _back(f"/cases/{case_id}#evidence-h")


@router.post("/cases/{case_id}/evidence/{evidence_id}/correct")
def correct_evidence(case_id: int, evidence_id: int, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    change = {key: str(form.get(key) or "") for key in ("url", "quote", "source")}
    context.cases.correct_evidence(actor, case_id, evidence_id, _optional_int(str(form.get("version") or "")),
                                   change, str(form.get("reason") or ""))  # fmt: skip
    return _back(f"/cases/{case_id}#evidence-h")


@router.post("/cases/{case_id}/verdict", response_class=HTMLResponse)
def draft_verdict(request: Request, case_id: int, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    """Save the draft; a form without a verdict, or one refused, comes back with what was typed and the reason."""
    typed = {key: str(form.get(key) or "") for key in ("rating", "summary", "rebuttal")}
    typed["second_review"] = "1" if "second_review" in form else ""
    if not typed["rating"]:
        return _verdict_form_again(request, actor, context, case_id, typed, rating_error=True)
    try:
        context.cases.draft_verdict(actor, case_id, _int(form.get("version"), "version"), typed["rating"],
                                    typed["summary"], typed["rebuttal"], bool(typed["second_review"]))  # fmt: skip
    except InputError as exc:
        return _verdict_form_again(request, actor, context, case_id, typed, problem=str(exc))
    return _back(f"/cases/{case_id}")


@router.post("/cases/{case_id}/rebuttal-draft", response_class=HTMLResponse)
def draft_from_evidence(request: Request, case_id: int, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    """The case page with the verdict form's rebuttal drafted from the case's evidence (the rating chosen, else the
    suggested one; the summary as typed). Nothing is saved: the fact-checker reads, edits and saves."""
    draft = context.evidence_library.rebuttal_draft(actor, case_id)
    typed = {"rating": str(form.get("rating") or "") or draft.rating or "", "summary": str(form.get("summary") or ""),
             "rebuttal": draft.text, "second_review": "1" if "second_review" in form else ""}  # fmt: skip
    message = translator(language_of(request))["rebuttal_drafted"]
    return _case_view(request, actor, context, case_id, typed=typed, message=message)


def _verdict_form_again(request: Request, actor: Actor, context: ContextDep, case_id: int, typed: dict[str, str],
                        *, rating_error: bool = False, problem: str | None = None) -> Response:  # fmt: skip
    """The case page again (422) with the verdict form as it was typed and the reason next to its field."""
    t = translator(language_of(request))
    return _case_view(request, actor, context, case_id, 422, typed=typed, verdict_error=problem,
                      rating_error=t["rating_required"] if rating_error else None)  # fmt: skip


@router.post("/cases/{case_id}/signoff")
def sign_off(request: Request, case_id: int, actor: Publisher, context: ContextDep, form: FormDep) -> Response:
    context.cases.sign_off(actor, case_id, _int(form.get("version"), "version"))
    return _back(f"/cases/{case_id}")


@router.post("/cases/{case_id}/publish")
def publish(request: Request, case_id: int, actor: Publisher, context: ContextDep, form: FormDep) -> Response:
    published = context.cases.publish(actor, case_id, _int(form.get("version"), "version"),
                                      str(form.get("note") or "") or None)  # fmt: skip
    return _back(f"/factchecks/{quote(published.factcheck.id, safe='')}")


# -- monitoring views ---------------------------------------------------------------------------------------


@router.get("/alerts", response_class=HTMLResponse)
def alerts(request: Request, actor: Reader, context: ContextDep) -> Response:
    """One line per fact-check (or spreading claim) and day, a page at a time (domain/alert_groups.py)."""
    groups = context.alert_groups.page(actor, page_number(request.query_params.get("page")))
    return render(request, "alerts.html", groups=groups, message=request.query_params.get("msg"))


@router.post("/alerts/groups/state")
def set_alert_group_state(request: Request, actor: Triager, context: ContextDep, form: FormDep) -> Response:
    """Acknowledge a group of alerts, mark it handled, or open it again."""
    context.alert_groups.set_state(actor, str(form.get("group") or ""), str(form.get("state") or ""))
    return _back(_safe_next(form.get("next") or "/alerts"))


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request, actor: Reader, context: ContextDep) -> Response:
    return render(request, "sources.html", sources=context.sources.of_organisation(actor.organisation_id),
                  message=request.query_params.get("msg"))  # fmt: skip


@router.post("/sources")
def add_source(request: Request, actor: SourceManager, context: ContextDep, form: FormDep) -> Response:
    interval = _optional_int(str(form.get("interval_s") or ""))
    kind, name, url = (str(form.get(key) or "") for key in ("kind", "name", "url"))
    source = context.sources.add_requested(kind, name, url, interval, None, actor.organisation_id,
                                           evidence="evidence" in form)  # fmt: skip
    with context.database.write() as connection:
        context.audit.record(connection, actor, "source.add", "source", source.id, **source_json(source))
    return _back("/sources")


@router.post("/sources/{source_id}/toggle")
def toggle_source(source_id: int, actor: SourceManager, context: ContextDep) -> Response:
    source = context.sources.owned(actor.organisation_id, source_id)
    context.sources.set_enabled(source.id, not source.enabled)
    with context.database.write() as connection:
        context.audit.record(connection, actor, "source.disable" if source.enabled else "source.enable", "source",
                             source.id)  # fmt: skip
    return _back("/sources")


@router.post("/sources/{source_id}/evidence")
def toggle_evidence_source(source_id: int, actor: SourceManager, context: ContextDep) -> Response:
    """Mark the source as an evidence source (what it collects from now on joins the evidence library), or not."""
    source = context.sources.owned(actor.organisation_id, source_id)
    context.sources.set_evidence(source.id, not source.evidence)
    with context.database.write() as connection:
        context.audit.record(connection, actor, "source.evidence", "source", source.id, evidence=not source.evidence)
    return _back("/sources")


@router.post("/sources/{source_id}/remove")
def remove_source(source_id: int, actor: SourceManager, context: ContextDep) -> Response:
    context.sources.owned(actor.organisation_id, source_id)
    context.sources.remove(source_id, actor)
    return _back("/sources")


@router.get("/status", response_class=HTMLResponse)
def status(request: Request, actor: Reader, context: ContextDep) -> Response:
    mine = actor.organisation_id
    return render(request, "status.html", inbox=context.inbox.counts(organisation_id=mine),
                  posts=context.post_store.count(organisation_id=mine),
                  alerts=context.alert_store.count(organisation_id=mine),
                  sources=context.sources.of_organisation(mine))  # fmt: skip


# -- administration -----------------------------------------------------------------------------------------


def _admin_page(request: Request, actor: Actor, context: ContextDep, **extra: Any) -> Response:
    return render(request, "admin.html", users=context.accounts.users(actor), roles=USER_ROLES,
                  default_role=LEAST_PRIVILEGED_ROLE,
                  token_roles=list(ROLES), tokens=context.accounts.list_tokens(actor),
                  subscriptions=context.subscriptions.all(actor),
                  audit=list(context.audit.entries(actor.organisation_id, 100)), **extra)  # fmt: skip


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, actor: Admin, context: ContextDep) -> Response:
    return _admin_page(request, actor, context, message=request.query_params.get("msg"))


@router.post("/admin/invites", response_class=HTMLResponse)
def invite(request: Request, actor: Admin, context: ContextDep, form: FormDep) -> Response:
    _, secret = context.accounts.invite(actor, str(form.get("email") or ""), str(form.get("role") or ""))
    link = f"{context.settings.base_url}/invite/{secret}"
    t = translator(language_of(request))
    return _admin_page(request, actor, context, secret=link, secret_label=t["invite_link"])


@router.post("/admin/users/{user_id}/active")
def set_active(request: Request, user_id: int, actor: Admin, context: ContextDep, form: FormDep) -> Response:
    context.accounts.set_active(actor, user_id, form.get("active") == "1")
    return _back("/admin")


@router.post("/admin/users/{user_id}/role")
def set_role(request: Request, user_id: int, actor: Admin, context: ContextDep, form: FormDep) -> Response:
    context.accounts.set_role(actor, user_id, str(form.get("role") or ""))
    return _back("/admin")


@router.post("/admin/users/{user_id}/reset", response_class=HTMLResponse)
def issue_reset(request: Request, user_id: int, actor: Admin, context: ContextDep) -> Response:
    _, secret = context.accounts.issue_reset(actor, user_id)
    link = f"{context.settings.base_url}/reset/{secret}"
    t = translator(language_of(request))
    return _admin_page(request, actor, context, secret=link, secret_label=t["reset_link"])


@router.post("/admin/tokens", response_class=HTMLResponse)
def create_token(request: Request, actor: Admin, context: ContextDep, form: FormDep) -> Response:
    _, secret = context.accounts.create_token(actor, str(form.get("name") or ""), str(form.get("role") or ""))
    t = translator(language_of(request))
    return _admin_page(request, actor, context, secret=secret, secret_label=t["token_shown_once"])


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(token_id: int, actor: Admin, context: ContextDep) -> Response:
    context.accounts.revoke_token(actor, token_id)
    return _back("/admin")


@router.post("/admin/subscriptions")
def subscribe(request: Request, actor: Admin, context: ContextDep, form: FormDep) -> Response:
    subscription = context.subscriptions.add(actor, str(form.get("name") or ""), str(form.get("url") or ""))
    imported = context.subscriptions.refresh(subscription)
    return _back("/admin", f"{subscription.name}: {imported}")


def page_error(request: Request, exc: KiemchungError, status: int) -> Response:
    """Signed-out visitors of a workbench page go to the sign-in form; others see the reason."""
    if status == 401 and request.method == "GET":
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return render_error(request, status, str(exc))

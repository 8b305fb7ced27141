"""A person's own account in the browser: change the password (current one required, other sessions end), and
the single-use reset link an admin hands out (`/reset/{secret}`: its secret is the credential, as an invite's).

Forms that change something carry the session's CSRF token; password work runs off the event loop.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kiemchung.domain.accounts import READ, Actor
from kiemchung.errors import InputError, PermissionDenied, RateLimited
from kiemchung.web.auth import SESSION_COOKIE, client_of, needs, password_work
from kiemchung.web.deps import ContextDep
from kiemchung.web.i18n import translator
from kiemchung.web.messages import error_for_form
from kiemchung.web.pages import language_of, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(needs(READ))]


def _status_of(exc: Exception) -> int:
    return 429 if isinstance(exc, RateLimited) else 403 if isinstance(exc, PermissionDenied) else 422


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, actor: Reader) -> Response:
    return render(request, "account.html", error=None, message=request.query_params.get("msg"))


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(request: Request, actor: Reader, context: ContextDep) -> Response:
    form = await request.form()
    new = str(form.get("new_password") or "")
    change = partial(context.accounts.change_password, actor, str(form.get("current_password") or ""), new,
                     keep_session=request.cookies.get(SESSION_COOKIE), client=client_of(request))  # fmt: skip
    try:
        if new != str(form.get("confirm_password") or ""):
            raise InputError("the new password and its repetition differ")
        await password_work(request, change)
    except (InputError, PermissionDenied, RateLimited) as exc:
        error = error_for_form(str(exc), language_of(request))
        return render(request, "account.html", status=_status_of(exc), error=error)
    done = translator(language_of(request))["password_changed"]
    return RedirectResponse(f"/account?msg={quote(done)}", status_code=303)


@router.get("/reset/{secret}", response_class=HTMLResponse)
def reset_form(request: Request, secret: str, context: ContextDep) -> Response:
    _, user = context.accounts.reset_for(secret)
    return render(request, "reset.html", email=user.email, error=None)


@router.post("/reset/{secret}", response_class=HTMLResponse)
async def reset_password(request: Request, secret: str, context: ContextDep) -> Response:
    form = await request.form()
    password = str(form.get("password") or "")
    try:
        if password != str(form.get("confirm_password") or ""):
            raise InputError("the new password and its repetition differ")
        await password_work(request, partial(context.accounts.use_reset, secret, password))
    except InputError as exc:
        _, user = await run_in_threadpool(context.accounts.reset_for, secret)
        error = error_for_form(str(exc), language_of(request))
        return render(request, "reset.html", status=422, email=user.email, error=error)
    done = translator(language_of(request))["password_reset_done"]
    return RedirectResponse(f"/login?msg={quote(done)}", status_code=303)

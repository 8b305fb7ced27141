"""Training drills in the browser (issue 15): the list, an editor's review of a draft, taking a drill one
item per page with feedback after each, the trainee's results and the editors' cohort table and CSV.

Every state change is a POST form carrying the session's CSRF token and answered with a redirect (303); the
drill service (`services/drills.py`) does the checking, scoping to the caller's organisation and auditing.
"""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kiemchung.domain.accounts import PUBLISH, READ, Actor
from kiemchung.domain.drills import TECHNIQUES
from kiemchung.errors import InputError
from kiemchung.services.drills import AnswerInput, DrillOptions
from kiemchung.web.auth import needs
from kiemchung.web.deps import ContextDep, FormDep
from kiemchung.web.downloads import attachment
from kiemchung.web.i18n import translator
from kiemchung.web.pages import language_of, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(needs(READ))]
Editor = Annotated[Actor, Depends(needs(PUBLISH))]
CONFIDENCES = (50, 60, 70, 80, 90, 100)


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _whole(value: object, name: str) -> int:
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()):
        raise InputError(f"{name} must be a whole number")
    return int(text)


def _moment(value: object) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None


@router.get("/drills", response_class=HTMLResponse)
def drills_page(request: Request, actor: Reader, context: ContextDep) -> Response:
    return render(request, "drills.html", drills=context.drills.drills(actor), message=request.query_params.get("msg"))


@router.post("/drills")
def assemble(request: Request, actor: Editor, context: ContextDep, form: FormDep) -> Response:
    topics = tuple(str(form.get("topics") or "").split(","))
    options = DrillOptions(str(form.get("title") or ""), _whole(form.get("size") or "40", "size"),
                           str(form.get("language") or "vi"), topics)  # fmt: skip
    assembled = context.drills.assemble(actor, options)
    note = translator(language_of(request))["drill_assembled"].format(
        kept=assembled.variants_kept, generated=assembled.variants_generated, dropped=assembled.true_dropped
    )
    return _see(f"/drills/{assembled.drill.id}?msg={quote(note)}")


@router.get("/drills/{drill_id}", response_class=HTMLResponse)
def drill_page(request: Request, drill_id: int, actor: Reader, context: ContextDep) -> Response:
    drill = context.drills.get(actor, drill_id)
    return render(request, "drill.html", drill=drill, techniques=TECHNIQUES,
                  open_attempt=context.drills.open_attempt(actor, drill_id) if actor.user_id else None,
                  message=request.query_params.get("msg"))  # fmt: skip


@router.post("/drills/{drill_id}/items/{item_id}/remove")
def remove_item(drill_id: int, item_id: int, actor: Editor, context: ContextDep) -> Response:
    context.drills.remove_item(actor, drill_id, item_id)
    return _see(f"/drills/{drill_id}")


@router.post("/drills/{drill_id}/items/{item_id}/technique")
def set_technique(drill_id: int, item_id: int, actor: Editor, context: ContextDep, form: FormDep) -> Response:
    context.drills.set_technique(actor, drill_id, item_id, str(form.get("technique") or "") or None)
    return _see(f"/drills/{drill_id}#item-{item_id}")


@router.post("/drills/{drill_id}/ready")
def mark_ready(drill_id: int, actor: Editor, context: ContextDep) -> Response:
    context.drills.mark_ready(actor, drill_id)
    return _see(f"/drills/{drill_id}")


@router.post("/drills/{drill_id}/take")
def start(drill_id: int, actor: Reader, context: ContextDep) -> Response:
    context.drills.start(actor, drill_id)
    return _see(f"/drills/{drill_id}/take")


@router.get("/drills/{drill_id}/take", response_class=HTMLResponse)
def take(request: Request, drill_id: int, actor: Reader, context: ContextDep) -> Response:
    """The next unanswered item of the caller's attempt (the drill's page when there is none)."""
    step = context.drills.next_item(actor, drill_id)
    if step is None:
        return _see(f"/drills/{drill_id}")
    return render(request, "drill_take.html", drill=context.drills.get(actor, drill_id), step=step,
                  verdicts=context.drills.scale.labels, confidences=CONFIDENCES, techniques=TECHNIQUES,
                  shown_at=f"{time.time():.3f}")  # fmt: skip


@router.post("/drills/{drill_id}/answers")
def answer(drill_id: int, actor: Reader, context: ContextDep, form: FormDep) -> Response:
    given = AnswerInput(
        _whole(form.get("item_id"), "item"), str(form.get("verdict") or ""),
        _whole(form.get("confidence"), "confidence"), str(form.get("technique") or "") or None,
        _moment(form.get("shown_at")),
    )  # fmt: skip
    feedback = context.drills.answer(actor, drill_id, given)
    return _see(f"/drills/{drill_id}/feedback/{feedback.item.id}")


@router.get("/drills/{drill_id}/feedback/{item_id}", response_class=HTMLResponse)
def feedback(request: Request, drill_id: int, item_id: int, actor: Reader, context: ContextDep) -> Response:
    return render(request, "drill_feedback.html", drill=context.drills.get(actor, drill_id),
                  feedback=context.drills.feedback(actor, drill_id, item_id), techniques=TECHNIQUES)  # fmt: skip


@router.get("/drills/{drill_id}/results", response_class=HTMLResponse)
def results(request: Request, drill_id: int, actor: Reader, context: ContextDep) -> Response:
    cohort = context.drills.cohort(actor, drill_id) if actor.can(PUBLISH) else None
    return render(request, "drill_results.html", drill=context.drills.get(actor, drill_id), cohort=cohort,
                  mine=context.drills.my_results(actor, drill_id) if actor.user_id else [])  # fmt: skip


@router.get("/drills/{drill_id}/results.csv")
def results_csv(drill_id: int, actor: Editor, context: ContextDep) -> Response:
    return attachment(context.drills.cohort_csv(actor, drill_id), "text/csv; charset=utf-8", f"drill-{drill_id}.csv")

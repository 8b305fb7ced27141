"""Training drills over the API (issue 15), mirroring the pages: the organisation's drills, the caller's own
results, and (editors, admins) the cohort's results as JSON or CSV. The same service results as the pages."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response

from kiemchung.domain.accounts import PUBLISH, READ, Actor
from kiemchung.domain.drills import DrillScore
from kiemchung.services.drills import AttemptScore, Cohort
from kiemchung.store.drills import Drill
from kiemchung.web.auth import needs
from kiemchung.web.deps import ContextDep
from kiemchung.web.downloads import attachment

router = APIRouter(tags=["drills"])
Reader = Annotated[Actor, Depends(needs(READ))]
Editor = Annotated[Actor, Depends(needs(PUBLISH))]


def drill_json(drill: Drill) -> dict[str, Any]:
    return {"id": drill.id, "title": drill.title, "language": drill.language, "topics": drill.topics,
            "size": drill.size, "status": drill.status, "created_at": drill.created_at.isoformat()}  # fmt: skip


def score_json(score: DrillScore) -> dict[str, Any]:
    counts = score.counts
    return {
        "answered": score.answered, "accuracy": score.accuracy, "d_prime": score.d_prime,
        "criterion": score.criterion, "brier": score.brier, "kappa": score.kappa,
        "technique_accuracy": score.technique_accuracy, "median_seconds": score.median_seconds,
        "hits": counts.hits, "misses": counts.misses, "false_alarms": counts.false_alarms,
        "correct_rejections": counts.correct_rejections,
    }  # fmt: skip


def attempt_json(row: AttemptScore, with_trainee: bool) -> dict[str, Any]:
    attempt = row.attempt
    data: dict[str, Any] = {
        "attempt_id": attempt.id, "started_at": attempt.started_at.isoformat(),
        "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None, **score_json(row.score),
    }  # fmt: skip
    if with_trainee:
        data["trainee"] = attempt.trainee
    return data


def cohort_json(cohort: Cohort) -> dict[str, Any]:
    means = {name: cohort.mean(name) for name in ("accuracy", "d_prime", "criterion", "brier", "kappa")}
    return {"drill": drill_json(cohort.drill), "attempts": [attempt_json(r, True) for r in cohort.rows],
            "means": means}  # fmt: skip


@router.get("/drills")
def list_drills(actor: Reader, context: ContextDep) -> dict[str, Any]:
    """The organisation's drills (editors and admins also see drafts)."""
    return {"drills": [drill_json(d) for d in context.drills.drills(actor)]}


@router.get("/drills/{drill_id}/results")
def my_results(drill_id: int, actor: Reader, context: ContextDep) -> dict[str, Any]:
    """The caller's own attempts at a drill with their scores, oldest first."""
    drill = context.drills.get(actor, drill_id)
    return {"drill": drill_json(drill), "attempts": [attempt_json(r, False) for r in
                                                      context.drills.my_results(actor, drill_id)]}  # fmt: skip


@router.get("/drills/{drill_id}/cohort", response_model=None)
def cohort(
    drill_id: int, actor: Editor, context: ContextDep, format: Literal["json", "csv"] = "json"
) -> dict[str, Any] | Response:
    """Every finished attempt in the caller's organisation (editors and admins); `format=csv` to export."""
    if format == "csv":
        return attachment(
            context.drills.cohort_csv(actor, drill_id), "text/csv; charset=utf-8", f"drill-{drill_id}.csv"
        )
    return cohort_json(context.drills.cohort(actor, drill_id))

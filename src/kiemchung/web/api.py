"""JSON API, version 1. Routes only translate HTTP to service calls and back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from kiemchung.domain.accounts import MATCH, Actor
from kiemchung.domain.claimreview import factcheck_to_claimreview
from kiemchung.domain.models import FactCheck
from kiemchung.errors import InputError, RateLimited
from kiemchung.matching.engine import MatchOptions
from kiemchung.services.factchecks import MAX_PER_PAGE, ArchiveQuery
from kiemchung.services.matching import PostResult
from kiemchung.text import strip_controls
from kiemchung.web.auth import OptionalActor, client_of
from kiemchung.web.deps import ArchiveDep, ContextDep
from kiemchung.web.limits import in_thread, waiting_at

router = APIRouter()
T = TypeVar("T")


class RatingOut(BaseModel):
    label: str
    value: float | None = None
    best: float | None = None
    worst: float | None = None


class FactCheckOut(BaseModel):
    id: str
    claim: str
    rating: RatingOut
    url: str | None = None
    language: str | None = None
    published: date | None = None
    summary: str | None = None
    publisher: str | None = None

    @classmethod
    def of(cls, fc: FactCheck) -> FactCheckOut:
        return cls(
            id=fc.id,
            claim=fc.claim,
            rating=RatingOut(**fc.rating.__dict__),
            url=fc.url,
            language=fc.language,
            published=fc.published,
            summary=fc.summary,
            publisher=fc.publisher,
        )


class FactCheckPage(BaseModel):
    items: list[FactCheckOut]
    total: int
    page: int
    per_page: int
    pages: int


@router.get("/factchecks", response_model=FactCheckPage, tags=["fact-checks"])
def list_factchecks(
    archive: ArchiveDep,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=MAX_PER_PAGE),
    q: str = Query("", max_length=500, description="Words that must all occur (diacritics optional)."),
) -> FactCheckPage:
    """A page of the archive, newest first."""
    result = archive.list(ArchiveQuery(page=page, per_page=per_page, q=q))
    return FactCheckPage(
        items=[FactCheckOut.of(fc) for fc in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
    )


@router.get("/factchecks/{factcheck_id}", response_model=FactCheckOut, tags=["fact-checks"])
def get_factcheck(factcheck_id: str, archive: ArchiveDep) -> FactCheckOut:
    return FactCheckOut.of(archive.show(factcheck_id))


@router.get("/factchecks/{factcheck_id}/claimreview", tags=["fact-checks"])
def get_claimreview(factcheck_id: str, archive: ArchiveDep) -> dict[str, Any]:
    """The fact-check as schema.org ClaimReview JSON-LD."""
    return factcheck_to_claimreview(archive.show(factcheck_id))


class MatchRequest(BaseModel):
    """One post (`text`, optional `id`) or a batch (`posts`)."""

    text: str | None = Field(None, description="The post to match.")
    id: str | int | None = None
    posts: list[dict[str, Any]] | None = Field(None, description='Batch form: [{"id": ..., "text": ...}, ...]')
    top: int = Field(5, ge=1, le=50)


class MatchItemOut(BaseModel):
    factcheck_id: str
    score: float = Field(ge=0.0, le=1.0)
    sentence: str
    stance: Literal["repeats", "asks", "refutes"] = Field(
        "repeats", description="The post toward this claim; a post that refutes it is not `matched`."
    )
    match_id: int | None = None


class MatchResultOut(BaseModel):
    id: str | int | None = None
    matched: bool
    matches: list[MatchItemOut]
    error: str | None = None

    @classmethod
    def of(cls, result: PostResult) -> MatchResultOut:
        return cls.model_validate(result.as_json())


class MatchBatchOut(BaseModel):
    results: list[MatchResultOut]


MAX_BATCH = 256  # with a token or a session; anonymous callers: KIEMCHUNG_ANONYMOUS_MATCH_BATCH
ANONYMOUS_GATE = "anonymous-match"  # one anonymous batch at a time: partners and the pipeline wait for one at most
MAX_ANONYMOUS_WAITING = 32  # anonymous requests queued at the gate before the next is refused (429)
# Requests never wait for archive claims to be embedded: the server's background refinement does that.
API_OPTIONS = MatchOptions(embed_candidates=False)


@router.post(
    "/match", response_model=MatchResultOut | MatchBatchOut, response_model_exclude_none=True, tags=["matching"]
)
async def match(
    body: MatchRequest, request: Request, context: ContextDep, actor: OptionalActor
) -> MatchResultOut | MatchBatchOut:
    """Does this post repeat a fact-checked claim? `matched` is the calibrated default decision for the
    best match; matches are best first with a score in [0, 1] and the sentence that matched.

    Open to anyone; only a caller with the `match` capability (a fact-checker's session or a partner's
    token) has its suggestions stored for review (they then carry `match_id`). Without a token or session
    a batch holds at most KIEMCHUNG_ANONYMOUS_MATCH_BATCH posts (16), one anonymous batch is matched at a
    time, and each address may match KIEMCHUNG_ANONYMOUS_MATCH_RATE posts a minute; a token or a person
    KIEMCHUNG_MATCH_RATE. Past the budget: 429 with Retry-After."""
    posts = _posts_of(body, MAX_BATCH if actor is not None else context.settings.anonymous_match_batch)
    context.match_budgets.charge(actor, client_of(request), len(posts))
    store = actor is not None and actor.can(MATCH)
    work = partial(context.matching.match_posts, posts, body.top, store=store, options=API_OPTIONS)
    results = await run_matching(request, actor, work)
    if body.posts is not None:
        return MatchBatchOut(results=[MatchResultOut.of(r) for r in results])
    if results[0].error:
        raise InputError(results[0].error)
    return MatchResultOut.of(results[0])


def _posts_of(body: MatchRequest, most: int) -> list[tuple[Any, Any]]:
    """The (id, text) pairs asked about: the batch (at most `most`) or the one post."""
    if body.posts is not None:
        if len(body.posts) > most:
            hint = "" if most == MAX_BATCH else f" without an API token ({MAX_BATCH} with one)"
            raise InputError(f"at most {most} posts per request{hint}")
        return [
            (_clean(p.get("id")) if isinstance(p, dict) else None, _clean(p.get("text") if isinstance(p, dict) else p))
            for p in body.posts
        ]
    if body.text is None:
        raise InputError('give "text" (one post) or "posts" (a batch)')
    return [(_clean(body.id), _clean(body.text))]


async def run_matching(request: Request, actor: Actor | None, work: Callable[[], T]) -> T:
    """Matching in a worker thread, off the event loop; anonymous work one batch at a time, behind a gate
    whose queue is bounded (429 when full)."""
    if actor is not None:
        return await run_in_threadpool(work)
    if waiting_at(request, ANONYMOUS_GATE) >= MAX_ANONYMOUS_WAITING:
        raise RateLimited("public matching is busy: try again in a few seconds", 5)
    return await in_thread(request, ANONYMOUS_GATE, 1, work)


def _clean(value: Any) -> Any:
    """A string from a free-form batch without control characters or lone surrogates (which would fail
    when stored or echoed back); anything else as it is."""
    return strip_controls(value) if isinstance(value, str) else value

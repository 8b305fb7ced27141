"""JSON API, version 1. Routes only translate HTTP to service calls and back."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from kiemchung.domain.accounts import MATCH
from kiemchung.domain.claimreview import factcheck_to_claimreview
from kiemchung.domain.models import FactCheck
from kiemchung.errors import InputError
from kiemchung.matching.engine import MatchOptions
from kiemchung.services.factchecks import MAX_PER_PAGE, ArchiveQuery
from kiemchung.services.matching import PostResult
from kiemchung.text import strip_controls
from kiemchung.web.auth import OptionalActor
from kiemchung.web.deps import ArchiveDep, MatchingDep

router = APIRouter()


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


MAX_BATCH = 256
# Requests never wait for archive claims to be embedded: the server's background refinement does that.
API_OPTIONS = MatchOptions(embed_candidates=False)


@router.post(
    "/match", response_model=MatchResultOut | MatchBatchOut, response_model_exclude_none=True, tags=["matching"]
)
def match(request: MatchRequest, matching: MatchingDep, actor: OptionalActor) -> MatchResultOut | MatchBatchOut:
    """Does this post repeat a fact-checked claim? `matched` is the calibrated default decision for the
    best match; matches are best first with a score in [0, 1] and the sentence that matched.

    Open to anyone; only a caller with the `match` capability (a fact-checker's session or a partner's
    token) has its suggestions stored for review (they then carry `match_id`)."""
    store = actor is not None and actor.can(MATCH)
    if request.posts is not None:
        if len(request.posts) > MAX_BATCH:
            raise InputError(f"at most {MAX_BATCH} posts per request")
        posts = [
            (_clean(p.get("id")) if isinstance(p, dict) else None, _clean(p.get("text") if isinstance(p, dict) else p))
            for p in request.posts
        ]
        return MatchBatchOut(
            results=[
                MatchResultOut.of(r) for r in matching.match_posts(posts, request.top, store=store, options=API_OPTIONS)
            ]
        )
    if request.text is None:
        raise InputError('give "text" (one post) or "posts" (a batch)')
    post = (_clean(request.id), _clean(request.text))
    result = matching.match_posts([post], request.top, store=store, options=API_OPTIONS)[0]
    if result.error:
        raise InputError(result.error)
    return MatchResultOut.of(result)


def _clean(value: Any) -> Any:
    """A string from a free-form batch without control characters or lone surrogates (which would fail
    when stored or echoed back); anything else as it is."""
    return strip_controls(value) if isinstance(value, str) else value

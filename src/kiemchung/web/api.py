"""JSON API, version 1. Routes only translate HTTP to service calls and back."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from kiemchung.domain.claimreview import factcheck_to_claimreview
from kiemchung.domain.models import FactCheck
from kiemchung.services.factchecks import MAX_PER_PAGE, ArchiveQuery
from kiemchung.web.deps import ArchiveDep

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

"""The fact-check archive use cases shared by the CLI, the web pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from kiemchung.domain.models import FactCheck, Page
from kiemchung.errors import InputError, NotFoundError
from kiemchung.store.factchecks import FactCheckStore

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class ArchiveQuery:
    page: int = 1
    per_page: int = 20
    q: str = ""

    def validated(self) -> ArchiveQuery:
        if self.page < 1:
            raise InputError("page must be 1 or more")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise InputError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if len(self.q) > 500:
            raise InputError("search text is longer than 500 characters")
        return self


class ArchiveService:
    def __init__(self, store: FactCheckStore) -> None:
        self.store = store

    def list(self, query: ArchiveQuery) -> Page[FactCheck]:
        query = query.validated()
        return self.store.page(query.page, query.per_page, query.q.strip())

    def show(self, factcheck_id: str) -> FactCheck:
        found = self.store.get(factcheck_id)
        if found is None:
            raise NotFoundError(f"no fact-check with id {factcheck_id!r}")
        return found

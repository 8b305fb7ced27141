"""FastAPI dependencies: services taken from the app's context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kiemchung.app_context import AppContext
from kiemchung.services.factchecks import ArchiveService
from kiemchung.services.matching import MatchService


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def get_archive(request: Request) -> ArchiveService:
    return get_context(request).archive


def get_matching(request: Request) -> MatchService:
    return get_context(request).matching


ContextDep = Annotated[AppContext, Depends(get_context)]
ArchiveDep = Annotated[ArchiveService, Depends(get_archive)]
MatchingDep = Annotated[MatchService, Depends(get_matching)]

"""FastAPI dependencies: services taken from the app's context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kiemchung.app_context import AppContext
from kiemchung.services.factchecks import ArchiveService


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def get_archive(request: Request) -> ArchiveService:
    return get_context(request).archive


ContextDep = Annotated[AppContext, Depends(get_context)]
ArchiveDep = Annotated[ArchiveService, Depends(get_archive)]

"""FastAPI dependencies: services taken from the app's context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

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


async def read_form(request: Request) -> FormData:
    """The request's form, read (and cached on the request) on the event loop, so the route itself can be a
    plain `def` that FastAPI runs in a worker thread: database work never runs on the event loop."""
    return await request.form()


ContextDep = Annotated[AppContext, Depends(get_context)]
FormDep = Annotated[FormData, Depends(read_form)]
ArchiveDep = Annotated[ArchiveService, Depends(get_archive)]
MatchingDep = Annotated[MatchService, Depends(get_matching)]

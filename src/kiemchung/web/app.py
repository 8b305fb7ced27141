"""App factory: one Settings in, one FastAPI app out. No module-global state."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError

from kiemchung import __version__
from kiemchung.app_context import AppContext
from kiemchung.errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    KiemchungError,
    NotFoundError,
    PermissionDenied,
    RateLimited,
    StorageError,
)
from kiemchung.settings import Settings
from kiemchung.text import strip_controls
from kiemchung.web import account_pages, api, api_work, pages, report_pages, work_pages
from kiemchung.web import api_drills as drill_api
from kiemchung.web import archive_imports as archive_import_routes
from kiemchung.web import drill_pages as drill_routes
from kiemchung.web import evidence_library as evidence_routes
from kiemchung.web import exports as export_routes
from kiemchung.web import narratives as narrative_routes
from kiemchung.web import operations as operations_routes
from kiemchung.web import trends as trend_routes
from kiemchung.web.caching import apply_cache_policy
from kiemchung.web.limits import install_body_limits

HERE = Path(__file__).parent
logger = logging.getLogger(__name__)


def _swagger_assets() -> Path:
    """Swagger UI 5 (reads OpenAPI 3.1, as FastAPI writes it), shipped inside the fastapi-offline wheel: /docs
    loads nothing from outside the server."""
    return Path(fastapi_offline.__file__).parent / "static"


def _status_for(exc: KiemchungError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, AuthenticationError):
        return 401
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, StorageError):
        return 503
    if isinstance(exc, RateLimited):
        return 429
    return 400


def _encodable(value: Any) -> Any:
    """`value` with every string cleaned of what UTF-8 and JSON readers cannot take (lone surrogates,
    control characters)."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, list):
        return [_encodable(v) for v in value]
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    return value


def _refine_index(context: AppContext, stop: threading.Event) -> None:
    """Background: give every archive claim a dense vector, a few at a time, between requests."""
    try:
        if context.matching.embedder is not None:
            context.matching.embed_missing(batch_size=8, stop=stop)
    except Exception:  # noqa: BLE001 - a failing refinement must never take the server down
        logger.exception("background embedding stopped")


def _resume_archiving(context: AppContext) -> None:
    """Background: evidence URLs left archiving by the last run are queued again."""
    try:
        context.evidence_archiver.resume()
    except Exception:  # noqa: BLE001 - e.g. a database not yet initialised: nothing to resume
        logger.exception("evidence archiving not resumed")


def _resume_imports(context: AppContext) -> None:
    """Background: archive imports and evidence PDFs queued or left running by the last run are taken up again."""
    try:
        context.archive_imports.submit()
        context.evidence_imports.submit()
    except Exception:  # noqa: BLE001 - never take the server down for it
        logger.exception("archive imports not resumed")


def create_app(settings: Settings, context: AppContext | None = None) -> FastAPI:
    context = context or AppContext(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        worker = None
        if settings.background_embedding:
            worker = threading.Thread(target=_refine_index, args=(context, stop), name="kiemchung-embed", daemon=True)
            worker.start()
        pipeline = context.monitor.run(stop) if settings.run_pipeline else []
        threading.Thread(target=_resume_archiving, args=(context,), name="kiemchung-resume", daemon=True).start()
        _resume_imports(context)
        yield
        stop.set()
        if worker is not None:
            worker.join(timeout=30)
        for thread in pipeline:
            thread.join(timeout=30)
        context.close()

    app = FastAPI(
        title="kiemchung API",
        version=__version__,
        description="Fact-check archive and claim matching. Versioned under /api/v1.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.context = context
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/assets/swagger", StaticFiles(directory=_swagger_assets()), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="kiemchung API",
            swagger_js_url="/assets/swagger/swagger-ui-bundle.js",
            swagger_css_url="/assets/swagger/swagger-ui.css",
            swagger_favicon_url="/assets/swagger/favicon.png",
        )

    @app.exception_handler(KiemchungError)
    async def on_error(request: Request, exc: KiemchungError) -> Response:
        status = _status_for(exc)
        if request.url.path.startswith("/api/") or request.url.path in ("/healthz", "/metrics"):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            response: Response = JSONResponse({"error": str(exc)}, status_code=status, headers=headers)
        else:
            response = work_pages.page_error(request, exc, status)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def on_out_of_range(request: Request, exc: Exception) -> Response:
        """A number past what the database stores (an id beyond 64 bits) is bad input, never a 500."""
        return await on_error(request, InputError("a number is out of range"))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> Response:
        """FastAPI's 422, with the input it echoes made encodable: a lone surrogate in a JSON body is
        refused with 422, never turned into a 500 while answering."""
        return JSONResponse({"detail": _encodable(jsonable_encoder(exc.errors()))}, status_code=422)

    # -- request-body limits (web/limits.py): inside the header middleware below, so a 413 gets its headers too
    install_body_limits(app, settings)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        apply_cache_policy(request, response)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith(("/docs", "/assets")):
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:",
            )
        return response

    app.include_router(api.router, prefix="/api/v1")
    app.include_router(api_work.router, prefix="/api/v1")
    app.include_router(export_routes.router, prefix="/api/v1")
    app.include_router(pages.router)
    app.include_router(work_pages.router)
    app.include_router(account_pages.router)
    app.include_router(report_pages.router)
    app.include_router(drill_routes.router)
    app.include_router(drill_api.router, prefix="/api/v1")
    app.include_router(operations_routes.router)  # /healthz, /metrics
    app.include_router(narrative_routes.api, prefix="/api/v1")
    app.include_router(narrative_routes.pages)
    app.include_router(trend_routes.api, prefix="/api/v1")
    app.include_router(trend_routes.pages)
    app.include_router(evidence_routes.api, prefix="/api/v1")
    app.include_router(evidence_routes.pages)
    app.include_router(archive_import_routes.api, prefix="/api/v1")
    app.include_router(archive_import_routes.pages)
    return app

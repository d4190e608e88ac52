"""The read-only web application: the JSON API under /api/ and the HTML pages, one view module
per kind of page, each answering HTML and JSON from the same data."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from chancery.archive import Archive
from chancery.errors import NotFound, QueryError
from chancery.web.apidocs import install_api_docs
from chancery.web.render import page
from chancery.web.views import collection, document, entity, search, timeline

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("chancery.web")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str, details: object = None) -> Response:
    if _wants_json(request):
        error: dict[str, Any] = {"status": status, "message": message}
        if details is not None:
            error["details"] = details
        body = {"error": error}
        return JSONResponse(body, status_code=status)
    return page(request, "error.html", {"status": status, "message": message}, status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_params(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"param": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{p['param']}: {p['message']}" for p in problems)
        return _error(request, 422, f"invalid parameters: {summary}", problems)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        return _error(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("error serving %s", request.url.path)
        return _error(request, 500, "internal error; the server log has the details")


def create_app(archive: Archive | str | Path | None = None) -> FastAPI:
    """The app over `archive` (an open Archive, or a db path/URL to open)."""
    app = FastAPI(
        title="Chancery",
        summary="Read-only JSON API of a Chancery archive of diplomatic documents.",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by install_api_docs, without a CDN
        redoc_url=None,
    )
    app.state.archive = archive if isinstance(archive, Archive) else Archive.open(archive)
    collections = app.state.archive.collections()
    app.state.archive_of_collection = {c.id: c.archive for c in collections}
    app.state.collection_titles = {c.id: c.title for c in collections}
    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_api_docs(app)
    for module in (search, document, entity, collection, timeline):
        app.include_router(module.api, prefix="/api", tags=[module.__name__.rsplit(".", 1)[-1]])
        app.include_router(module.pages, include_in_schema=False)

    @app.middleware("http")
    async def server_timing(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Report the server-side time of each response (read by benchmarks/web_speed.py)."""
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response

    @app.get("/robots.txt", include_in_schema=False)
    async def robots() -> Response:
        return Response("User-agent: *\nDisallow: /api/\n", media_type="text/plain")

    return app


def serve(db: str | None = None, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the app with uvicorn (read-only; binds loopback unless told otherwise)."""
    import uvicorn

    uvicorn.run(create_app(db), host=host, port=port, log_level="warning", access_log=False)

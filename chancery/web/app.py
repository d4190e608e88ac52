"""The read-only web application: the JSON API under /api/ and the HTML pages, one view module
per kind of page, each answering HTML and JSON from the same data.

Routes touching the archive are plain functions (FastAPI runs them in its thread pool, so a slow
search never blocks the event loop); every response carries the security headers below; canonical
links use the configured base URL, never the request's Host header."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import socket
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.supervisors import Multiprocess

from chancery.archive import Archive
from chancery.errors import NotAllowed, NotFound, QueryError, SemanticUnavailable
from chancery.settings import Settings
from chancery.web.apidocs import install_api_docs
from chancery.web.auth import CsrfMiddleware
from chancery.web.render import page
from chancery.web.views import annotations as annotation_views
from chancery.web.views import batch, collection, document, entity, lists, login, review, search, timeline

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("chancery.web")

# Pages load scripts, styles and data from this server only, and may not be framed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
DOCS = "/api/docs"  # Swagger UI: its one inline script is allowed by hash
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class ServerHeaders:
    """ASGI middleware: the security headers (unless a route set its own) and Server-Timing, the
    server-side time to the response's start (read by benchmarks/web_speed.py), on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.fixed = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self.fixed if k not in present]
                timing = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
                headers.append((b"server-timing", timing.encode()))
                message = {**message, "headers": headers}
            await send(message)

        if scope["path"] != DOCS:
            await self.app(scope, receive, send_with_headers)
            return
        start: list[Message] = []

        async def send_docs(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.append(message)
                return
            if start:  # the page comes in one body message: hash its inline scripts
                policy = docs_policy(message.get("body", b""))
                first = start.pop()
                headers = [*first.get("headers", []), (b"content-security-policy", policy.encode())]
                await send_with_headers({**first, "headers": headers})
            await send_with_headers(message)

        await self.app(scope, receive, send_docs)


def docs_policy(html: bytes) -> str:
    """The CSP of the Swagger UI page: CSP's, plus its inline scripts by hash and inline styles."""
    scripts = re.findall(rb"<script>(.*?)</script>", html, re.DOTALL)
    hashes = "".join(f" 'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in scripts)
    return CSP.replace("script-src 'self'", "script-src 'self'" + hashes).replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'"
    )


def normal_base_url(url: str) -> str:
    """`url` without its trailing slash; refused unless it is an http(s) URL with a host."""
    if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", url):
        raise ValueError(f"base URL must be http(s)://host[:port][/path], not {url!r}")
    return url.rstrip("/")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str, details: object = None) -> Response:
    if _wants_json(request):
        error: dict[str, Any] = {"status": status, "message": message}
        if details is not None:
            error["details"] = details
        body = {"error": error}
        response: Response = JSONResponse(body, status_code=status)
    else:
        response = page(request, "error.html", {"status": status, "message": message}, status)
    response.headers.update(SECURITY_HEADERS)  # a 500 is answered outside the middleware
    return response


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        return _error(request, 403, str(exc))

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(SemanticUnavailable)
    async def no_semantic(request: Request, exc: SemanticUnavailable) -> Response:
        return _error(request, 503, str(exc))

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


def create_app(
    archive: Archive | str | Path | None = None,
    base_url: str | None = None,
    settings: Settings | None = None,
    auth: bool = False,
) -> FastAPI:
    """The app over `archive` (an open Archive, or a db path/URL to open).

    `base_url` (else $CHANCERY_BASE_URL, else http://127.0.0.1:8000) is the server's public URL:
    canonical links and citation permalinks start with it. With `auth`, accounts are on: visitors
    log in, anonymous ones see public collections only (without it, everyone is the local user)."""
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="Chancery",
        summary="Read-only JSON API of a Chancery archive of diplomatic documents.",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by install_api_docs, without a CDN
        redoc_url=None,
    )
    app.state.base_url = normal_base_url(base_url or settings.base_url or DEFAULT_BASE_URL)
    app.state.auth = auth
    app.state.archive = archive if isinstance(archive, Archive) else Archive.open(archive, settings=settings)
    app.state.archive.follow()  # the index catches up with changes made by any process, every second
    collections = app.state.archive.collections()
    app.state.archive_of_collection = {c.id: c.archive for c in collections}
    app.state.collection_titles = {c.id: c.title for c in collections}
    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_api_docs(app)
    # annotations before document: its /documents/{id}/annotations routes would be read as ids
    views = (search, annotation_views, document, entity, collection, timeline, lists, batch, review)
    for module in (*views, *([login] if auth else [])):
        app.include_router(module.api, prefix="/api", tags=[module.__name__.rsplit(".", 1)[-1]])
        app.include_router(module.pages, include_in_schema=False)

    app.add_middleware(CsrfMiddleware, secure=app.state.base_url.startswith("https://"))
    app.add_middleware(ServerHeaders)

    @app.get("/robots.txt", include_in_schema=False)
    async def robots() -> Response:
        return Response("User-agent: *\nDisallow: /api/\n", media_type="text/plain")

    return app


class NoDelayConfig(uvicorn.Config):
    """uvicorn's config, its shared socket with TCP_NODELAY (which accepted connections inherit):
    uvicorn binds the workers' socket without a protocol number, so asyncio never sets TCP_NODELAY
    on their connections, and a response's head and body, written apart, wait out the client's
    delayed ACK (+40 ms a request)."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


AUTH_ENV = "CHANCERY_AUTH"  # "1": accounts on (how `serve --auth` reaches its workers)


def app_from_env() -> FastAPI:
    """The app over $CHANCERY_DB at $CHANCERY_BASE_URL: the factory each uvicorn worker calls."""
    return create_app(auth=os.environ.get(AUTH_ENV) == "1")


def serve(
    db: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    base_url: str | None = None,
    auth: bool = False,
) -> None:
    """Run the app with uvicorn (binds loopback unless told otherwise; `auth`: accounts on).

    With `workers` > 1, uvicorn starts that many processes, each opening its own Archive (the
    database and base URL reach them through $CHANCERY_DB and $CHANCERY_BASE_URL)."""
    settings = Settings.from_env()
    shown_host = f"[{host}]" if ":" in host else host
    base = normal_base_url(base_url or settings.base_url or f"http://{shown_host}:{port}")
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "warning", "access_log": False}
    if workers <= 1:
        uvicorn.run(create_app(db, base_url=base, settings=settings, auth=auth), **options)
        return
    os.environ["CHANCERY_DB"] = settings.db_url(db)
    os.environ["CHANCERY_BASE_URL"] = base
    os.environ[AUTH_ENV] = "1" if auth else "0"
    create_app(settings=Settings.from_env()).state.archive.close()  # fail here, once, if it cannot open
    config = NoDelayConfig("chancery.web.app:app_from_env", factory=True, workers=workers, **options)
    Multiprocess(config, sockets=[config.bind_socket()]).run()

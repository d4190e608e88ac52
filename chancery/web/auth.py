"""Who is asking, and CSRF protection.

`current_viewer(request)` is the one way a view learns who it answers: `Viewer.local()` when the
server runs without `--auth`; with it, the user of an `Authorization: Bearer` API token or of the
session cookie set at login, else anonymous.

CSRF is refused centrally (`CsrfMiddleware`) by double submit: every response carries the
`chancery_csrf` cookie, pages show the same value in `<meta name="csrf-token">`, and a POST, PUT,
PATCH or DELETE must send it back in the `X-CSRF-Token` header or a `csrf_token` form field.
Requests authenticated by a Bearer token (not sent by browsers on their own) are exempt, and so is
a JSON `POST /api/login` (a cross-site page cannot send JSON without CORS, which is never allowed).
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any
from urllib.parse import parse_qs

from fastapi import HTTPException, Request
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chancery.workspace.viewer import Viewer

SESSION_COOKIE = "chancery_session"
CSRF_COOKIE = "chancery_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
MAX_FORM = 1 << 20  # a form body read for its token (larger forms send the header)


def current_viewer(request: Request) -> Viewer:
    """The viewer of this request (computed once per request)."""
    cached = getattr(request.state, "viewer", None)
    if isinstance(cached, Viewer):
        return cached
    viewer = _find_viewer(request)
    request.state.viewer = viewer
    return viewer


def _find_viewer(request: Request) -> Viewer:
    if not getattr(request.app.state, "auth", False):
        return Viewer.local()
    archive = request.app.state.archive
    token = bearer_token(request.headers)
    if token is not None:
        viewer: Viewer = archive.viewer_for_token(token)
        if viewer.name is None:
            raise HTTPException(401, "unknown API token", headers={"WWW-Authenticate": "Bearer"})
        return viewer
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        return archive.viewer_for_session(session)
    return Viewer.anonymous()


def bearer_token(headers: Headers) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def csrf_token(request: Request) -> str:
    """This client's CSRF token (for the meta tag and hidden form fields)."""
    return str(request.scope.setdefault("state", {}).get("csrf") or "")


def rotate_csrf(request: Request) -> None:
    """Give the client a new CSRF token with this response (at login: a token a page or cookie
    planted before login is not the one valid after)."""
    request.scope.setdefault("state", {})["csrf_rotate"] = True


def cookie_options(request: Request) -> dict[str, Any]:
    """HttpOnly, SameSite=Lax, and Secure when the server's public URL is https."""
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": request.app.state.base_url.startswith("https://"),
        "path": "/",
    }


class CsrfMiddleware:
    """ASGI middleware: sets the CSRF cookie, refuses unsafe requests without a matching token."""

    def __init__(self, app: ASGIApp, secure: bool = False) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = _cookies(headers.get("cookie") or "")
        token = cookies.get(CSRF_COOKIE) or ""
        fresh = not _well_formed(token)
        if fresh:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf"] = token
        if scope["method"] not in SAFE_METHODS and not self._exempt(scope, headers):
            sent = headers.get(CSRF_HEADER)
            if sent is None and _is_form(headers):
                body, receive = await _buffered(receive)
                values = parse_qs(body.decode("latin-1")).get(CSRF_FIELD)
                sent = values[0] if values else None
            elif sent is None and _is_multipart(headers):  # an upload form (batch search)
                body, receive = await _buffered(receive)
                found = MULTIPART_TOKEN.search(body)
                sent = found.group(1).decode("ascii") if found else None
            if fresh or not sent or not hmac.compare_digest(sent, token):
                refusal = JSONResponse(
                    {"error": {"status": 403, "message": "missing or wrong CSRF token"}}, status_code=403
                )
                await refusal(scope, receive, send)
                return

        async def send_with_cookie(message: Message) -> None:
            nonlocal token
            rotate = scope["state"].get("csrf_rotate", False)
            if (fresh or rotate) and message["type"] == "http.response.start":
                if rotate:
                    token = secrets.token_urlsafe(32)
                secure = "; Secure" if self.secure else ""
                cookie = f"{CSRF_COOKIE}={token}; Path=/; SameSite=Lax{secure}"
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())],
                }
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    @staticmethod
    def _exempt(scope: Scope, headers: Headers) -> bool:
        if bearer_token(headers) is not None:
            return True
        json_body = (headers.get("content-type") or "").split(";")[0].strip() == "application/json"
        return scope["path"] == "/api/login" and json_body


def _well_formed(token: str) -> bool:
    return 32 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name and name not in found:
            found[name] = value
    return found


# The token field of a multipart/form-data body: `name="csrf_token"`, a blank line, the value.
MULTIPART_TOKEN = re.compile(
    rb'name="' + CSRF_FIELD.encode() + rb'"\r\n(?:[^\r\n]+\r\n)*\r\n([A-Za-z0-9_-]{32,64})\r\n'
)


def _is_multipart(headers: Headers) -> bool:
    return (headers.get("content-type") or "").startswith("multipart/form-data")


def _is_form(headers: Headers) -> bool:
    return (headers.get("content-type") or "").startswith("application/x-www-form-urlencoded")


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The request body (up to MAX_FORM) and a `receive` that replays it to the app."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = message.get("more_body", False) and size <= MAX_FORM
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body[:MAX_FORM], replay

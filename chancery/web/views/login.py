"""Logging in and out (only with `chancery serve --auth`): the login page, `POST /api/login` with
JSON {username, password}, logout, and `/api/me`. A session is a random id in an HttpOnly cookie
(only its hash is stored); failed logins are limited per user and address (429). Every login
issues a new session id and CSRF token and ends the session the client presented (no session
fixation); logout deletes the session on the server, not only the cookie."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from chancery.errors import LoginRefused, TooManyAttempts
from chancery.web.auth import SESSION_COOKIE, cookie_options, current_viewer, rotate_csrf
from chancery.web.render import page

api = APIRouter()
pages = APIRouter()
RETRY_AFTER = "900"  # seconds: the failed-login window


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _viewer_json(request: Request) -> dict[str, Any]:
    viewer = current_viewer(request)
    return {"user": viewer.name, "role": viewer.role, "groups": sorted(viewer.groups)}


def _login(request: Request, username: str, password: str) -> tuple[int, str, str | None]:
    """(status, message, session id) of one login attempt."""
    try:
        previous = request.cookies.get(SESSION_COOKIE)
        _, session = request.app.state.archive.login(username, password, _ip(request), previous)
    except TooManyAttempts as exc:
        return 429, str(exc), None
    except LoginRefused as exc:
        return 401, str(exc), None
    return 200, "logged in", session


def _with_session(request: Request, response: Response, session: str) -> Response:
    """The new session's cookie, and a new CSRF token with it (rotated at every login)."""
    rotate_csrf(request)
    response.set_cookie(SESSION_COOKIE, session, max_age=14 * 86400, **cookie_options(request))
    return response


@api.post("/login", summary="Log in: sets the session cookie")
def api_login(request: Request, credentials: Credentials) -> Response:
    status, message, session = _login(request, credentials.username, credentials.password)
    if session is None:
        headers = {"retry-after": RETRY_AFTER} if status == 429 else None
        return JSONResponse({"error": {"status": status, "message": message}}, status, headers=headers)
    request.state.viewer = request.app.state.archive.viewer_for_session(session)
    return _with_session(request, JSONResponse(_viewer_json(request)), session)


@api.post("/logout", summary="Log out: ends the session")
def api_logout(request: Request) -> Response:
    _end_session(request)
    response = JSONResponse({"user": None})
    response.delete_cookie(SESSION_COOKIE, **cookie_options(request))
    return response


@api.get("/me", summary="Who the request is made as")
def api_me(request: Request) -> dict[str, Any]:
    return _viewer_json(request)


@pages.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return page(request, "login.html", {"next": _local(next), "message": None})


@pages.post("/login", response_class=HTMLResponse, response_model=None)
def login_form(
    request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/")
) -> Response:
    status, message, session = (
        _login(request, username, password)
        if username and password
        else (401, "enter a user name and password", None)
    )
    if session is None:
        return page(
            request, "login.html", {"next": _local(next), "message": message, "username": username}, status
        )
    return _with_session(request, RedirectResponse(_local(next), status_code=303), session)


@pages.post("/logout", response_model=None)
def logout_form(request: Request) -> Response:
    _end_session(request)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, **cookie_options(request))
    return response


def _end_session(request: Request) -> None:
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        request.app.state.archive.logout(session, _ip(request))


def _local(target: str) -> str:
    """`target` when it is a path on this site, else "/" (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"

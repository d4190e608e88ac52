"""Page rendering shared by the views: the Jinja environment (autoescaped), URLs for
documents, entities and collections, and the archive behind the current request."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from chancery.archive import Archive
from chancery.citations import date_inferred, date_interval, display_date
from chancery.web.auth import csrf_token, current_viewer
from chancery.workspace.viewer import Viewer

TEMPLATES = Path(__file__).parent / "templates"


def doc_url(doc_id: str) -> str:
    return "/documents/" + quote(doc_id, safe="/:")


def entity_url(entity_id: str) -> str:
    return "/entities/" + quote(entity_id, safe="/:")


def collection_url(collection_id: str) -> str:
    return "/collections/" + quote(collection_id, safe="/:")


def search_url(q: str, **params: Any) -> str:
    query = {"q": q, **{k: v for k, v in params.items() if v not in (None, "", 0)}}
    return "/?" + urlencode(query)


def when(doc: dict[str, Any]) -> str:
    """A document's date for display ('July 1, 1945'; an interval without a date as 'April 16 –
    June 16, 1945 (inferred)'), or 'undated'."""
    text = display_date(doc)
    if text is None:
        return "undated"
    return f"{text} (inferred)" if date_inferred(doc) and date_interval(doc) else text


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(doc_url=doc_url, entity_url=entity_url, collection_url=collection_url)
    env.globals.update(search_url=search_url, when=when)
    return env


ENV = _environment()


def archive_of(request: Request) -> Archive:
    """The archive as the request's viewer sees it (private collections left out: see
    `Archive.for_viewer`)."""
    archive: Archive = request.app.state.archive
    return archive.for_viewer(current_viewer(request))


def page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """Render `template` with `context` (autoescaped) as an HTML response."""
    who = {"csrf": csrf_token(request), "auth": getattr(request.app.state, "auth", False)}
    if who["auth"]:
        try:
            who["viewer"] = current_viewer(request)
        except HTTPException:  # an error page for a bad token
            who["viewer"] = Viewer.anonymous()
    html = ENV.get_template(template).render(request=request, **(who | context))
    return HTMLResponse(html, status_code=status)

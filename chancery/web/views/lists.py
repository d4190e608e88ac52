"""Lists of documents and exports: the lists page, one list's page with its export links, the
"Add to list" posts from the reader and search hits, /api/lists, and /api/export of a search.

Writes are plain form posts (answered with a 303 back to a page) or JSON posts under /api/; the
viewer is `current_viewer(request)`. Also declares the template helpers the reader and search
pages use: `viewer_lists` (for the Add-to-list control) and `citation_meta` (the reader's
`citation_*` tags for Zotero)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException

from chancery.archive import Archive
from chancery.citations import (
    EXPORT_EXTENSIONS,
    EXPORT_FORMATS,
    EXPORT_LABELS,
    EXPORT_MEDIA_TYPES,
    highwire_tags,
)
from chancery.errors import ChanceryError, NotAllowed, NotFound, QueryError
from chancery.web.auth import csrf_token, current_viewer
from chancery.web.render import ENV, archive_of, doc_url, page

api = APIRouter()
pages = APIRouter()

FORMAT_PATTERN = "^(" + "|".join(EXPORT_FORMATS) + ")$"


def list_url(list_id: int | str) -> str:
    return f"/lists/{list_id}"


# -- template helpers ----------------------------------------------------------------------------
def viewer_lists(request: Request, doc_id: str | None = None) -> list[dict[str, Any]]:
    """The current viewer's lists (each with `has`: whether `doc_id` is on it); none for a viewer
    who cannot keep lists."""
    viewer = current_viewer(request)
    if not viewer.can_write:
        return []
    archive = archive_of(request)
    return archive.lists(viewer) if doc_id is None else archive.lists_holding(viewer, doc_id)


def citation_meta(doc: dict[str, Any], permalink: str | None) -> list[tuple[str, str]]:
    return highwire_tags(doc, permalink)


ENV.globals.update(viewer_lists=viewer_lists, citation_meta=citation_meta, csrf_token=csrf_token)
ENV.globals.update(list_url=list_url, export_labels=EXPORT_LABELS)


# -- helpers -------------------------------------------------------------------------------------
def _acting(call: Callable[[], Any]) -> Any:
    """Run a workspace call, mapping a refused or malformed request to 403 / 400."""
    try:
        return call()
    except (NotFound, QueryError):
        raise
    except NotAllowed as exc:
        raise HTTPException(403, str(exc)) from exc
    except ChanceryError as exc:
        raise HTTPException(400, str(exc)) from exc


def _safe_next(target: str | None, fallback: str) -> str:
    """A local path to go back to (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:60] or "list"


def _permalinks(request: Request) -> Callable[[str], str | None]:
    base = request.app.state.base_url
    return lambda doc_id: base + doc_url(doc_id)


def _download(chunks: Iterator[str], format: str, stem: str) -> StreamingResponse:
    """A streamed download; the first chunk is made before answering, so a bad query is a 400."""
    first = next(chunks, "")
    name = f"{stem}.{EXPORT_EXTENSIONS[format]}"
    return StreamingResponse(
        (chunk.encode() for chunk in chain([first], chunks)),
        media_type=EXPORT_MEDIA_TYPES[format] + "; charset=utf-8",
        headers={"content-disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"},
    )


def list_export(request: Request, list_id: int, format: str) -> StreamingResponse:
    archive: Archive = archive_of(request)
    viewer = current_viewer(request)
    data = archive.list_contents(viewer, list_id)
    chunks = archive.export_as(format, list_ref=list_id, viewer=viewer, permalink=_permalinks(request))
    return _download(chunks, format, _slug(data["name"]))


# -- JSON API ------------------------------------------------------------------------------------
@api.get("/lists", summary="The lists you may see")
def api_lists(request: Request) -> dict[str, Any]:
    return {"lists": archive_of(request).lists(current_viewer(request))}


@api.post("/lists", summary="Make a list", status_code=201)
def api_create_list(
    request: Request,
    name: str = Body(..., embed=True, max_length=200),
    group: str | None = Body(None, embed=True),
) -> dict[str, Any]:
    archive, viewer = archive_of(request), current_viewer(request)
    return dict(_acting(lambda: archive.create_list(viewer, name, group)))


@api.get("/lists/{list_id}", summary="One list with its documents in order")
def api_list(request: Request, list_id: int) -> dict[str, Any]:
    return archive_of(request).list_contents(current_viewer(request), list_id)


@api.post("/lists/{list_id}/items", summary="Add documents to a list")
def api_add_items(
    request: Request, list_id: int, doc_ids: list[str] = Body(..., embed=True, max_length=5000)
) -> dict[str, Any]:
    archive, viewer = archive_of(request), current_viewer(request)
    return dict(_acting(lambda: archive.add_to_list(viewer, list_id, doc_ids)))


@api.delete("/lists/{list_id}/items/{doc_id:path}", summary="Take a document off a list")
def api_remove_item(request: Request, list_id: int, doc_id: str) -> dict[str, Any]:
    archive, viewer = archive_of(request), current_viewer(request)
    removed = _acting(lambda: archive.remove_from_list(viewer, list_id, [doc_id]))
    return {"removed": removed}


@api.delete("/lists/{list_id}", summary="Delete a list", status_code=204, response_class=Response)
def api_delete_list(request: Request, list_id: int) -> Response:
    archive, viewer = archive_of(request), current_viewer(request)
    _acting(lambda: archive.delete_list(viewer, list_id))
    return Response(status_code=204)


@api.get("/lists/{list_id}/export", summary="A list's documents as CSV, JSON Lines, BibTeX, CSL-JSON or RIS")
def api_list_export(
    request: Request, list_id: int, format: str = Query("ris", pattern=FORMAT_PATTERN)
) -> StreamingResponse:
    return list_export(request, list_id, format)


@api.get("/export", summary="A search's matches (or everything) as CSV, JSON Lines, BibTeX, CSL-JSON or RIS")
def api_export(
    request: Request,
    q: str = Query("", max_length=2000),
    format: str = Query("jsonl", pattern=FORMAT_PATTERN),
) -> StreamingResponse:
    chunks = archive_of(request).export_as(format, query=q or None, permalink=_permalinks(request))
    return _download(chunks, format, _slug(q) if q else "chancery")


# -- pages ---------------------------------------------------------------------------------------
@pages.get("/lists", response_class=HTMLResponse)
def lists_page(request: Request) -> HTMLResponse:
    viewer = current_viewer(request)
    found = archive_of(request).lists(viewer)
    return page(request, "lists.html", {"lists": found, "can_write": viewer.can_write})


@pages.post("/lists", response_class=RedirectResponse)
def create_list_form(request: Request, name: str = Form(..., max_length=200)) -> RedirectResponse:
    archive, viewer = archive_of(request), current_viewer(request)
    data = _acting(lambda: archive.create_list(viewer, name))
    return RedirectResponse(list_url(data["id"]), status_code=303)


@pages.post("/lists/add", response_class=RedirectResponse)
def add_form(
    request: Request,
    doc_id: str = Form(...),
    list_id: str = Form(""),
    new_list: str = Form("", max_length=200),
    next: str = Form(""),
) -> RedirectResponse:
    """The Add-to-list control: onto a chosen list, or a new one named in `new_list`."""
    archive, viewer = archive_of(request), current_viewer(request)
    if new_list.strip():
        data = _acting(lambda: archive.add_to_list(viewer, new_list, [doc_id], create=True))
    elif list_id.isdigit():
        data = _acting(lambda: archive.add_to_list(viewer, int(list_id), [doc_id]))
    else:
        raise HTTPException(400, "choose a list or name a new one")
    back = _safe_next(next, doc_url(doc_id))
    joiner = "&" if "?" in back.split("#")[0] else "?"
    path, _, fragment = back.partition("#")
    return RedirectResponse(
        f"{path}{joiner}listed={data['id']}" + (f"#{fragment}" if fragment else ""), status_code=303
    )


@pages.get("/lists/{list_id}", response_class=HTMLResponse)
def list_page(request: Request, list_id: int) -> HTMLResponse:
    viewer = current_viewer(request)
    data = archive_of(request).list_contents(viewer, list_id)
    return page(
        request, "lists_one.html", {"list": data, "formats": EXPORT_FORMATS, "can_write": viewer.can_write}
    )


@pages.post("/lists/{list_id}/remove", response_class=RedirectResponse)
def remove_form(request: Request, list_id: int, doc_id: str = Form(...)) -> RedirectResponse:
    archive, viewer = archive_of(request), current_viewer(request)
    _acting(lambda: archive.remove_from_list(viewer, list_id, [doc_id]))
    return RedirectResponse(list_url(list_id), status_code=303)


@pages.post("/lists/{list_id}/delete", response_class=RedirectResponse)
def delete_form(request: Request, list_id: int) -> RedirectResponse:
    archive, viewer = archive_of(request), current_viewer(request)
    _acting(lambda: archive.delete_list(viewer, list_id))
    return RedirectResponse("/lists", status_code=303)


@pages.get("/lists/{list_id}/export")
def list_export_page(
    request: Request, list_id: int, format: str = Query("ris", pattern=FORMAT_PATTERN)
) -> StreamingResponse:
    return list_export(request, list_id, format)

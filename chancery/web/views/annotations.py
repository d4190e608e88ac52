"""Stars, tags and notes in the reader and their JSON API: the viewer's own and shared annotations
of a document as a W3C Web Annotation collection; adding (JSON POST), deleting, starring.

Writes come as `fetch` POST/DELETE with JSON; the CSRF check (issue 14, accounts) is central."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, Response

from chancery.archive import Archive
from chancery.model import Document
from chancery.web.auth import current_viewer
from chancery.web.render import archive_of, doc_url

api = APIRouter()
pages = APIRouter()

JSONLD = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
KINDS = ("note", "tag")  # what the API adds; stars go through the toggle


def collection_json(request: Request, doc_id: str) -> dict[str, Any]:
    """The annotations the viewer sees on `doc_id` as a W3C AnnotationCollection (one page)."""
    url = request.app.state.base_url + doc_url(doc_id)
    items = [a.to_jsonld(url) for a in archive_of(request).annotations.of(current_viewer(request), doc_id)]
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": f"{request.app.state.base_url}/api{doc_url(doc_id)}/annotations",
        "type": "AnnotationCollection",
        "total": len(items),
        "first": {"type": "AnnotationPage", "items": items},
    }


def reader_annotations(request: Request, archive: Archive, doc: Document) -> dict[str, Any]:
    """What the reader shows of the viewer's workspace: annotations, star, whether they may write."""
    viewer = current_viewer(request)
    found = archive.annotations.of(viewer, doc.id)
    return {
        "annotations": [a.to_dict() for a in found if a.kind != "star"],
        "starred": any(a.kind == "star" and a.creator == viewer.name for a in found),
        "can_annotate": viewer.can_write,
        "viewer_name": viewer.name,
        "viewer_groups": sorted(viewer.groups),
    }


@api.get("/documents/{doc_id:path}/annotations", summary="Stars, tags and notes on a document (W3C JSON-LD)")
def api_annotations(request: Request, doc_id: str) -> Response:
    archive_of(request).document(doc_id)  # 404 for an unknown document
    return JSONResponse(collection_json(request, doc_id), media_type=JSONLD)


@api.post("/documents/{doc_id:path}/annotations", summary="Add a note or tag to a document or passage")
def api_annotate(
    request: Request,
    doc_id: str,
    payload: dict[str, Any] = Body(
        ...,
        examples=[{"kind": "note", "value": "Compare with the draft", "quote": "treaty draft", "start": 120}],
    ),
) -> Response:
    """`kind` note|tag, `value` its text, and for a passage `quote` and/or `start`, `end` (offsets
    in the document's text); `shared_with` a group of the viewer's (else private)."""
    archive = archive_of(request)
    archive.document(doc_id)  # 404 for an unknown document, or one hidden from this viewer
    kind = payload.get("kind", "note")
    if kind not in KINDS:
        return _bad(f"kind must be one of {', '.join(KINDS)}")
    where = {k: payload.get(k) for k in ("quote", "start", "end", "shared_with")}
    if not all(isinstance(where[k], int | None) for k in ("start", "end")):
        return _bad("start and end are character offsets (integers)")
    if not all(isinstance(where[k], str | None) for k in ("quote", "shared_with")):
        return _bad("quote and shared_with are strings")
    value = payload.get("value")
    if not isinstance(value, str):
        return _bad("value (the note's text or the tag) is required")
    try:
        made = archive.annotations.add(current_viewer(request), doc_id, kind, value, **where)
    except ValueError as exc:
        return _bad(str(exc))
    url = request.app.state.base_url + doc_url(doc_id)
    return JSONResponse(made.to_jsonld(url), status_code=201, media_type=JSONLD)


@api.delete(
    "/documents/{doc_id:path}/annotations/{annotation_id}",
    summary="Delete one of your annotations",
    status_code=204,
    response_class=Response,
)
def api_delete(request: Request, doc_id: str, annotation_id: str) -> Response:
    archive_of(request).document(doc_id)  # 404 for an unknown or hidden document
    archive_of(request).annotations.remove(current_viewer(request), doc_id, annotation_id)
    return Response(status_code=204)


@api.post("/documents/{doc_id:path}/star", summary="Star or unstar a document (toggle)")
def api_star(request: Request, doc_id: str) -> dict[str, Any]:
    archive_of(request).document(doc_id)  # 404 for an unknown or hidden document
    return {"id": doc_id, "starred": archive_of(request).annotations.star(current_viewer(request), doc_id)}


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": {"status": 400, "message": message}}, status_code=400)

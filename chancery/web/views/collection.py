"""Collection pages and /api/collections: the list of volumes and record groups, and one
collection with its coverage dates, document count and table of contents by chapter."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from chancery.archive import Archive
from chancery.web.coverage import with_coverage
from chancery.web.render import archive_of, page

api = APIRouter()
pages = APIRouter()


def collection_data(archive: Archive, collection_id: str) -> dict[str, Any]:
    """The collection's record with its table of contents, document count and coverage."""
    collection = archive.collection(collection_id)
    toc = archive.table_of_contents(collection)
    counts = {c.id: c.document_count for c in archive.collections()}
    listed = {d["id"] for entry in toc for d in entry["documents"] if not d.get("missing")}
    record = with_coverage(archive, collection.to_dict())
    return record | {"toc": toc, "document_count": counts.get(collection_id) or len(listed)}


def collections_data(archive: Archive) -> list[dict[str, Any]]:
    return [
        with_coverage(
            archive,
            {
                "id": c.id,
                "title": c.title,
                "archive": c.archive,
                "coverage": c.coverage,
                "document_count": c.document_count,
            },
        )
        for c in archive.collections()
    ]


@api.get("/collections", summary="All collections (volumes and record groups)")
async def api_collections(request: Request) -> dict[str, Any]:
    return {"collections": collections_data(archive_of(request))}


@api.get("/collections/{collection_id:path}", summary="One collection with coverage and contents")
async def api_collection(request: Request, collection_id: str) -> dict[str, Any]:
    return collection_data(archive_of(request), collection_id)


@pages.get("/collections", response_class=HTMLResponse)
async def collections_page(request: Request) -> HTMLResponse:
    return page(request, "collections.html", {"collections": collections_data(archive_of(request))})


@pages.get("/collections/{collection_id:path}", response_class=HTMLResponse)
async def collection_page(request: Request, collection_id: str) -> HTMLResponse:
    return page(
        request, "collection.html", {"collection": collection_data(archive_of(request), collection_id)}
    )

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


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("id", "title", "date", "doc_type", "n")}


def table_of_contents(archive: Archive, collection: dict[str, Any]) -> list[dict[str, Any]]:
    """The collection's `toc` with each entry's documents ({id, title, date, doc_type, n}).

    Without a `toc`, one entry per chapter in reading order (or a single untitled entry).
    """
    toc = collection.get("toc") or []
    if toc:
        ids = [doc_id for entry in toc for doc_id in entry.get("document_ids") or []]
        found = {d["id"]: _summary(d) for d in archive.store.documents(ids)}
        return [
            {
                "title": entry.get("title"),
                "level": entry.get("level") or 1,
                "documents": [
                    found.get(i) or {"id": i, "missing": True} for i in entry.get("document_ids") or []
                ],
            }
            for entry in toc
        ]
    chapters: list[dict[str, Any]] = []
    for doc in archive.documents(collection["id"]):
        if not chapters or chapters[-1]["title"] != doc.get("chapter"):
            chapters.append({"title": doc.get("chapter"), "level": 1, "documents": []})
        chapters[-1]["documents"].append(_summary(doc))
    return chapters


def collection_data(archive: Archive, collection_id: str) -> dict[str, Any]:
    collection = with_coverage(archive, dict(archive.collection(collection_id)))
    toc = table_of_contents(archive, collection)
    collection["toc"] = toc
    counts = {c["id"]: c.get("document_count") for c in archive.collections()}
    listed = {d["id"] for entry in toc for d in entry["documents"] if not d.get("missing")}
    collection["document_count"] = counts.get(collection_id) or len(listed)
    return collection


def collections_data(archive: Archive) -> list[dict[str, Any]]:
    return [
        {k: c.get(k) for k in ("id", "title", "archive", "coverage", "document_count")}
        for c in (with_coverage(archive, c) for c in archive.collections())
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

"""The document reader and its JSON twins: the export contract, related documents and
citations. The reader lays out text with page and footnote markers at their offsets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from chancery.archive import Archive
from chancery.citations import FORMATS, all_citations, cite, csl_json
from chancery.web.render import archive_of, doc_url, page

api = APIRouter()
pages = APIRouter()

CITE_MEDIA = {
    "bibtex": "application/x-bibtex",
    "ris": "application/x-research-info-systems",
}


def layout_text(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The text as segments: text runs, page markers, footnote markers and entity mentions.

    Markers are points at character offsets; a mention becomes a link unless a marker falls
    inside it or it overlaps an earlier mention.
    """
    text = doc.get("text") or ""
    size = len(text)
    points: list[tuple[int, int, dict[str, Any]]] = []
    for page_ in doc.get("pages") or []:
        at = min(max(int(page_.get("offset") or 0), 0), size)
        points.append((at, 0, {"kind": "page", "n": str(page_.get("n"))}))
    for i, note in enumerate(doc.get("footnotes") or []):
        at = min(max(int(note.get("offset") or 0), 0), size)
        points.append(
            (at, 1, {"kind": "footnote", "n": str(note.get("n")), "text": note.get("text"), "i": i})
        )
    points.sort(key=lambda p: (p[0], p[1]))
    marker_offsets = sorted({p[0] for p in points})

    spans: list[dict[str, Any]] = []
    last_end = 0
    mentions = sorted(doc.get("mentions") or [], key=lambda m: (m.get("start", 0), -m.get("end", 0)))
    for mention in mentions:
        start, end = int(mention.get("start") or 0), int(mention.get("end") or 0)
        if not mention.get("entity_id") or start < last_end or not 0 <= start < end <= size:
            continue
        if any(start < at < end for at in marker_offsets):
            continue
        spans.append({**mention, "start": start, "end": end})
        last_end = end

    segments: list[dict[str, Any]] = []
    cursor, p, s = 0, 0, 0
    while cursor < size or p < len(points):
        next_point = points[p][0] if p < len(points) else size + 1
        next_span = spans[s]["start"] if s < len(spans) else size + 1
        if next_point <= cursor:
            segments.append(points[p][2])
            p += 1
        elif next_span <= cursor:
            span = spans[s]
            segments.append(
                {
                    "kind": "mention",
                    "text": text[span["start"] : span["end"]],
                    "entity_id": span["entity_id"],
                    "type": span.get("type"),
                    "title": span.get("entity_name"),
                }
            )
            cursor, s = span["end"], s + 1
        else:
            stop = min(next_point, next_span, size)
            segments.append({"kind": "text", "text": text[cursor:stop]})
            cursor = stop
    return segments


def related_documents(archive: Archive, doc_id: str) -> list[dict[str, Any]] | None:
    """`archive.related(id)` as a list of hits, or None when the archive cannot relate yet."""
    related = getattr(archive, "related", None)
    if related is None:
        return None
    found = related(doc_id)
    if isinstance(found, dict):
        found = found.get("related") or found.get("hits") or found.get("documents") or []
    items = [dict(item) if isinstance(item, dict) else {"id": str(item)} for item in found or []]
    for item in items:  # summary shapes differ: dates and collections may come as plain strings
        if isinstance(item.get("date"), str):
            item["date"] = {"when": item["date"]}
        if isinstance(item.get("collection"), str):
            item["collection"] = {"id": item["collection"], "title": None}
        if isinstance(item.get("why"), str):
            item["why"] = [item["why"]]
    return items


def references_with_targets(archive: Archive, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's references, each with `target` (id, title) when it is in the archive."""
    refs = [dict(r) for r in doc.get("references") or []]
    targets = {
        d["id"]: d for d in archive.store.documents({r["target_id"] for r in refs if r.get("target_id")})
    }
    for ref in refs:
        found = targets.get(ref.get("target_id") or "")
        ref["in_archive"] = found is not None
        ref["target_title"] = found.get("title") if found else None
    return refs


def cited_by(archive: Archive, doc_id: str) -> list[dict[str, Any]]:
    """Documents whose references resolve to this one (incoming links)."""
    links = archive.store.links_to(doc_id)
    sources = {d["id"]: d for d in archive.store.documents({link["src"] for link in links})}
    return [
        {"id": link["src"], "kind": link["kind"], "title": (sources.get(link["src"]) or {}).get("title")}
        for link in links
    ]


def reader_context(archive: Archive, doc: dict[str, Any], permalink: str) -> dict[str, Any]:
    """Everything the reader page shows beyond the export contract (related documents are a
    separate page, fetched in place by JS: finding them costs more than the rest of the page)."""
    collection_id = (doc.get("collection") or {}).get("id")
    return {
        "doc": doc,
        "segments": layout_text(doc),
        "references": references_with_targets(archive, doc),
        "cited_by": cited_by(archive, doc["id"]),
        "can_relate": hasattr(archive, "related"),
        "citations": all_citations(doc, permalink),
        "permalink": permalink,
        "collection_id": collection_id,
    }


@api.get("/documents/{doc_id:path}/cite", summary="Cite a document", response_model=None)
async def api_cite(
    request: Request,
    doc_id: str,
    format: str = Query("chicago", pattern="^(" + "|".join(FORMATS) + ")$"),
) -> Response:
    doc = archive_of(request).document(doc_id)
    permalink = str(request.base_url).rstrip("/") + doc_url(doc_id)
    if format == "csl-json":
        return JSONResponse([csl_json(doc, permalink)])
    media = CITE_MEDIA.get(format, "text/plain")
    return PlainTextResponse(cite(doc, format, permalink), media_type=f"{media}; charset=utf-8")


@api.get("/documents/{doc_id:path}/related", summary="Related documents across archives")
async def api_related(request: Request, doc_id: str) -> dict[str, Any]:
    archive = archive_of(request)
    archive.document(doc_id)
    related = related_documents(archive, doc_id)
    if related is None:
        raise HTTPException(501, "related documents are not available in this version of the archive")
    return {"id": doc_id, "related": related}


@api.get("/documents/{doc_id:path}", summary="One document (the export contract)")
async def api_document(request: Request, doc_id: str) -> dict[str, Any]:
    return archive_of(request).document(doc_id)


@pages.get("/documents/{doc_id:path}/related", response_class=HTMLResponse)
async def related_page(request: Request, doc_id: str) -> HTMLResponse:
    archive = archive_of(request)
    doc = archive.document(doc_id)
    return page(request, "related.html", {"doc": doc, "related": related_documents(archive, doc_id)})


@pages.get("/documents/{doc_id:path}", response_class=HTMLResponse)
async def document_page(request: Request, doc_id: str) -> HTMLResponse:
    archive = archive_of(request)
    doc = archive.document(doc_id)
    permalink = str(request.base_url).rstrip("/") + doc_url(doc_id)
    return page(request, "document.html", reader_context(archive, doc, permalink))

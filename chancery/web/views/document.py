"""The document reader and its JSON twins: the export contract, related documents and
citations. The reader lays out text with page and footnote markers at their offsets, and shows
a scan's or PDF's page images beside the text (each page marker links to its image, each image
back to its place in the text); the original file can be downloaded."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import asdict, replace
from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from chancery.archive import Archive
from chancery.citations import FORMATS
from chancery.model import Document, Mention
from chancery.web.render import archive_of, doc_url, page
from chancery.web.views.annotations import reader_annotations

api = APIRouter()
pages = APIRouter()

PAGE_IMAGES = "/page-images/"  # + a page's `image` or `thumbnail` name (immutable: named by hash)
CITE_MEDIA = {
    "bibtex": "application/x-bibtex",
    "ris": "application/x-research-info-systems",
}


def layout_text(doc: Document) -> list[dict[str, Any]]:
    """The text as segments: text runs, page markers, footnote markers and entity mentions.

    Markers are points at character offsets; a mention becomes a link unless a marker falls
    inside it or it overlaps an earlier mention.
    """
    text = doc.text
    size = len(text)
    points: list[tuple[int, int, dict[str, Any]]] = []
    for page_ in doc.pages:
        at = min(max(int(page_.offset or 0), 0), size)
        image = PAGE_IMAGES + page_.image if page_.image else None
        points.append((at, 0, {"kind": "page", "n": str(page_.n), "image": image}))
    for i, note in enumerate(doc.footnotes):
        at = min(max(int(note.offset or 0), 0), size)
        points.append((at, 1, {"kind": "footnote", "n": str(note.n), "text": note.text, "i": i}))
    points.sort(key=lambda p: (p[0], p[1]))
    marker_offsets = sorted({p[0] for p in points})

    spans: list[Mention] = []
    last_end = 0
    for mention in sorted(doc.mentions, key=lambda m: (m.start or 0, -(m.end or 0))):
        start, end = int(mention.start or 0), int(mention.end or 0)
        if not mention.entity_id or start < last_end or not 0 <= start < end <= size:
            continue
        if any(start < at < end for at in marker_offsets):
            continue
        spans.append(replace(mention, start=start, end=end))
        last_end = end

    segments: list[dict[str, Any]] = []
    cursor, p, s = 0, 0, 0
    while cursor < size or p < len(points):
        next_point = points[p][0] if p < len(points) else size + 1
        next_span = spans[s].start if s < len(spans) else size + 1
        if next_point <= cursor:
            segments.append(points[p][2])
            p += 1
        elif next_span <= cursor:
            span = spans[s]
            segments.append(
                {
                    "kind": "mention",
                    "text": text[span.start : span.end],
                    "entity_id": span.entity_id,
                    "type": span.type,
                    "title": span.entity_name,
                }
            )
            cursor, s = span.end, s + 1
        else:
            stop = min(next_point, next_span, size)
            segments.append({"kind": "text", "text": text[cursor:stop]})
            cursor = stop
    return segments


def page_images(doc: Document) -> list[dict[str, str]]:
    """The pages that have images: {n, image, thumbnail} with URLs, in page order."""
    return [
        {"n": str(p.n), "image": PAGE_IMAGES + p.image, "thumbnail": PAGE_IMAGES + (p.thumbnail or p.image)}
        for p in doc.pages
        if p.image
    ]


def page_of(doc: Document, passage: str) -> str | None:
    """The page on which `passage` (a search hit's snippet text, from its first match) starts."""
    words = re.findall(r"\w+", passage)[:12]
    if not words or not doc.pages:
        return None
    found = None
    for count in (len(words), 1):  # the passage as a whole, else its first (matched) word
        pattern = r"\W+".join(re.escape(w) for w in words[:count])
        found = re.search(pattern, doc.text, re.IGNORECASE)
        if found:
            break
    if found is None:
        return None
    starts = [p for p in doc.pages if int(p.offset or 0) <= found.start()]
    return str((starts[-1] if starts else doc.pages[0]).n)


def related_documents(archive: Archive, doc_id: str) -> list[dict[str, Any]]:
    """`archive.related(id)` shaped as the pages and the API show it: the date as {when}, the
    collection as {id, title}."""
    return [
        {
            **hit,
            "date": None if hit["date"] is None else {"when": hit["date"]},
            "collection": None if hit["collection"] is None else {"id": hit["collection"], "title": None},
        }
        for hit in archive.related(doc_id)
    ]


def references_with_targets(archive: Archive, doc: Document) -> list[dict[str, Any]]:
    """The document's references, each with `in_archive` and `target_title` (the target's title)."""
    titles = archive.titles(r.target_id for r in doc.references if r.target_id)
    return [
        {
            **asdict(ref),
            "in_archive": (ref.target_id or "") in titles,
            "target_title": titles.get(ref.target_id or ""),
        }
        for ref in doc.references
    ]


def reader_context(archive: Archive, doc: Document, permalink: str) -> dict[str, Any]:
    """Everything the reader page shows beyond the export contract (related documents are a
    separate page, fetched in place by JS: finding them costs more than the rest of the page)."""
    return {
        "doc": doc.to_dict(),
        "segments": layout_text(doc),
        "references": references_with_targets(archive, doc),
        "cited_by": archive.cited_by(doc.id),
        "citations": archive.citations(doc.id, permalink),
        "permalink": permalink,
        "collection_id": doc.collection.id,
        "page_images": page_images(doc),
    }


@api.get("/documents/{doc_id:path}/cite", summary="Cite a document", response_model=None)
def api_cite(
    request: Request,
    doc_id: str,
    format: str = Query("chicago", pattern="^(" + "|".join(FORMATS) + ")$"),
) -> Response:
    permalink = request.app.state.base_url + doc_url(doc_id)
    citation = archive_of(request).cite(doc_id, format, permalink)
    if format == "csl-json":
        return JSONResponse(orjson.loads(citation))
    media = CITE_MEDIA.get(format, "text/plain")
    return PlainTextResponse(citation, media_type=f"{media}; charset=utf-8")


@api.get("/documents/{doc_id:path}/related", summary="Related documents across archives")
def api_related(request: Request, doc_id: str) -> dict[str, Any]:
    return {"id": doc_id, "related": related_documents(archive_of(request), doc_id)}


@api.get("/documents/{doc_id:path}", summary="One document (the export contract)")
def api_document(request: Request, doc_id: str) -> dict[str, Any]:
    return archive_of(request).document(doc_id).to_dict()


@pages.get("/documents/{doc_id:path}/related", response_class=HTMLResponse)
def related_page(request: Request, doc_id: str) -> HTMLResponse:
    archive = archive_of(request)
    doc = archive.document(doc_id)
    return page(
        request, "related.html", {"doc": doc.to_dict(), "related": related_documents(archive, doc_id)}
    )


@pages.get("/page-images/{sha}/{name}", response_class=FileResponse)
def page_image(request: Request, sha: str, name: str) -> FileResponse:
    path = archive_of(request).page_image(sha, name)
    return FileResponse(
        path, media_type="image/webp", headers={"cache-control": "public, max-age=31536000, immutable"}
    )


@pages.get("/documents/{doc_id:path}/original", response_class=FileResponse)
def original_file(request: Request, doc_id: str) -> FileResponse:
    """The file the document was read from, as a download under its own name."""
    path, name = archive_of(request).original(doc_id)
    media = mimetypes.guess_type(name)[0] or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, filename=name)


@pages.get("/documents/{doc_id:path}", response_class=HTMLResponse, response_model=None)
def document_page(request: Request, doc_id: str, hit: str | None = None) -> Response:
    """The reader; `?hit=` (a search hit's text) redirects to the page where that text is."""
    archive = archive_of(request)
    doc = archive.document(doc_id)
    n = page_of(doc, hit) if hit else None
    if n is not None:
        return RedirectResponse(f"{doc_url(doc_id)}#page-{n}", status_code=303)
    permalink = request.app.state.base_url + doc_url(doc_id)
    context = reader_context(archive, doc, permalink) | reader_annotations(request, archive, doc)
    return page(request, "document.html", context)

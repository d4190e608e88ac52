"""Entity pages and /api/entities: a person, place or organisation with names, offices, its
documents by year and its correspondents drawn as a small server-side SVG network."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chancery.archive import Archive
from chancery.citations import date_parts
from chancery.web.auth import current_viewer
from chancery.web.render import archive_of, entity_url, page
from chancery.web.views.search import run_search

api = APIRouter()
pages = APIRouter()

# entity type -> the query-language field over its mentions (`field:ID` finds the entity by id)
QUERY_FIELD = {"person": "person", "place": "place", "organization": "org"}
DOCUMENT_CAP = 500
_QUERY_WORD = re.compile(r'[^\s()"*]+')  # an id the query language reads as one word


def find_entity(archive: Archive, entity_id: str) -> dict[str, Any]:
    """The entity record as a dict (a copy: the view adds to it); NotFound for an unknown id."""
    return archive.entity(entity_id).to_dict()


def entity_queries(entity: dict[str, Any]) -> list[str]:
    """Queries that find the entity's documents, surest first."""
    field = QUERY_FIELD.get(entity.get("type") or "", "person")
    name = (entity.get("name") or "").split(",")[0].replace('"', "").strip()
    queries = [f"{field}:{entity['id']}"] if _QUERY_WORD.fullmatch(entity["id"]) else []
    if name:
        queries += [f'{field}:"{name}"', f'"{name}"']
    return queries


def entity_documents(
    archive: Archive, entity: dict[str, Any], limit: int
) -> tuple[list[dict[str, Any]], int, str]:
    """Documents of the entity: (hits, total, the query that found them)."""
    for query in entity_queries(entity):
        result = run_search(archive, query, limit=limit, sort="date", facets=False)
        if result["total"]:
            return result["hits"], int(result["total"]), query
    return [], 0, ""


def _involves(party: dict[str, Any], entity: dict[str, Any]) -> bool:
    if party.get("entity_id"):
        return party["entity_id"] == entity["id"]
    surname = (entity.get("name") or "").split(",")[0].strip().lower()
    return bool(surname) and surname in (party.get("name") or "").lower()


def correspondents(entity: dict[str, Any], docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who wrote to or was written to by the entity, with document counts."""
    counts: Counter[tuple[str, str | None]] = Counter()
    for doc in docs:
        senders, recipients = doc.get("senders") or [], doc.get("recipients") or []
        if any(_involves(p, entity) for p in senders):
            counts.update((p.get("name") or "?", p.get("entity_id")) for p in recipients)
        if any(_involves(p, entity) for p in recipients):
            counts.update((p.get("name") or "?", p.get("entity_id")) for p in senders)
    return [
        {"name": name, "entity_id": entity_id, "count": n}
        for (name, entity_id), n in counts.most_common(12)
        if not (entity_id and entity_id == entity["id"])
    ]


def network_svg_layout(name: str, others: list[dict[str, Any]], size: int = 360) -> dict[str, Any]:
    """Positions for a star network: the entity in the middle, correspondents on a circle."""
    centre = size / 2
    radius = size / 2 - 70
    peak = max((o["count"] for o in others), default=1)
    nodes = []
    for i, other in enumerate(others):
        angle = 2 * math.pi * i / max(len(others), 1) - math.pi / 2
        x, y = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
        anchor = "start" if math.cos(angle) > 0.2 else "end" if math.cos(angle) < -0.2 else "middle"
        nodes.append(
            {
                **other,
                "x": round(x, 1),
                "y": round(y, 1),
                "width": round(1 + 5 * other["count"] / peak, 1),
                "label_x": round(x + 10 * math.cos(angle), 1),
                "label_y": round(y + 14 * math.sin(angle) + 4, 1),
                "anchor": anchor,
                "label": other["name"] if len(other["name"]) <= 28 else other["name"][:27] + "…",
            }
        )
    return {"size": size, "centre": centre, "name": name, "nodes": nodes}


def by_year(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    years = Counter(parts[0] for d in docs if (parts := date_parts(d)))  # an interval: its one year
    peak = max(years.values(), default=0)
    return [{"year": y, "count": n, "height": round(100 * n / peak)} for y, n in sorted(years.items())]


def entity_data(archive: Archive, entity_id: str, limit: int = DOCUMENT_CAP) -> dict[str, Any]:
    entity = find_entity(archive, entity_id)
    docs, total, query = entity_documents(archive, entity, limit)
    return {
        "entity": entity,
        "documents": docs,
        "total": total,
        "query": query,
        "years": by_year(docs),
        "correspondents": correspondents(entity, docs),
    }


@api.get("/entities/{entity_id:path}", summary="A person, place or organisation with its documents")
def api_entity(
    request: Request, entity_id: str, limit: int = Query(100, ge=1, le=DOCUMENT_CAP)
) -> dict[str, Any]:
    archive = archive_of(request)
    data = entity_data(archive, entity_id, limit)
    data.pop("years")
    data["judgments"] = [j.to_dict() for j in archive.entity_judgments(data["entity"]["id"])]
    return data


@pages.get("/entities/{entity_id:path}", response_class=HTMLResponse)
def entity_page(request: Request, entity_id: str) -> Response:
    archive = archive_of(request)
    data = entity_data(archive, entity_id)
    if data["entity"]["id"] != entity_id:  # merged into another entity: its page
        return RedirectResponse(entity_url(data["entity"]["id"]), status_code=301)
    data["network"] = network_svg_layout(data["entity"]["name"], data["correspondents"])
    data.update(review_data(request, archive, entity_id))
    return page(request, "entity.html", data)


# -- workspace: review -- (what was judged, and the controls; views/review.py takes the posts)
REVIEW_MENTIONS = 100


def review_data(request: Request, archive: Archive, entity_id: str) -> dict[str, Any]:
    """The entity page's review parts: judgments naming it, its mentions, may the viewer judge."""
    return {
        "judgments": [j.to_dict() for j in archive.entity_judgments(entity_id)],
        "mentions": archive.entity_mentions(entity_id, REVIEW_MENTIONS),
        "can_write": current_viewer(request).can_write,
    }

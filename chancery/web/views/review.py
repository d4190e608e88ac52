"""Entity review over HTTP: /api/review/... merges and splits entities, rejects, confirms or sets
the entity of a mention, undoes a judgment, lists judgments and finds entities to pick. Writes
need a viewer who may write (`Viewer.can_write`); the entity page's merge and mention controls
call these with fetch (review.js), its split and undo controls are plain forms (POST /review/...,
with the CSRF field, then to the new entity's page or back)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from chancery.errors import JudgmentError
from chancery.web.auth import current_viewer
from chancery.web.render import archive_of, entity_url

api = APIRouter()
pages = APIRouter()


class MergeRequest(BaseModel):
    keep: str = Field(description="The entity that stays")
    fold: str = Field(description="The entity folded into `keep` (its id then leads to `keep`)")
    note: str | None = None


class SplitRequest(BaseModel):
    entity_id: str
    names: list[str] | str = Field(description='Spellings to move: a list, or "N1,N2"')
    note: str | None = None


class MentionRequest(BaseModel):
    kind: str = Field(description="reject | confirm | set")
    doc_id: str
    mention: str | None = Field(None, description='"TEXT", "TEXT@START" or "START:END"')
    start: int | None = None
    end: int | None = None
    entity_id: str | None = Field(None, description="The entity the mention names (for set)")
    note: str | None = None


def _judging(request: Request, judge: Any) -> Any:
    viewer = current_viewer(request)
    if not viewer.can_write:
        raise HTTPException(403, "judging entities needs an account that may write")
    try:
        return judge(archive_of(request), viewer)
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from exc
    except JudgmentError as exc:
        raise HTTPException(400, str(exc)) from exc


@api.post("/review/merge", summary="Merge one entity into another")
def api_merge(request: Request, body: MergeRequest) -> dict[str, Any]:
    made = _judging(request, lambda a, v: a.merge_entities(v, body.keep, body.fold, body.note))
    return {"judgment": made.to_dict(), "url": entity_url(made.target)}


@api.post("/review/split", summary="Split names off an entity into a new one")
def api_split(request: Request, body: SplitRequest) -> dict[str, Any]:
    made = _judging(request, lambda a, v: a.split_entity(v, body.entity_id, body.names, body.note))
    return {"judgment": made.to_dict(), "url": entity_url(made.target)}


@api.post("/review/mention", summary="Reject, confirm or set the entity of a mention")
def api_mention(request: Request, body: MentionRequest) -> dict[str, Any]:
    locator = body.mention or (f"{body.start}:{body.end}" if body.start is not None else "")
    if not locator:
        raise HTTPException(400, "name the mention: its text, or start and end")
    made = _judging(
        request, lambda a, v: a.judge_mention(v, body.kind, body.doc_id, locator, body.entity_id, body.note)
    )
    return {"judgments": [j.to_dict() for j in made]}


class UndoRequest(BaseModel):
    note: str | None = None


@api.post("/review/judgments/{judgment_id}/undo", summary="Undo a judgment (it stays in the history)")
def api_undo(request: Request, judgment_id: int, body: UndoRequest | None = Body(None)) -> dict[str, Any]:
    note = body.note if body else None
    made = _judging(request, lambda a, v: a.undo_judgment(v, judgment_id, note))
    return {"judgment": made.to_dict()}


@pages.post("/review/judgments/{judgment_id}/undo", response_model=None)
def undo_form(
    request: Request, judgment_id: int, next: str = Form("/"), note: str = Form("")
) -> RedirectResponse:
    """The entity page's undo button: undo, then back to the page (`next`, a path on this site)."""
    _judging(request, lambda a, v: a.undo_judgment(v, judgment_id, note or None))
    local = next.startswith("/") and not next.startswith("//") and "\\" not in next
    return RedirectResponse(next if local else "/", status_code=303)


@pages.post("/review/split", response_model=None)
def split_form(
    request: Request, entity_id: str = Form(...), names: list[str] = Form([]), note: str = Form("")
) -> RedirectResponse:
    """The entity page's split form: the checked names leave the entity; then the new entity's page."""
    made = _judging(request, lambda a, v: a.split_entity(v, entity_id, names, note or None))
    return RedirectResponse(entity_url(made.target), status_code=303)


@api.get("/review/judgments", summary="Entity judgments: who judged what, and when")
def api_judgments(request: Request, entity: str | None = None, doc: str | None = None) -> dict[str, Any]:
    made = archive_of(request).entity_judgments(entity, doc)
    return {"judgments": [j.to_dict() for j in made]}


@api.get("/review/entities", summary="Entities to pick by name or id")
def api_find_entities(
    request: Request,
    q: str = Query(..., min_length=1),
    type: str | None = None,
    exclude: str | None = None,
    limit: int = Query(10, ge=1, le=50),
) -> dict[str, Any]:
    found = archive_of(request).find_entities(q, type, exclude, limit)
    return {
        "entities": [{"id": e.id, "name": e.name, "type": e.type, "url": entity_url(e.id)} for e in found]
    }

"""Batch search: /batch takes a CSV of names or queries (uploaded, or pasted) and answers a table
preview or the CSV of hits; POST /api/batch answers JSON. Each query runs through Archive.search."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from chancery.errors import ChanceryError
from chancery.web.render import archive_of, page

api = APIRouter()
pages = APIRouter()

MAX_UPLOAD = 1_000_000  # bytes of CSV
MAX_TOP = 20


def _rows(request: Request, text: str, top: int) -> list[Any]:
    from chancery.web.views.lists import _acting  # the one mapping of workspace errors to statuses

    archive = archive_of(request)
    pairs = _acting(lambda: archive.read_batch(text))
    return list(archive.batch_search(pairs, top))


async def _text_of(upload: UploadFile | None, pasted: str) -> str:
    if upload is not None and upload.filename:
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise HTTPException(413, f"the batch file is over {MAX_UPLOAD // 1_000_000} MB")
        return data.decode("utf-8", errors="replace")
    return pasted


@pages.get("/batch", response_class=HTMLResponse)
def batch_page(request: Request) -> HTMLResponse:
    return page(request, "batch.html", {"top": 5, "text": ""})


@pages.post("/batch", response_model=None)
async def batch_run(
    request: Request,
    queries: UploadFile | None = File(None),
    text: str = Form("", max_length=MAX_UPLOAD),
    top: int = Form(5, ge=0, le=MAX_TOP),
    output: str = Form("table", pattern="^(table|csv)$"),
) -> Response:
    """Run the batch: `output=csv` downloads the CSV, `table` shows it (with the queries kept in
    the page, so its Download button runs them again as CSV)."""
    from starlette.concurrency import run_in_threadpool

    content = await _text_of(queries, text)
    if not content.strip():
        raise HTTPException(400, "upload a CSV file or paste queries, one a line")
    rows = await run_in_threadpool(_rows, request, content, top)
    archive = archive_of(request)
    if output == "csv":
        body = "".join(archive.batch_csv(rows, top))
        return Response(
            body.encode(),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="batch-search.csv"'},
        )
    return page(request, "batch.html", {"top": top, "text": content, "rows": [r.to_dict() for r in rows]})


@api.post("/batch", summary="Batch search: many queries, each with count, first and last date, top documents")
def api_batch(
    request: Request,
    queries: list[str | dict[str, str]] = Body(..., embed=True, max_length=2000),
    top: int = Body(5, embed=True, ge=0, le=MAX_TOP),
) -> dict[str, Any]:
    pairs = []
    for item in queries:
        query = item if isinstance(item, str) else item.get("query", "")
        label = (item.get("label") if isinstance(item, dict) else None) or query
        if query.strip():
            pairs.append((label, query))
    try:
        rows = list(archive_of(request).batch_search(pairs, top))
    except ChanceryError as exc:
        raise HTTPException(400, str(exc)) from exc
    return {"rows": [r.to_dict() for r in rows]}

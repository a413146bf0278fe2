"""GET /api/search: ranked passages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from index.search import Filters, Mode
from service.dependencies import get_engine
from service.engine import Engine
from service.schemas import MAX_QUERY_CHARS, SearchResponse

router = APIRouter(prefix="/api", tags=["søk"])


@router.get("/search", response_model=SearchResponse)
async def search(
    engine: Annotated[Engine, Depends(get_engine)],
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="Søketekst")],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
    mode: Mode = Mode.HYBRID,
    type: Annotated[list[str] | None, Query(description="Dokumenttype(r)")] = None,
    publisher: Annotated[list[str] | None, Query()] = None,
    year_from: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    year_to: Annotated[int | None, Query(ge=1900, le=2100)] = None,
) -> SearchResponse:
    if not q.strip():
        raise HTTPException(status_code=422, detail="Søketeksten er tom.")
    filters = Filters(
        doc_types=tuple(type or ()),
        publishers=tuple(publisher or ()),
        year_from=year_from,
        year_to=year_to,
    )
    # Embedding the query is CPU work: keep it off the event loop.
    return await run_in_threadpool(engine.search, q.strip(), k, mode, filters)

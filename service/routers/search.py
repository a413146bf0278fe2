"""GET /api/search: ranked passages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from index.search import Filters, Mode
from service.dependencies import get_engine
from service.engine import Engine
from service.schemas import (
    MAX_QUERY_CHARS,
    MAX_YEAR,
    MIN_YEAR,
    NOT_BLANK,
    SearchResponse,
    error_responses,
)

router = APIRouter(prefix="/api", tags=["søk"], responses=error_responses(422, 429, 500, 503))


@router.get("/search", response_model=SearchResponse)
async def search(
    engine: Annotated[Engine, Depends(get_engine)],
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            json_schema_extra={"pattern": NOT_BLANK},
            description="Søketekst",
        ),
    ],
    # Plain lists, empty when absent, not `list | None`: a query string cannot carry null, and
    # with `anyOf: [array, null]` in the schema a lone `?type=x` reads as invalid to clients and
    # fuzzers that go by the schema. (No Python default, so they come before `k`.)
    type: Annotated[list[str], Query(default_factory=list, description="Dokumenttype(r)")],
    publisher: Annotated[list[str], Query(default_factory=list)],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
    mode: Mode = Mode.HYBRID,
    year_from: Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR)] = None,
    year_to: Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR)] = None,
) -> SearchResponse:
    if not q.strip():
        raise HTTPException(status_code=422, detail="Søketeksten er tom.")
    filters = Filters(
        doc_types=tuple(type),
        publishers=tuple(publisher),
        year_from=year_from,
        year_to=year_to,
    )
    # Embedding the query is CPU work: keep it off the event loop.
    return await run_in_threadpool(engine.search, q.strip(), k, mode, filters)

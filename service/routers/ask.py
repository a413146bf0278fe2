"""POST /api/ask: an extractive answer with numbered citations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from service.dependencies import get_app_settings, get_engine
from service.engine import Engine
from service.queries import checked_query, parse_filters
from service.responses import ask_response
from service.schemas import AskRequest, AskResponse, error_responses
from service.settings import Settings

router = APIRouter(
    prefix="/api", tags=["spørsmål"], responses=error_responses(400, 413, 422, 429, 500, 503)
)


@router.post("/ask", response_model=AskResponse)
async def ask(
    request: AskRequest,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> AskResponse:
    checked_query(request.question, "Spørsmålet er tomt.")  # InvalidQuery: 422 (service.main)
    asked = await run_in_threadpool(
        engine.ask, request.question, request.history, parse_filters(request.filters)
    )
    return ask_response(asked, settings.base_url)

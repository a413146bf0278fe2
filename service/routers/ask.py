"""POST /api/ask: an extractive answer with numbered citations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool

from service.dependencies import get_engine
from service.engine import Engine
from service.schemas import AskRequest, AskResponse, error_responses

router = APIRouter(
    prefix="/api", tags=["spørsmål"], responses=error_responses(400, 413, 422, 429, 500, 503)
)


@router.post("/ask", response_model=AskResponse)
async def ask(request: AskRequest, engine: Annotated[Engine, Depends(get_engine)]) -> AskResponse:
    if not request.question.strip():
        raise HTTPException(status_code=422, detail="Spørsmålet er tomt.")
    return await run_in_threadpool(engine.ask, request)

"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.dependencies import get_engine
from service.engine import Engine
from service.schemas import error_responses

router = APIRouter(tags=["drift"], responses=error_responses(500))


# All three are `async` and touch nothing that blocks, so they answer at once even while every
# worker thread is busy with searches (a health check that waits gets the process restarted).


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=error_responses(503))
async def readyz(engine: Annotated[Engine, Depends(get_engine)], response: Response) -> dict:
    searcher = engine.serving
    if searcher is None:
        response.status_code = 503
        building = engine.first_build
        if building is not None and building.error is None:
            return {
                "status": "bygger indeks",
                "detail": building.describe(),
                "stage": building.stage,
                "percent": building.percent,
            }
        return {"status": "ingen indeks lastet", "detail": engine.unavailable_reason()}
    manifest = searcher.manifest
    if searcher.lexical_only:
        # Serving (keyword search works), but the embeddings are still being built.
        building = engine.first_build or engine.running_ingest
        return {
            "status": "delvis klar",
            "detail": "Søk på nøkkelord virker; søk på mening og spørsmål når indeksen er ferdig.",
            "stage": building.stage if building else None,
            "percent": building.percent if building else None,
            "generation": manifest.generation,
            "documents": manifest.document_count,
            "chunks": manifest.chunk_count,
            "model": manifest.model,
        }
    return {
        "status": "ok",
        "generation": manifest.generation,
        "documents": manifest.document_count,
        "chunks": manifest.chunk_count,
        "model": manifest.model,
    }


# `response_class=Response` has no media type of its own, so FastAPI documents the 500 as the
# JSON it is (with PlainTextResponse it would list it as text/plain); the text is declared here.
@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Målinger i Prometheus' tekstformat.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

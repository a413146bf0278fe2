"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.dependencies import get_engine
from service.engine import Engine

router = APIRouter(tags=["drift"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(engine: Annotated[Engine, Depends(get_engine)], response: Response) -> dict:
    if not engine.ready:
        response.status_code = 503
        return {"status": "ingen indeks lastet"}
    manifest = engine.searcher().manifest
    return {
        "status": "ok",
        "generation": manifest.generation,
        "documents": manifest.document_count,
        "chunks": manifest.chunk_count,
        "model": manifest.model,
    }


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

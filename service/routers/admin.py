"""Administration: re-ingest the corpus while the service keeps answering."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException
from fastapi.concurrency import run_in_threadpool

from index.build import NothingToIndex
from index.generation import IngestBusy
from service.dependencies import get_app_settings, get_engine
from service.engine import Engine
from service.schemas import error_responses
from service.settings import Settings


def require_admin(
    settings: Annotated[Settings, Depends(get_app_settings)],
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    if not settings.admin_token:
        raise HTTPException(
            status_code=403, detail="Administrasjon er slått av (REFARK_ADMIN_TOKEN er ikke satt)."
        )
    # As bytes: compare_digest refuses str with non-ASCII characters.
    expected = f"Bearer {settings.admin_token}".encode()
    given = (authorization or "").encode("utf-8", "surrogateescape")
    if not secrets.compare_digest(given, expected):
        raise HTTPException(
            status_code=401,
            detail="Mangler eller feil administrasjonsnøkkel.",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(
    prefix="/api/admin",
    tags=["administrasjon"],
    dependencies=[Depends(require_admin)],
    responses=error_responses(401, 403, 429, 500),
)


@router.post("/reingest", responses=error_responses(409, 422))
async def reingest(engine: Annotated[Engine, Depends(get_engine)]) -> dict:
    try:
        report = await run_in_threadpool(engine.reingest)
    except IngestBusy as error:
        raise HTTPException(status_code=409, detail=str(error)) from error
    except NothingToIndex as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
    return {
        "added": report.added,
        "changed": report.changed,
        "unchanged": len(report.unchanged),
        "removed": report.removed,
        "failed": report.failed,
        "chunks_embedded": report.chunks_embedded,
        "sentences_embedded": report.sentences_embedded,
        "documents": report.document_count,
        "chunks": report.chunk_count,
        "published": report.published,
        "seconds": round(report.seconds, 2),
    }

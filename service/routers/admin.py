"""Administration: re-ingest the corpus while the service keeps answering, and the votes on
answers (list them, mark the right source, export the 👎 ones as eval questions)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from index.build import NothingToIndex
from index.generation import IngestBusy
from service.dependencies import get_app_settings, get_engine, get_feedback
from service.engine import Engine
from service.feedback import (
    MAX_FEEDBACK_ID,
    FeedbackStore,
    Source,
    StoredFeedback,
    UnknownFeedback,
    Vote,
    export_eval,
    to_jsonl,
)
from service.schemas import FeedbackEntry, FeedbackSource, error_responses
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


def _entry(stored: StoredFeedback) -> FeedbackEntry:
    feedback = stored.feedback
    return FeedbackEntry(
        id=stored.id,
        created_at=stored.created_at,
        question=feedback.question,
        answer=feedback.answer,
        chunk_ids=list(feedback.chunk_ids),
        vote=feedback.vote,
        channel=feedback.channel,
        comment=feedback.comment,
        user_hash=feedback.user_hash,
        place=feedback.place,
        sources=[FeedbackSource(doc=s.doc, quote=s.quote) for s in stored.sources],
    )


@router.get("/feedback", response_model=list[FeedbackEntry], responses=error_responses(422))
async def list_feedback(
    store: Annotated[FeedbackStore, Depends(get_feedback)],
    vote: Vote | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[FeedbackEntry]:
    entries = await run_in_threadpool(store.entries, vote, limit)
    return [_entry(stored) for stored in entries]


@router.get(
    "/feedback/export",
    response_class=Response,
    responses={
        200: {
            "description": "Hvert 👎-svar som en linje i en spørsmålsfil for `refark eval`.",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        },
        **error_responses(503),
    },
)
async def export_feedback(
    store: Annotated[FeedbackStore, Depends(get_feedback)],
    engine: Annotated[Engine, Depends(get_engine)],
) -> Response:
    # The cited chunk ids are looked up in the generation that serves now.
    items = await run_in_threadpool(lambda: export_eval(store, engine.searcher().store))
    return Response(to_jsonl(items), media_type="application/x-ndjson")


@router.post(
    "/feedback/{feedback_id}/sources",
    status_code=201,
    response_model=FeedbackSource,
    responses=error_responses(400, 404, 413, 422),
)
async def mark_feedback_source(
    feedback_id: Annotated[int, Path(ge=1, le=MAX_FEEDBACK_ID)],
    source: FeedbackSource,
    store: Annotated[FeedbackStore, Depends(get_feedback)],
) -> FeedbackSource:
    if not source.doc.strip() or not source.quote.strip():
        raise HTTPException(status_code=422, detail="Dokument og sitat kan ikke være tomme.")
    try:
        await run_in_threadpool(store.mark_source, feedback_id, Source(source.doc, source.quote))
    except UnknownFeedback as error:
        raise HTTPException(status_code=404, detail=str(error)) from error
    return source

"""Administration: the index's status and its last ingests, re-ingest the corpus while the
service keeps answering (its progress as server-sent events), and the votes on answers (list
them, mark the right source, export the 👎 ones as eval questions)."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from index.build import NothingToIndex
from index.generation import IngestBusy
from index.ingest_log import recent_ingests
from service.build_progress import BuildProgress
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
from service.schemas import (
    AdminStatus,
    FeedbackEntry,
    FeedbackSource,
    GenerationInfo,
    error_responses,
)
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


# Outside the token check: the maintainers' page asks it before it asks for the key, so that it
# can say at once when there is no key to give.
access_router = APIRouter(prefix="/api/admin", tags=["administrasjon"])


@access_router.get("/enabled")
async def admin_enabled(
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> dict[str, bool]:
    """Whether the admin API is on (REFARK_ADMIN_TOKEN is set); needs no key."""
    return {"enabled": bool(settings.admin_token)}


@router.get("/status", response_model=AdminStatus, responses=error_responses(422))
async def status(
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_app_settings)],
    limit: Annotated[int, Query(ge=1, le=100, description="How many ingests to list.")] = 10,
) -> AdminStatus:
    ready = await run_in_threadpool(lambda: engine.ready)
    searcher = engine.serving if ready else None
    manifest = searcher.manifest if searcher else None
    generation = None
    if searcher and manifest:
        generation = GenerationInfo(
            name=searcher.directory.name, number=manifest.generation, created=manifest.created
        )
    return AdminStatus(
        generation=generation,
        unavailable=None if searcher else engine.unavailable_reason(),
        model=engine.embedder.model_id,
        documents=manifest.document_count if manifest else 0,
        chunks=manifest.chunk_count if manifest else 0,
        ingest_running=engine.running_ingest is not None,
        ingests=await run_in_threadpool(recent_ingests, settings.index_dir, limit),
    )


@router.post(
    "/reingest",
    responses={
        202: {"description": "Startet i bakgrunnen (`wait=false`); følg den på /reingest/events."},
        **error_responses(409, 422),
    },
)
async def reingest(
    engine: Annotated[Engine, Depends(get_engine)],
    response: Response,
    wait: Annotated[
        bool,
        Query(description="false: answer 202 at once and let the ingest run in the background."),
    ] = True,
) -> dict:
    if not wait:
        try:
            engine.start_reingest()
        except IngestBusy as error:
            raise HTTPException(status_code=409, detail=str(error)) from error
        response.status_code = 202
        return {"status": "startet"}
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


# How often the event stream looks at a running ingest's progress.
PROGRESS_POLL_SECONDS = 0.25


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _progress_events(engine: Engine, settings: Settings) -> AsyncIterator[str]:
    """The running ingest's progress as it changes, then its outcome; without one, the idle
    state with the last ingest, so that a client is never left waiting."""
    running: BuildProgress | None = engine.running_ingest
    if running is None:
        last = await run_in_threadpool(recent_ingests, settings.index_dir, 1)
        yield _event("idle", {"running": False, "last": asdict(last[0]) if last else None})
        return
    sent = None
    while True:
        outcome = running.outcome  # read first: the state read after it is then the last one
        state = running.state()
        if state != sent:
            yield _event("progress", asdict(state))
            sent = state
        if outcome is not None:
            yield _event("done", asdict(outcome))
            return
        await asyncio.sleep(PROGRESS_POLL_SECONDS)


@router.get(
    "/reingest/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-sent events: `progress` (stage, done, total, percent) while "
            "an ingest runs, then `done` with its outcome; `idle` with the last ingest when "
            "none runs. The stream closes after `done` or `idle`.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def reingest_events(
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> StreamingResponse:
    return StreamingResponse(
        _progress_events(engine, settings),
        media_type="text/event-stream",
        # A proxy that buffers the stream would hold every event back until the end.
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


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

"""POST /api/feedback: a vote (👍/👎) on an answer, from the web page or the Slack app."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from service.dependencies import get_feedback
from service.feedback import Feedback, FeedbackStore
from service.queries import checked_query
from service.schemas import FeedbackCreated, FeedbackRequest, error_responses

router = APIRouter(
    prefix="/api", tags=["tilbakemeldinger"], responses=error_responses(400, 413, 422, 429, 500)
)


@router.post("/feedback", status_code=201, response_model=FeedbackCreated)
async def add_feedback(
    request: FeedbackRequest, store: Annotated[FeedbackStore, Depends(get_feedback)]
) -> FeedbackCreated:
    checked_query(request.question, "Spørsmålet er tomt.")  # InvalidQuery: 422 (service.main)
    feedback = Feedback(
        question=request.question,
        answer=request.answer,
        chunk_ids=tuple(request.chunk_ids),
        vote=request.vote,
        channel=request.channel,
        # A comment of only spaces says nothing; stored as no comment.
        comment=request.comment if request.comment and request.comment.strip() else None,
    )
    return FeedbackCreated(id=await run_in_threadpool(store.add, feedback))

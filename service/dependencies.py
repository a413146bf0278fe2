"""FastAPI dependencies: the engine, settings and feedback store stored on the app at start-up.

They are `async` so FastAPI resolves them on the event loop: a sync dependency takes a worker
thread, and /readyz must answer while every worker thread is busy with searches."""

from __future__ import annotations

from fastapi import Request

from service.engine import Engine
from service.feedback import FeedbackStore
from service.settings import Settings


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_feedback(request: Request) -> FeedbackStore:
    return request.app.state.feedback

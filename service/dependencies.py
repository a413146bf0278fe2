"""FastAPI dependencies: the engine and settings stored on the app at start-up."""

from __future__ import annotations

from fastapi import Request

from service.engine import Engine
from service.settings import Settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings

"""Build the FastAPI application: API routers, the web page and error handling."""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import Counter, Histogram

from index.generation import IndexMissing
from index.search import ModelMismatch
from service.engine import Engine
from service.routers import admin, ask, documents, health, search
from service.settings import Settings, get_settings

STATIC_DIR = Path(__file__).parent / "static"
logger = logging.getLogger("refark")

REQUESTS = Counter("refark_http_requests_total", "HTTP requests", ["route", "status"])
LATENCY = Histogram("refark_http_request_seconds", "HTTP request latency", ["route"])


_MESSAGES = {
    "missing": "mangler",
    "string_too_short": "må ha minst {min_length} tegn",
    "string_too_long": "kan ha høyst {max_length} tegn",
    "greater_than_equal": "må være minst {ge}",
    "less_than_equal": "må være høyst {le}",
    "enum": "må være en av {expected}",
    "literal_error": "må være en av {expected}",
    "int_parsing": "må være et heltall",
    "int_type": "må være et heltall",
    "string_type": "må være tekst",
    "too_long": "har for mange elementer (høyst {max_length})",
    "json_invalid": "er ikke gyldig JSON",
    "model_attributes_type": "må være et JSON-objekt",
    "list_type": "må være en liste",
}


def _describe(error: dict) -> str:
    """One validation error in Norwegian, naming the field."""
    where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "body"))
    template = _MESSAGES.get(error.get("type", ""))
    try:
        message = template.format(**error.get("ctx", {})) if template else error.get("msg", "")
        message = message.replace("' or '", "' eller '")
    except (KeyError, IndexError):
        message = error.get("msg", "ugyldig verdi")
    return f"{where or 'forespørselen'}: {message}"


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = engine or Engine(settings)
        app.state.settings = settings
        app.state.engine.embedder.use_threads(settings.serve_threads)
        # Load the model and open the current generation now, not on the first request.
        await run_in_threadpool(app.state.engine.embedder.embed_query, "oppvarming")
        if not app.state.engine.ready:
            logger.warning("Ingen indeks i %s ennå; /readyz svarer 503.", settings.index_dir)
        yield

    app = FastAPI(
        title="Refark",
        description="Søk og spørsmål i dokumenter om kommunal e-helsearkitektur.",
        version="0.1.0",
        lifespan=lifespan,
    )

    @app.middleware("http")
    async def measure(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        name = getattr(route, "path", "ukjent")
        REQUESTS.labels(name, str(response.status_code)).inc()
        LATENCY.labels(name).observe(time.perf_counter() - started)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        detail = "Ugyldig forespørsel: " + "; ".join(_describe(e) for e in error.errors())
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.exception_handler(IndexMissing)
    async def no_index(_: Request, error: IndexMissing) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(error)})

    @app.exception_handler(ModelMismatch)
    async def wrong_model(_: Request, error: ModelMismatch) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(error)})

    for module in (search, ask, documents, admin, health):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def web_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    return app

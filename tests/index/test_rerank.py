"""The learned reranker reorders the top of the hybrid ranking: only as deep as it was fitted
for, whatever the number of hits asked for, never in the dense or lexical mode, and with the
shipped weights it ranks the passage that answers first where the fused order did not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embedder import Embedder
from index.generation import current_generation
from index.linear import LinearModel, WeightsMismatch
from index.rerank import FEATURES, Reranker, shipped_reranker
from index.search import Mode, Searcher
from tests.hits import hit


def preferring_short_passages(depth: int) -> Reranker:
    """A reranker whose only weight says: the fewer words, the better."""
    coefficients = np.zeros(len(FEATURES))
    coefficients[FEATURES.index("log_words")] = -1.0
    model = LinearModel(FEATURES, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), coefficients)
    return Reranker(model, depth)


class NoGlossary:
    def expand(self, query: str) -> str:
        return query


def no_weights(text: str) -> dict[str, float]:
    return {}


def test_only_the_top_depth_hits_are_reordered_and_ranks_are_renumbered():
    long, short, shortest = (
        hit(1, "en lang tekst med mange ord om meldinger", 0.8),
        hit(2, "kort tekst", 0.8),
        hit(3, "kort", 0.8),
    )

    reranked = preferring_short_passages(depth=2).rerank(
        "meldinger", [long, short, shortest], no_weights, NoGlossary()
    )

    assert [h.chunk.text for h in reranked] == ["kort tekst", long.chunk.text, "kort"]
    assert [h.rank for h in reranked] == [1, 2, 3]
    assert [h.score for h in reranked] == [short.score, long.score, shortest.score]  # fused
    ordering = [h.ranking_score for h in reranked]
    assert ordering == sorted(ordering, reverse=True)


def test_weights_fitted_on_other_features_are_refused():
    data = preferring_short_passages(depth=5).to_json()
    data["features"] = data["features"][:-1]
    with pytest.raises(WeightsMismatch):
        Reranker.from_json(data)


def test_the_shipped_weights_match_the_features_the_code_computes():
    reranker = shipped_reranker()
    assert reranker.model.features == FEATURES
    assert reranker.depth >= 10
    assert np.any(reranker.model.coefficients != 0)


@pytest.mark.slow
def test_hybrid_search_reranks_the_fused_top_depth_whatever_k_is(
    sample_index: Path, embedder: Embedder
):
    generation = current_generation(sample_index)
    fused = Searcher(generation, embedder)
    reranker = preferring_short_passages(depth=20)
    reranking = Searcher(generation, embedder, reranker)
    query = "Hvor lang tid har vi på å svare på en PLO-melding?"

    expected = reranker.rerank(query, fused.search(query, k=20), fused.term_weights, fused.glossary)
    top3 = reranking.search(query, k=3)

    assert [h.chunk.chunk_id for h in top3] == [h.chunk.chunk_id for h in expected[:3]]
    assert [h.chunk.chunk_id for h in top3] != [
        h.chunk.chunk_id for h in fused.search(query, k=3)
    ], "the stand-in reranker must change the order for this test to mean anything"


@pytest.mark.slow
@pytest.mark.parametrize("mode", [Mode.DENSE, Mode.LEXICAL])
def test_dense_and_lexical_search_keep_their_own_order(
    sample_index: Path, embedder: Embedder, mode: Mode
):
    generation = current_generation(sample_index)
    query = "Hvor lang tid har vi på å svare på en PLO-melding?"
    plain = Searcher(generation, embedder).search(query, k=10, mode=mode)
    reranking = Searcher(generation, embedder, preferring_short_passages(depth=20))

    assert reranking.search(query, k=10, mode=mode) == plain


@pytest.mark.slow
def test_the_shipped_reranker_puts_the_passage_that_answers_first(
    sample_index: Path, embedder: Embedder
):
    generation = current_generation(sample_index)
    question = "Hva betaler kommunen for medlemskap i Norsk helsenett?"
    answering = "3.3 Finansiering"  # "… organisert som et trekk i rammetilskuddet …"

    fused = Searcher(generation, embedder).search(question, k=10)
    reranked = Searcher(generation, embedder, shipped_reranker()).search(question, k=10)

    assert not fused[0].chunk.section.endswith(answering)
    assert reranked[0].chunk.section.endswith(answering)

"""The learned reranker: the top of the hybrid ranking reordered by a linear score over
features both legs already give (cosines, BM25, word coverage, title and heading matches,
glossary matches, the chunk's kind). `bench/train_reranker.py` fits it on NorQuAD's train split
and on domain questions over the bundled corpus, and chooses its settings on held-out sets;
the weights ship as `reranker.json` beside this module.

Every feature is read from the hits themselves or compared within the pool ("how far below
this query's best candidate"), never an absolute scale of one corpus, so that weights fitted
on the bundled corpus and NorQuAD apply to any corpus."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.kinds import needed_kinds, question_kinds, unit_kinds
from index.lexical import stems_by_offset, tokenize
from index.linear import LinearModel

if TYPE_CHECKING:
    # Only for type hints: index.search may call the reranker, so it is not imported here.
    from index.search import Hit

WEIGHTS_PATH = Path(__file__).with_name("reranker.json")
STEM_CACHE = 8192  # texts whose stems are kept: a few thousand chunks with their sentences

FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "dense": ("best_sentence", "chunk_cosine", "best_sentence_gap", "chunk_gap", "second_sentence"),
    "lexical": ("bm25_share", "coverage", "sentence_coverage"),
    "fusion": ("fused_score", "fused_reciprocal_rank"),
    "title_heading": ("title_match", "heading_match"),
    "glossary": ("glossary_match",),
    "kind": ("introduction", "meta_text", "first_chunk", "table", "log_words"),
    # What the question asks for (index.kinds): "Hvor mange pasienter …" is answered by a
    # passage with a number in it.
    "need": ("need_met", "need_unmet", "need_in_best_sentence", "kinds_in_best_sentence"),
}
FEATURES = tuple(name for names in FEATURE_GROUPS.values() for name in names)

# Headings of the parts that describe a document rather than state its rules.
_INTRODUCTION = re.compile(
    r"\b(sammendrag|innledning|introduksjon|bakgrunn|formål|oversikt|om dokumentet|"
    r"om denne|summary|introduction|overview|about)\b",
    re.IGNORECASE,
)
# Sentences about the document itself ("Dette dokumentet forklarer …").
_META = re.compile(
    r"\b(dette|denne|i dette|i denne)\s+(dokumentet|kapittelet|kapitlet|veilederen|rapporten|"
    r"notatet|avsnittet|delen)\b",
    re.IGNORECASE,
)


class Expands(Protocol):
    def expand(self, query: str) -> str: ...


@dataclass(frozen=True)
class QueryContext:
    """What the reranker needs from the searcher about one query."""

    weights: dict[str, float]  # idf of each of the query's stems
    glossary_weights: dict[str, float]  # idf of the stems the glossary adds to the query
    asks: frozenset[str] = frozenset()  # the kinds of thing the query asks for
    needs: frozenset[str] = frozenset()  # of those, the ones an answer must hold
    stems: frozenset[str] = frozenset()  # the query's own stems: names in it are no answer

    @classmethod
    def of(
        cls, query: str, term_weights: Callable[[str], dict[str, float]], glossary: Expands
    ) -> QueryContext:
        """`term_weights` is `Searcher.term_weights`, `glossary` is `Searcher.glossary`."""
        weights = term_weights(query)
        expanded = term_weights(glossary.expand(query))
        return cls(
            weights,
            {s: w for s, w in expanded.items() if s not in weights},
            frozenset(question_kinds(query)),
            frozenset(needed_kinds(query)),
            frozenset(tokenize(query)),
        )


@lru_cache(maxsize=STEM_CACHE)
def _stems(text: str) -> frozenset[str]:
    """A text's stems. Chunks, their sentences, titles and headings come back query after
    query: stemming them once makes the reranker several times cheaper."""
    return frozenset(tokenize(text))


@lru_cache(maxsize=STEM_CACHE)
def _chunk_stems(text: str) -> tuple[list[tuple[int, str]], frozenset[str]]:
    """A chunk's stems by offset (for its sentences' shares) and as a set."""
    by_offset = stems_by_offset(text)
    return by_offset, frozenset(stem for _, stem in by_offset)


@lru_cache(maxsize=STEM_CACHE)
def _log_words(text: str) -> float:
    return math.log1p(len(text.split()))


@lru_cache(maxsize=STEM_CACHE)
def _about_itself(text: str) -> bool:
    return bool(_META.search(text))


def weighted_share(weights: dict[str, float], present: Set[str]) -> float:
    """The share of the weights' total whose stems are present; 0 when there are none."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for s, w in weights.items() if s in present) / total


def _cosines(hit: Hit) -> tuple[float, float, float]:
    """(best sentence, second sentence, chunk) cosines. The dense score is the mean of the
    chunk's and its best sentence's cosine (index.sentences.combined_dense), so the chunk's
    own cosine is recovered from it; a chunk without indexed sentences has only its own."""
    ordered = sorted((cosine for _, _, cosine in hit.sentences), reverse=True)
    if not ordered:
        return hit.dense_score, hit.dense_score, hit.dense_score
    best = ordered[0]
    second = ordered[1] if len(ordered) > 1 else best
    return best, second, 2 * hit.dense_score - best


def _need_features(hit: Hit, context: QueryContext) -> dict[str, float]:
    """Whether the chunk, and its sentence closest to the query, hold what the query asks for."""
    if not (context.asks or context.needs):  # a finding is needed but no kind of question
        return dict.fromkeys(FEATURE_GROUPS["need"], 0.0)
    text = hit.chunk.text
    asked = context.asks | context.needs
    held = unit_kinds(text, context.stems, asked)
    closest = max(hit.sentences, key=lambda sentence: sentence[2], default=None)
    in_closest = (
        unit_kinds(text[closest[0] : closest[1]], context.stems, asked) if closest else held
    )
    needs = bool(context.needs)
    return {
        "need_met": float(needs and bool(context.needs & held)),
        "need_unmet": float(needs and not context.needs & held),
        "need_in_best_sentence": float(needs and bool(context.needs & in_closest)),
        "kinds_in_best_sentence": len(context.asks & in_closest) / max(len(context.asks), 1),
    }


def hit_features(hit: Hit, context: QueryContext) -> dict[str, float]:
    """The features of one hit that need no other hit of the pool."""
    best, second, chunk = _cosines(hit)
    text = hit.chunk.text
    by_offset, stems = _chunk_stems(text)
    # A sentence holds only stems its chunk holds: its share is summed over those alone, which
    # are few, rather than over every stem of the query for each of the chunk's sentences.
    held = {stem: weight for stem, weight in context.weights.items() if stem in stems}
    total = sum(context.weights.values())
    sentence_coverage = 0.0
    if held and total > 0:
        found = [(at, stem) for at, stem in by_offset if stem in held]
        sentence_coverage = (
            max(
                (sum(held[stem] for stem in {st for at, st in found if s <= at < e}))
                for s, e, _ in hit.sentences
            )
            / total
            if hit.sentences
            else 0.0
        )
    need = _need_features(hit, context)
    return {
        **need,
        "best_sentence": best,
        "chunk_cosine": chunk,
        "second_sentence": second,
        "bm25": hit.lexical_score,
        "coverage": sum(held.values()) / total if total > 0 else 0.0,
        "sentence_coverage": sentence_coverage,
        "fused_score": hit.score,
        "fused_reciprocal_rank": 1 / hit.rank,
        "title_match": weighted_share(context.weights, _stems(hit.document.meta.title)),
        "heading_match": weighted_share(context.weights, _stems(hit.chunk.section)),
        "glossary_match": weighted_share(context.glossary_weights, stems),
        "introduction": float(bool(_INTRODUCTION.search(hit.chunk.section))),
        "meta_text": float(_about_itself(text)),
        "first_chunk": float(hit.chunk.ordinal == 0),
        "table": float(hit.chunk.table is not None),
        "log_words": _log_words(text),
    }


def pool_rows(own: Sequence[dict[str, float]]) -> np.ndarray:
    """One row of FEATURES per hit from each hit's `hit_features`. The pool-relative features
    compare a hit with the best of the hits given, so the same hits give the same rows
    whatever their order."""
    if not own:
        return np.zeros((0, len(FEATURES)))
    best_sentence = max(f["best_sentence"] for f in own)
    best_chunk = max(f["chunk_cosine"] for f in own)
    best_bm25 = max(f["bm25"] for f in own)
    relative = [
        {
            "best_sentence_gap": f["best_sentence"] - best_sentence,
            "chunk_gap": f["chunk_cosine"] - best_chunk,
            "bm25_share": f["bm25"] / best_bm25 if best_bm25 > 0 else 0.0,
        }
        for f in own
    ]
    return np.array(
        [[{**f, **r}[name] for name in FEATURES] for f, r in zip(own, relative, strict=True)],
        dtype=np.float64,
    )


def features(hits: Sequence[Hit], context: QueryContext) -> np.ndarray:
    """One row of FEATURES per hit."""
    return pool_rows([hit_features(hit, context) for hit in hits])


@dataclass(frozen=True)
class Reranker:
    """A linear score over FEATURES; higher ranks first."""

    model: LinearModel
    depth: int  # how many of the fused pool's top hits it was chosen to reorder

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return self.model.scores(rows)

    def rerank(
        self,
        query: str,
        hits: Sequence[Hit],
        term_weights: Callable[[str], dict[str, float]],
        glossary: Expands,
    ) -> list[Hit]:
        """The same hits, the top `depth` best first by the model and the rest after them in
        their order, ranks renumbered from 1, each with its `rerank_score`. `query` is the text
        that was searched; `term_weights` and `glossary` are the Searcher's. Each hit keeps its
        fused `score` (the answer selector reads it); ties keep the fused order."""
        top = list(hits[: self.depth])
        if not top:
            return []
        scores = self.scores(features(top, QueryContext.of(query, term_weights, glossary)))
        order = np.argsort(-scores, kind="stable")
        # The hits below the reranked ones rank after them, scored so that the order by score
        # stays the order by rank.
        floor = float(scores.min())
        below = [(hit, floor - n) for n, hit in enumerate(hits[self.depth :], start=1)]
        ranked = [(top[i], float(scores[i])) for i in order] + below
        return [
            replace(hit, rank=rank, rerank_score=score)
            for rank, (hit, score) in enumerate(ranked, start=1)
        ]

    def to_json(self) -> dict:
        return {**self.model.to_json(), "depth": self.depth}

    @classmethod
    def from_json(cls, data: dict) -> Reranker:
        model = LinearModel.from_json(data, FEATURES, "bench/train_reranker.py --write")
        return cls(model, int(data["depth"]))

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH) -> Reranker:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def shipped_reranker() -> Reranker:
    """The reranker fitted for Refark (`reranker.json`), read once per process."""
    return Reranker.load()

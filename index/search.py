"""Search one index generation: dense, lexical or hybrid, with metadata filters."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from index.dense import DenseIndex
from index.embedder import Embedder
from index.fusion import top_rows, weighted_fusion
from index.generation import Generation
from index.glossary import Glossary
from index.lexical import LexicalIndex, LexicalMatches, QueryTerms, tokenize
from index.rerank import Reranker
from index.sentences import RowSentences, Sentence, SentenceIndex, combined_dense
from index.spelling import Correction, Vocabulary
from index.store import ChunkStore
from ingest.models import Chunk, Document

CANDIDATES_PER_LEG = 50
# The dense leg's candidates come from the chunk vectors and from the sentence vectors (a chunk
# ranks by the mean of both): a chunk with one very close sentence can be far from the top by
# its own vector, so more sentences than chunks are fetched. With four times as many, the pool
# ranks every question of the bundled corpus's and NorQuAD validation's sets as scoring every
# row does (tests/index/test_candidate_pools.py, bench/scaling.py).
SENTENCE_CANDIDATES_PER_ROW = 4
FILTER_CACHE = 32  # distinct filters whose allowed rows are kept
# Chosen on NorQuAD validation with the sentence-aware dense leg (bench/tune_fusion.py).
LEXICAL_WEIGHT = 0.4


class Mode(StrEnum):
    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "lexical"


class ModelMismatch(RuntimeError):
    """The index was embedded with another model than the one loaded."""


@dataclass(frozen=True)
class Filters:
    doc_types: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None

    def admits(self, document: Document) -> bool:
        meta = document.meta
        if self.doc_types and meta.doc_type not in self.doc_types:
            return False
        if self.publishers and meta.publisher not in self.publishers:
            return False
        year = int(meta.date[:4]) if meta.date[:4].isdigit() else None
        if self.year_from is not None and (year is None or year < self.year_from):
            return False
        return not (self.year_to is not None and (year is None or year > self.year_to))


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    chunk: Chunk
    document: Document
    dense_score: float  # the dense leg's score (index.sentences.combined_dense), whatever the mode
    lexical_score: float  # raw BM25
    # (start, end, cosine with the query) of the chunk's indexed sentences, in text order
    sentences: tuple[Sentence, ...] = ()
    # The learned reranker's score, when it reordered the hit (index.rerank); `score` stays the
    # mode's own (fused, cosine or BM25), which the answer selector was fitted on.
    rerank_score: float | None = None

    @property
    def ranking_score(self) -> float:
        """The score the results are ordered by."""
        return self.score if self.rerank_score is None else self.rerank_score


@dataclass(frozen=True)
class QueryScores:
    """One query's score for every chunk row, leg by leg: what candidate search approximates,
    for benchmarks and tests. Costs a pass over every vector; never used to answer a query."""

    chunk: np.ndarray  # cosine with the chunk's own vector
    best_sentence: np.ndarray  # cosine with the chunk's best sentence; -inf if it has none
    dense: np.ndarray  # the dense leg: both of the above combined
    lexical: np.ndarray  # BM25 of the glossary-expanded query


@dataclass(frozen=True)
class Pool:
    """One query's candidate rows with each leg's exact score."""

    rows: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    sentences: RowSentences


@dataclass(frozen=True)
class Allowed:
    """The rows and sentences a filter admits."""

    rows: np.ndarray
    sentences: np.ndarray


class Searcher:
    """An open, read-only generation. Cheap to query from many threads at once.

    A query never scores every row: each leg proposes its own best candidates (the FAISS
    nearest chunks and sentences, the BM25 rows that hold a query term), the candidates get
    every leg's exact score, and the legs are fused over that pool. With a reranker, the top of
    the fused hybrid ranking is then reordered by it."""

    def __init__(
        self, generation_dir: Path, embedder: Embedder, reranker: Reranker | None = None
    ) -> None:
        generation = Generation(generation_dir)
        self.directory = generation_dir
        self.manifest = generation.read_manifest()
        if self.manifest.model != embedder.model_id:
            raise ModelMismatch(
                f"Indeksen er laget med modellen {self.manifest.model}, men {embedder.model_id} "
                "er lastet. Kjør `refark ingest` på nytt for å bygge indeksen med denne modellen."
            )
        self._embedder = embedder
        self.reranker = reranker
        self.store = ChunkStore(generation.store_path)
        self._dense = DenseIndex(generation.dense_path)
        self._sentences = SentenceIndex(
            generation.sentence_vectors_path, generation.sentence_spans_path
        )
        self._lexical = LexicalIndex.load(generation.lexical_dir)
        self.glossary = Glossary.load(generation.glossary_path)
        self.vocabulary = Vocabulary.load(generation.vocabulary_path)
        self.documents = {e.document.doc_id: e.document for e in self.store.catalog()}
        position = {doc_id: i for i, doc_id in enumerate(self.documents)}
        # Each chunk row's document as a position in self.documents, so that a filter is
        # judged once per document and spread to the rows by indexing.
        self._row_documents = np.array(
            [position[d] for d in self.store.row_doc_ids()], dtype=np.int64
        )
        self._filtered: dict[Filters, Allowed] = {}
        self._filter_lock = threading.Lock()

    def _allowed(self, filters: Filters) -> Allowed | None:
        """What the filters admit; None when they admit everything."""
        if filters == Filters():
            return None
        with self._filter_lock:  # requests search from several threads at once
            if filters not in self._filtered:
                admitted = np.array(
                    [filters.admits(doc) for doc in self.documents.values()], dtype=bool
                )
                rows = admitted[self._row_documents]
                if len(self._filtered) >= FILTER_CACHE:
                    self._filtered.pop(next(iter(self._filtered)))
                self._filtered[filters] = Allowed(rows, self._sentences.allowed(rows))
            return self._filtered[filters]

    @property
    def lexical_only(self) -> bool:
        """Whether this generation has no embeddings yet (a first start): BM25 only."""
        return not self.manifest.embedded

    def _query_vector(self, query: str) -> np.ndarray | None:
        # A lexical-only generation's vectors are zeros: every cosine is 0 whatever the query,
        # so the model (perhaps not loaded yet) is not asked.
        return None if self.lexical_only else self._embedder.embed_query(query)

    def exhaustive_scores(self, query: str) -> QueryScores:
        """Every row's score on every leg (see QueryScores)."""
        vector = self._query_vector(query)
        size = self._dense.size
        if vector is None:
            chunk = np.zeros(size, dtype=np.float32)
            best_sentence = np.full(size, -np.inf, dtype=np.float32)
        else:
            chunk = self._dense.cosines(vector, np.arange(size))
            best_sentence = self._sentences.best_of_every_row(vector, size)
        lexical = np.zeros(size, dtype=np.float32)
        matches = self._lexical.matches(self.glossary.expand(query))
        lexical[matches.rows] = matches.scores
        return QueryScores(chunk, best_sentence, combined_dense(chunk, best_sentence), lexical)

    def _pool(self, rows: np.ndarray, vector: np.ndarray | None, lexical: LexicalMatches) -> Pool:
        sentences = self._sentences.of_rows(vector, rows)
        if vector is None:
            dense = np.zeros(len(rows), dtype=np.float32)
        else:
            dense = combined_dense(self._dense.cosines(vector, rows), sentences.best())
        return Pool(rows, dense, lexical.of(rows), sentences)

    def _candidates(
        self,
        vector: np.ndarray | None,
        lexical: LexicalMatches,
        depth: int,
        allowed: Allowed | None,
    ) -> np.ndarray:
        """The rows each leg proposes, before exact scoring."""
        rows_allowed = None if allowed is None else allowed.rows
        rows = [lexical.best(depth, rows_allowed)]
        if vector is not None:
            nearest, _ = self._dense.nearest(vector, depth, rows_allowed)
            rows.append(nearest)
            rows.append(
                self._sentences.nearest_rows(
                    vector,
                    SENTENCE_CANDIDATES_PER_ROW * depth,
                    None if allowed is None else allowed.sentences,
                )
            )
        return np.unique(np.concatenate(rows)).astype(np.int64)

    def correct(self, query: str) -> Correction:
        """The query with the words this index does not know replaced by the closest words it
        does; unchanged for a generation written without a vocabulary."""
        return self.vocabulary.correct(query)

    def query_terms(self, text: str) -> QueryTerms:
        """The text's word stems with their idf, and which of them no chunk holds."""
        return self._lexical.query_terms(text)

    def term_weights(self, text: str) -> dict[str, float]:
        """How telling each of the text's word stems is in this corpus (BM25 idf)."""
        return self._lexical.idf(tokenize(text))

    def search(
        self, query: str, k: int = 10, mode: Mode = Mode.HYBRID, filters: Filters | None = None
    ) -> list[Hit]:
        if self.lexical_only:
            mode = Mode.LEXICAL
        allowed = self._allowed(filters or Filters())
        depth = max(k, CANDIDATES_PER_LEG)
        vector = self._query_vector(query)
        lexical = self._lexical.matches(self.glossary.expand(query))
        proposed = self._candidates(
            None if mode is Mode.LEXICAL else vector, lexical, depth, allowed
        )
        pool = self._pool(proposed, vector, lexical)
        if mode is Mode.DENSE:
            chosen = top_rows(pool.dense, k)
            scored = dict(zip(chosen, pool.dense[chosen], strict=True))
        elif mode is Mode.LEXICAL:
            chosen = top_rows(pool.lexical, k)
            scored = dict(zip(chosen, pool.lexical[chosen], strict=True))
        else:
            fused = np.union1d(top_rows(pool.dense, depth), top_rows(pool.lexical, depth))
            scored = weighted_fusion(pool.dense, pool.lexical, fused, LEXICAL_WEIGHT)
        # The reranker was fitted on the fused hybrid ranking's top `depth` hits, so it sees
        # that many whatever k is.
        reranker = self.reranker if mode is Mode.HYBRID else None
        wanted = k if reranker is None else max(k, reranker.depth)
        ranked = sorted(scored.items(), key=lambda item: -item[1])[:wanted]
        chunks = self.store.chunks(int(pool.rows[at]) for at, _ in ranked)
        hits = [
            Hit(
                rank=rank,
                score=float(score),
                chunk=chunks[int(pool.rows[at])],
                document=self.documents[chunks[int(pool.rows[at])].doc_id],
                dense_score=float(pool.dense[at]),
                lexical_score=float(pool.lexical[at]),
                sentences=pool.sentences.of(at),
            )
            for rank, (at, score) in enumerate(ranked, start=1)
        ]
        if reranker is not None:
            hits = reranker.rerank(query, hits, self.term_weights, self.glossary)
        return hits[:k]

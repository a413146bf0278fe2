"""Search one index generation: dense, lexical or hybrid, with metadata filters."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from index.dense import DenseIndex
from index.embedder import Embedder
from index.fusion import top_rows, weighted_fusion
from index.generation import Generation
from index.glossary import Glossary
from index.lexical import LexicalIndex, QueryTerms, tokenize
from index.sentences import SentenceIndex, SentenceScores, combined_dense
from index.spelling import Correction, Vocabulary
from index.store import ChunkStore
from ingest.models import Chunk, Document

CANDIDATES_PER_LEG = 50
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
    sentences: tuple[tuple[int, int, float], ...] = ()


@dataclass(frozen=True)
class QueryScores:
    """One query's score for every chunk row, leg by leg."""

    chunk: np.ndarray  # cosine with the chunk's own vector
    best_sentence: np.ndarray  # cosine with the chunk's best sentence; -inf if it has none
    dense: np.ndarray  # the dense leg: both of the above combined
    lexical: np.ndarray  # BM25 of the glossary-expanded query
    sentences: SentenceScores


class Searcher:
    """An open, read-only generation. Cheap to query from many threads at once."""

    def __init__(self, generation_dir: Path, embedder: Embedder) -> None:
        generation = Generation(generation_dir)
        self.directory = generation_dir
        self.manifest = generation.read_manifest()
        if self.manifest.model != embedder.model_id:
            raise ModelMismatch(
                f"Indeksen er laget med modellen {self.manifest.model}, men {embedder.model_id} "
                "er lastet. Kjør `refark ingest` på nytt for å bygge indeksen med denne modellen."
            )
        self._embedder = embedder
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

    def _allowed(self, filters: Filters) -> np.ndarray:
        if filters == Filters():
            return np.ones(len(self._row_documents), dtype=bool)
        admitted = np.array([filters.admits(doc) for doc in self.documents.values()], dtype=bool)
        return admitted[self._row_documents]

    @property
    def lexical_only(self) -> bool:
        """Whether this generation has no embeddings yet (a first start): BM25 only."""
        return not self.manifest.embedded

    def query_scores(self, query: str) -> QueryScores:
        # A lexical-only generation's vectors are zeros: every cosine is 0 whatever the query,
        # so the model (perhaps not loaded yet) is not asked.
        vector = (
            np.zeros(self._dense.dimension, dtype=np.float32)
            if self.lexical_only
            else self._embedder.embed_query(query)
        )
        sentences = self._sentences.scores(vector)
        chunk = self._dense.scores(vector)
        best_sentence = sentences.best_per_row(len(chunk))
        return QueryScores(
            chunk=chunk,
            best_sentence=best_sentence,
            dense=combined_dense(chunk, best_sentence),
            lexical=self._lexical.scores(self.glossary.expand(query)),
            sentences=sentences,
        )

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
        allowed = self._allowed(filters or Filters())
        if self.lexical_only:
            mode = Mode.LEXICAL
        scores = self.query_scores(query)
        dense, lexical = scores.dense, scores.lexical
        if mode is Mode.DENSE:
            rows = top_rows(dense, allowed, k)
            scored = {int(r): float(dense[r]) for r in rows}
        elif mode is Mode.LEXICAL:
            rows = top_rows(lexical, allowed, k)
            scored = {int(r): float(lexical[r]) for r in rows}
        else:
            pool = np.union1d(
                top_rows(dense, allowed, CANDIDATES_PER_LEG),
                top_rows(lexical, allowed, CANDIDATES_PER_LEG),
            )
            scored = weighted_fusion(dense, lexical, pool, LEXICAL_WEIGHT)
        ranked = sorted(scored.items(), key=lambda item: -item[1])[:k]
        chunks = self.store.chunks(row for row, _ in ranked)
        return [
            Hit(
                rank=rank,
                score=score,
                chunk=chunks[row],
                document=self.documents[chunks[row].doc_id],
                dense_score=float(dense[row]),
                lexical_score=float(lexical[row]),
                sentences=scores.sentences.of_row(row),
            )
            for rank, (row, score) in enumerate(ranked, start=1)
        ]

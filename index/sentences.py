"""The sentence leg of dense search: each sentence of each chunk embedded on its own.

A question is usually answered by one sentence, whose meaning is diluted in the vector of a
250-word chunk. Ranked by their best sentence alone, NorQuAD validation chunks reach MRR@10
0.890 against 0.793 for the chunk vectors (bench/tune_fusion.py compares the variants)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.dense import DenseIndex, write_dense
from ingest.models import Chunk
from ingest.sentences import sentence_spans

# Bump when the sentences of a chunk change (splitter, MIN_WORDS): the next ingest then
# writes a new generation even if no document changed.
SENTENCE_VERSION = "1"
MIN_WORDS = 3  # shorter pieces ("Se figur 2.") match anything and say nothing


def chunk_sentences(chunk: Chunk) -> list[tuple[int, int]]:
    """Offsets in `chunk.text` of the sentences that get a vector of their own."""
    return sentence_spans(chunk.text, MIN_WORDS)


def write_sentences(
    vectors_path: Path, spans_path: Path, vectors: np.ndarray, spans: np.ndarray
) -> None:
    """`spans` holds one (chunk row, start, end) per vector, in row order."""
    write_dense(vectors_path, vectors)
    np.save(spans_path, spans.astype(np.int32).reshape(-1, 3))


def combined_dense(chunk_scores: np.ndarray, best_sentence: np.ndarray) -> np.ndarray:
    """The dense leg: the mean of the chunk's cosine and its best sentence's cosine. The chunk
    vector carries the title and section path, which a bare sentence lacks. A chunk without
    an indexed sentence keeps its own cosine."""
    mean = (chunk_scores + best_sentence) / 2  # -inf where the chunk has no sentence
    return np.where(np.isfinite(best_sentence), mean, chunk_scores).astype(np.float32)


Sentence = tuple[int, int, float]  # start and end in the chunk's text, cosine with the query


@dataclass(frozen=True)
class RowSentences:
    """The indexed sentences of some chunk rows, with their cosine to one query."""

    spans: np.ndarray  # (n, 3): chunk row, start, end
    cosines: np.ndarray  # (n,)
    bounds: np.ndarray  # row i's sentences are [bounds[i], bounds[i + 1])

    def best(self) -> np.ndarray:
        """Each row's best sentence cosine; -inf for a row without indexed sentences."""
        best = np.full(len(self.bounds) - 1, -np.inf, dtype=np.float32)
        starts = self.bounds[:-1]
        filled = self.bounds[1:] > starts
        if filled.any():
            # empty rows are skipped, so each reduced run ends where the next filled row starts
            best[filled] = np.maximum.reduceat(self.cosines, starts[filled])
        return best

    def of(self, i: int) -> tuple[Sentence, ...]:
        """Row i's sentences, in text order."""
        first, last = self.bounds[i], self.bounds[i + 1]
        spans, cosines = self.spans[first:last].tolist(), self.cosines[first:last].tolist()
        return tuple(
            (start, end, cosine) for (_, start, end), cosine in zip(spans, cosines, strict=True)
        )


class SentenceIndex:
    """The sentence vectors of one generation. A generation written before sentences were
    indexed has none: every chunk then ranks by its own vector, as it did then."""

    def __init__(self, vectors_path: Path, spans_path: Path) -> None:
        self._dense = DenseIndex(vectors_path) if vectors_path.exists() else None
        self._spans = (
            np.load(spans_path, mmap_mode="r")
            if spans_path.exists()
            else np.zeros((0, 3), dtype=np.int32)
        )
        # spans are written in row order, so a row's sentences are one run of this column
        self._rows = self._spans[:, 0]

    @property
    def size(self) -> int:
        return len(self._spans)

    def allowed(self, rows: np.ndarray) -> np.ndarray:
        """Which sentences belong to an allowed chunk row."""
        return rows[self._rows]

    def nearest_rows(
        self, query: np.ndarray, count: int, allowed: np.ndarray | None = None
    ) -> np.ndarray:
        """The chunk rows of the `count` sentences closest to the query (`allowed`: a boolean
        per sentence)."""
        if self._dense is None or self.size == 0:
            return np.zeros(0, dtype=np.int64)
        ids, _ = self._dense.nearest(query, count, allowed)
        return np.unique(self._rows[ids]).astype(np.int64)

    def best_of_every_row(self, query: np.ndarray, row_count: int) -> np.ndarray:
        """Every chunk row's best sentence cosine (-inf without sentences), by scoring every
        sentence: the exhaustive reference that candidate search is measured against."""
        best = np.full(row_count, -np.inf, dtype=np.float32)
        if self._dense is not None and self.size:
            cosines = self._dense.cosines(query, np.arange(self.size))
            np.maximum.at(best, self._rows, cosines)
        return best

    def of_rows(self, query: np.ndarray | None, rows: np.ndarray) -> RowSentences:
        """The given rows' sentences with their cosine; all 0 without a query (a lexical-only
        generation)."""
        firsts = np.searchsorted(self._rows, rows, side="left")
        lasts = np.searchsorted(self._rows, rows, side="right")
        counts = lasts - firsts
        bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        # every sentence id of every row, without a Python loop over the rows
        ids = (np.repeat(firsts - bounds[:-1], counts) + np.arange(bounds[-1])).astype(np.int64)
        if query is None or self._dense is None:
            cosines = np.zeros(len(ids), dtype=np.float32)
        else:
            cosines = self._dense.cosines(query, ids)
        return RowSentences(np.asarray(self._spans[ids]).reshape(-1, 3), cosines, bounds)

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


@dataclass(frozen=True)
class SentenceScores:
    """One query's cosine with every indexed sentence."""

    spans: np.ndarray  # (n, 3): chunk row, start, end
    scores: np.ndarray  # (n,)

    def best_per_row(self, row_count: int) -> np.ndarray:
        """Each chunk row's best sentence cosine; -inf for a row without indexed sentences."""
        best = np.full(row_count, -np.inf, dtype=np.float32)
        np.maximum.at(best, self.spans[:, 0], self.scores)
        return best

    def of_row(self, row: int) -> tuple[tuple[int, int, float], ...]:
        """(start, end, cosine) of one chunk's sentences, in text order."""
        first, last = np.searchsorted(self.spans[:, 0], [row, row + 1])
        return tuple(
            (int(start), int(end), float(score))
            for (_, start, end), score in zip(
                self.spans[first:last], self.scores[first:last], strict=True
            )
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

    @property
    def size(self) -> int:
        return len(self._spans)

    def scores(self, query: np.ndarray) -> SentenceScores:
        if self._dense is None or self.size == 0:
            return SentenceScores(self._spans, np.zeros(0, dtype=np.float32))
        return SentenceScores(self._spans, self._dense.scores(query))

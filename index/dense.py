"""The dense leg: normalized embeddings in FAISS, searched by inner product (= cosine)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


def write_dense(path: Path, vectors: np.ndarray) -> None:
    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(path))


class DenseIndex:
    def __init__(self, path: Path) -> None:
        # MMAP_IFC maps a flat index's vectors from the file (plain MMAP copies them), so the
        # workers of `refark serve --workers N` share one copy in the page cache.
        self._index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)

    @property
    def size(self) -> int:
        return self._index.ntotal

    @property
    def dimension(self) -> int:
        return self._index.d

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of the query with every row."""
        if self.size == 0:
            return np.zeros(0, dtype=np.float32)
        query = query.reshape(1, self._index.d).astype(np.float32)
        scores, rows = self._index.search(query, self.size)
        result = np.zeros(self.size, dtype=np.float32)
        result[rows[0]] = scores[0]
        return result

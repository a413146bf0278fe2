"""The dense leg: normalized embeddings in FAISS, searched by inner product (= cosine).

Up to EXACT_LIMIT vectors the index is exact (a flat scan); above it, a scan costs more than a
query embedding (about 5 ms per 100,000 vectors here), so the index is an HNSW graph over the
same vectors, which finds the nearest ones in milliseconds whatever the size. Either way
the vectors themselves stay readable, so a candidate's exact cosine is always at hand."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

# Measured with bench/scaling.py: below this a flat scan is faster than the graph's overhead.
EXACT_LIMIT = 50_000
# M, links per vector. On the 561,746 synthetic sentence vectors of bench/scaling.py, M 32 left
# parts of the graph out of reach (recall@10 stopped at 0.96 however deep the search); M 64
# reached 0.99, for 1.5 times the build time and 0.25 KB more per vector.
HNSW_NEIGHBOURS = 64
HNSW_BUILD_DEPTH = 80  # efConstruction
# efSearch, at least (raised to twice the rows asked for). With M 64 on those synthetic vectors,
# questions of the corpus set found 0.977 of the exact top 10 at 1,024 and 0.994 at 2,048 (12 ms
# a query). Real passages need far less (0.997 at 128 over 22,591 real sentence vectors), but
# neither the sentences nor the passages themselves, used as queries at build time, predicted
# what questions need (they found 0.98 at 128 on the synthetic vectors, questions 0.69): the
# depth cannot be chosen from the data, so it is the one that holds for the hard case.
HNSW_SEARCH_DEPTH = 2048


def use_threads(count: int) -> None:
    """FAISS's OpenMP threads for this process. One query vector gains nothing from more than
    one, and with two on two busy cores a flat search of 10,000 vectors took 16 ms instead of
    0.4 ms (the threads spin waiting for each other)."""
    faiss.omp_set_num_threads(count)


def write_dense(path: Path, vectors: np.ndarray, exact_limit: int = EXACT_LIMIT) -> None:
    dimension = vectors.shape[1]
    if len(vectors) <= exact_limit:
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_BUILD_DEPTH
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(path))


class DenseIndex:
    def __init__(self, path: Path) -> None:
        # MMAP_IFC maps a flat index's vectors from the file (plain MMAP copies them), so the
        # workers of `refark serve --workers N` share one copy in the page cache.
        self._index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
        self.approximate = isinstance(self._index, faiss.IndexHNSW)

    @property
    def size(self) -> int:
        return self._index.ntotal

    @property
    def dimension(self) -> int:
        return self._index.d

    def nearest(
        self, query: np.ndarray, count: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The rows of the `count` vectors closest to the query, best first, with their
        cosines; with `allowed` (a boolean per row), only among those rows."""
        count = min(count, self.size)
        if count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        query = query.reshape(1, self._index.d).astype(np.float32)
        selector = None
        if allowed is not None:
            # The selector only points at the bits: `bits` must live until the search is done.
            bits = np.packbits(allowed, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
        if self.approximate:
            depth = max(HNSW_SEARCH_DEPTH, 2 * count)
            parameters = faiss.SearchParametersHNSW(sel=selector, efSearch=depth)
        else:
            parameters = faiss.SearchParameters(sel=selector)
        scores, rows = self._index.search(query, count, params=parameters)
        found = rows[0] >= 0  # fewer than `count` rows may be allowed
        return rows[0][found], scores[0][found]

    def cosines(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The exact cosine of the query with each of the given rows."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        vectors = self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        # einsum, not `@`: a matrix-vector product goes to BLAS, whose threads spin against
        # each other on a busy 2-core machine (6 ms instead of 0.05 ms for 900 vectors)
        return np.einsum("ij,j->i", vectors, query.astype(np.float32)).astype(np.float32)

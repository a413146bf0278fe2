"""Combine the dense and lexical legs into one ranking."""

from __future__ import annotations

import numpy as np


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n best positive scores, best first."""
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > n:
        candidates = candidates[np.argpartition(-scores[candidates], n - 1)[:n]]
    return candidates[np.argsort(-scores[candidates], kind="stable")]


def reciprocal_rank_fusion(rankings: list[np.ndarray], k: int = 60) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking):
            fused[int(row)] = fused.get(int(row), 0.0) + 1.0 / (k + rank + 1)
    return fused


def standardized(scores: np.ndarray) -> np.ndarray:
    spread = float(scores.std())
    return (scores - scores.mean()) / spread if spread > 1e-9 else np.zeros_like(scores)


def weighted_fusion(
    dense: np.ndarray, lexical: np.ndarray, candidates: np.ndarray, lexical_weight: float
) -> dict[int, float]:
    """Weighted sum of each leg's scores, standardized over the candidate pool.

    The legs' raw scales differ (cosine in a narrow band around 0.8, BM25 unbounded), so each
    is turned into "how far above this query's typical candidate" before they are added.
    Chosen on NorQuAD validation over min–max scaling and reciprocal rank fusion
    (bench/tune_fusion.py)."""
    if len(candidates) == 0:
        return {}
    combined = (1 - lexical_weight) * standardized(
        dense[candidates]
    ) + lexical_weight * standardized(lexical[candidates])
    return {int(row): float(score) for row, score in zip(candidates, combined, strict=True)}

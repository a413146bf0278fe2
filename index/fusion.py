"""Combine the dense and lexical legs into one ranking."""

from __future__ import annotations

import numpy as np


def top_rows(scores: np.ndarray, allowed: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n best allowed rows with a positive score, best first."""
    candidates = np.flatnonzero(allowed & (scores > 0))
    if len(candidates) > n:
        candidates = candidates[np.argpartition(-scores[candidates], n - 1)[:n]]
    return candidates[np.argsort(-scores[candidates], kind="stable")]


def reciprocal_rank_fusion(rankings: list[np.ndarray], k: int = 60) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking):
            fused[int(row)] = fused.get(int(row), 0.0) + 1.0 / (k + rank + 1)
    return fused


def weighted_fusion(
    dense: np.ndarray, lexical: np.ndarray, candidates: np.ndarray, lexical_weight: float
) -> dict[int, float]:
    """Convex combination of each leg's scores scaled to [0, 1] over the candidate pool.

    Dense cosine scores of e5 sit in a narrow band (about 0.7–0.9), so they are min–max
    scaled; BM25 is scaled by its maximum so a weak lexical match stays weak."""
    if len(candidates) == 0:
        return {}
    d = dense[candidates]
    spread = float(d.max() - d.min())
    d = (d - d.min()) / spread if spread > 1e-9 else np.ones_like(d)
    lex = lexical[candidates]
    top = float(lex.max())
    lex = lex / top if top > 0 else np.zeros_like(lex)
    combined = (1 - lexical_weight) * d + lexical_weight * lex
    return {int(row): float(score) for row, score in zip(candidates, combined, strict=True)}

"""Compare dense legs and ways of fusing them with the lexical leg on NorQuAD *validation*
(the tuning split).

Each question's full score arrays (every row, not the candidate pool search uses) are computed
once; every variant is then ranked from the same arrays, so the comparison is like for like. The
dense leg is either the chunk vector alone, the chunk's best sentence alone, or their mean (what
Refark uses). Run bench/norquad.py first (it builds the index and writes the question files).
Never point this at the test split.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import BENCH_VAR, load_embedder, log, open_searcher

from index.embedder import DEFAULT_MODEL
from index.fusion import reciprocal_rank_fusion, top_rows, weighted_fusion
from index.search import CANDIDATES_PER_LEG, QueryScores
from service.evaluation import RelevanceJudge, read_questions

Ranker = Callable[[QueryScores], list[int]]


def ranked(scored: dict[int, float]) -> list[int]:
    return [row for row, _ in sorted(scored.items(), key=lambda item: -item[1])[:10]]


def pool(dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
    return np.union1d(top_rows(dense, CANDIDATES_PER_LEG), top_rows(lexical, CANDIDATES_PER_LEG))


DENSE_LEGS: dict[str, Callable[[QueryScores], np.ndarray]] = {
    "chunk": lambda q: q.chunk,
    "sentence": lambda q: np.where(np.isfinite(q.best_sentence), q.best_sentence, q.chunk),
    "chunk+sentence": lambda q: q.dense,
}


def variants() -> dict[str, Ranker]:
    def top(scores: np.ndarray, n: int = 10) -> list[int]:
        return list(top_rows(scores, n))

    found: dict[str, Ranker] = {"lexical": lambda q: top(q.lexical)}
    for name, leg in DENSE_LEGS.items():
        found[f"dense: {name}"] = lambda q, leg=leg: top(leg(q))
    for name, leg in DENSE_LEGS.items():
        found[f"rrf k=60, dense: {name}"] = lambda q, leg=leg: ranked(
            reciprocal_rank_fusion(
                [top(leg(q), CANDIDATES_PER_LEG), top(q.lexical, CANDIDATES_PER_LEG)]
            )
        )
        for weight in (0.3, 0.4, 0.5, 0.6):
            for fusion_name, fusion in (
                ("min-max", min_max_fusion),
                ("standardized", weighted_fusion),
            ):
                found[f"{fusion_name} w_lex={weight}, dense: {name}"] = (
                    lambda q, leg=leg, w=weight, fuse=fusion: ranked(
                        fuse(leg(q), q.lexical, pool(leg(q), q.lexical), w)
                    )
                )
    return found


def min_max_fusion(
    dense: np.ndarray, lexical: np.ndarray, candidates: np.ndarray, lexical_weight: float
) -> dict[int, float]:
    """The alternative to index.fusion.weighted_fusion: each leg scaled to [0, 1]."""

    def scaled(scores: np.ndarray) -> np.ndarray:
        spread = float(scores.max() - scores.min())
        return (scores - scores.min()) / spread if spread > 1e-9 else np.ones_like(scores)

    combined = (1 - lexical_weight) * scaled(dense[candidates]) + lexical_weight * scaled(
        lexical[candidates]
    )
    return {int(r): float(s) for r, s in zip(candidates, combined, strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, default=BENCH_VAR / "norquad" / "index")
    parser.add_argument(
        "--questions", type=Path, default=BENCH_VAR / "norquad" / "validation.jsonl"
    )
    args = parser.parse_args()
    if "test" in args.questions.name:
        raise SystemExit("tune_fusion.py tunes: use the validation split, never test")
    searcher = open_searcher(args.index_dir, load_embedder(DEFAULT_MODEL))
    judge = RelevanceJudge(searcher)
    row_ids = searcher.store.row_chunk_ids()
    questions = [q for q in read_questions(args.questions) if q.relevant]
    log(f"scoring {len(questions)} questions once per leg ...")
    cases = [
        (searcher.exhaustive_scores(q.question), judge.relevant_chunk_ids(q)) for q in questions
    ]
    print("| variant | MRR@10 | recall@1 | recall@5 |\n|---|---:|---:|---:|")
    for name, rank in variants().items():
        reciprocal, first, five = 0.0, 0, 0
        for scores, relevant in cases:
            hits = [row_ids[r] in relevant for r in rank(scores)]
            if True in hits:
                position = hits.index(True) + 1
                reciprocal += 1 / position
                first += position == 1
                five += position <= 5
        n = len(cases)
        print(f"| {name} | {reciprocal / n:.3f} | {first / n:.3f} | {five / n:.3f} |")


if __name__ == "__main__":
    main()

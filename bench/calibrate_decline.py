"""Calibrate when `ask` declines ("fant ikke svar"), on NorQuAD *validation*.

NorQuAD has no unanswerable questions, so we make them: every validation question is asked
twice, once against the full index (answerable) and once with its own passage removed from
the hits (held out: the corpus no longer holds the answer; related passages on the same topic
remain, which makes these hard negatives). For each threshold setting we report the share of
held-out questions declined and of answerable ones answered, and pick the setting that declines
most while answering at least `--min-answered` of the answerable ones.
Run bench/norquad.py first. Never point this at the test split.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
from common import BENCH_VAR, load_embedder, log, open_searcher

from index.embedder import DEFAULT_MODEL
from index.search import Mode
from service.answer import ASK_HITS as HITS
from service.answer import Evidence, EvidencePolicy, evidence_of
from service.evaluation import read_questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, default=BENCH_VAR / "norquad" / "index")
    parser.add_argument(
        "--questions", type=Path, default=BENCH_VAR / "norquad" / "validation.jsonl"
    )
    parser.add_argument("--min-answered", type=float, default=0.915)
    args = parser.parse_args()
    if "test" in args.questions.name:
        raise SystemExit("calibrate_decline.py tunes: use the validation split, never test")
    searcher = open_searcher(args.index_dir, load_embedder(DEFAULT_MODEL))
    by_source = {d.source: d.doc_id for d in searcher.documents.values()}
    answerable: list[Evidence] = []
    held_out: list[Evidence] = []
    questions = [q for q in read_questions(args.questions) if q.relevant]
    log(f"collecting evidence for {len(questions)} questions ...")
    for question in questions:
        hits = searcher.search(question.question, k=HITS + 10, mode=Mode.HYBRID)
        own = {by_source.get(r.doc) for r in question.relevant}
        weights = searcher.term_weights(question.question)
        answerable.append(evidence_of(question.question, hits[:HITS], weights))
        others = [h for h in hits if h.document.doc_id not in own][:HITS]
        held_out.append(evidence_of(question.question, others, weights))

    current = EvidencePolicy()
    settings = [
        EvidencePolicy(
            coverage_weight=float(round(w, 2)), min_score=float(round(t, 3)), strong_sentence=s
        )
        for w, t, s in itertools.product(
            np.arange(0.0, 0.42, 0.02),
            np.arange(0.84, 1.12, 0.004),
            [0.87, 0.88, 0.89, 0.9, 0.91, 1.01],
        )
    ]

    def rates(policy: EvidencePolicy) -> tuple[float, float]:
        answered = sum(policy.admits(e) for e in answerable) / len(answerable)
        declined = sum(not policy.admits(e) for e in held_out) / len(held_out)
        return answered, declined

    scored = sorted(((rates(p), p) for p in settings), key=lambda item: -item[0][1])
    eligible = [(r, p) for r, p in scored if r[0] >= args.min_answered]
    print("| policy | answered (answerable) | declined (held out) |\n|---|---:|---:|")
    answered, declined = rates(current)
    print(f"| current {current} | {answered:.3f} | {declined:.3f} |")
    for (answered, declined), policy in eligible[:5]:
        print(f"| {policy} | {answered:.3f} | {declined:.3f} |")


if __name__ == "__main__":
    main()

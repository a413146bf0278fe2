"""Query latency per search mode on one index: median and p95 milliseconds of Searcher.search
for dense, lexical and hybrid, measured in one run on the same questions (modes interleaved, so
the comparison is like for like), and the hybrid/dense ratio against the target of at most 1.5.
The query embedding alone is timed too, as the floor every mode pays.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch
from common import BENCH_VAR, load_embedder, log, open_searcher, percentile

from index.embedder import DEFAULT_MODEL
from index.generation import IndexMissing
from index.search import Mode
from service.evaluation import read_questions
from service.settings import get_settings

MODES = (Mode.DENSE, Mode.LEXICAL, Mode.HYBRID)
EMBED_ONLY = "embed_query only"
TARGET_RATIO = 1.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, default=BENCH_VAR / "norquad" / "index")
    parser.add_argument(
        "--questions", type=Path, default=BENCH_VAR / "norquad" / "validation.jsonl"
    )
    parser.add_argument("-n", "--count", type=int, default=200, help="questions to time")
    parser.add_argument("--warmup", type=int, default=20, help="untimed questions first")
    parser.add_argument("-k", type=int, default=10, help="results per search")
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help="embedding model (default: %(default)s)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=get_settings().serve_threads,
        help="torch threads, as `refark serve` uses them (default: %(default)s)",
    )
    args = parser.parse_args()
    if not args.questions.is_file():
        sys.exit(f"error: {args.questions} not found; run bench/norquad.py first")

    questions = [q.question for q in read_questions(args.questions)]
    timed = questions[: args.count]
    embedder = load_embedder(args.model)
    embedder.use_threads(args.threads)
    try:
        searcher = open_searcher(args.index_dir, embedder)
    except IndexMissing:
        sys.exit(f"error: no index in {args.index_dir}; run bench/norquad.py first")

    load_at_start = os.getloadavg()[0]
    log(f"Warming up on {min(args.warmup, len(questions))} questions ...")
    for question in questions[: args.warmup]:
        embedder.embed_query(question)
        for mode in MODES:
            searcher.search(question, k=args.k, mode=mode)

    log(f"Timing {len(timed)} questions x {len(MODES)} modes ...")
    timings: dict[str, list[float]] = {m.value: [] for m in MODES}
    timings[EMBED_ONLY] = []
    for number, question in enumerate(timed):
        started = time.perf_counter()
        embedder.embed_query(question)
        timings[EMBED_ONLY].append((time.perf_counter() - started) * 1000)
        # Rotate the order so no mode always runs first (or last) after a question changes.
        for mode in MODES[number % len(MODES) :] + MODES[: number % len(MODES)]:
            started = time.perf_counter()
            searcher.search(question, k=args.k, mode=mode)
            timings[mode.value].append((time.perf_counter() - started) * 1000)

    manifest = searcher.manifest
    print(
        f"Latency on {args.index_dir} ({manifest.chunk_count} chunks, {manifest.document_count} "
        f"documents, model {manifest.model}, k={args.k}, {torch.get_num_threads()} torch threads; "
        f"1-min load average {load_at_start:.1f} on {os.cpu_count()} CPUs at start)"
    )
    print("| mode | queries | median ms | p95 ms | mean ms |")
    print("|---|---:|---:|---:|---:|")
    summary: dict[str, tuple[float, float]] = {}
    for name, values in timings.items():
        ordered = sorted(values)
        summary[name] = (statistics.median(ordered), percentile(ordered, 95))
        print(
            f"| {name} | {len(ordered)} | {summary[name][0]:.1f} | {summary[name][1]:.1f} | "
            f"{statistics.fmean(ordered):.1f} |"
        )
    median_ratio = summary[Mode.HYBRID.value][0] / summary[Mode.DENSE.value][0]
    p95_ratio = summary[Mode.HYBRID.value][1] / summary[Mode.DENSE.value][1]
    verdict = "met" if median_ratio <= TARGET_RATIO else "NOT met"
    print(
        f"\nhybrid/dense: {median_ratio:.2f}x median, {p95_ratio:.2f}x p95 "
        f"(target <= {TARGET_RATIO}x median: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Raw encode throughput of the embedding model per backend (torch, ONNX float32, ONNX int8) on
the bundled corpus's chunk passages and sentences, as ratios to torch in the same run, with the
cosine agreement of each backend's vectors with torch's.

Throughput is `Embedder.embed_passages` in a tight loop (length-sorted batches, as ingest does),
the best over the batch sizes and rounds; the backends are interleaved within each round, so a
change in the machine's load hits them alike. Every backend gets the same thread count. The
1-minute load average is printed beside each figure: the machine is shared.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import REPO_ROOT, document_texts, load_embedder, log, spread_sample

from index.embedder import BACKENDS, DEFAULT_MODEL, Embedder


@dataclass(frozen=True)
class Timing:
    texts_per_second: float
    batch_size: int
    load: float  # 1-minute load average when the timing ended


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def timed(embedder: Embedder, texts: list[str], batch_size: int) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = embedder.embed_passages(texts, batch_size=batch_size)
    return len(texts) / (time.perf_counter() - started), vectors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT / "corpus")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--chunks", type=int, default=200, help="chunk passages to encode")
    parser.add_argument("--sentences", type=int, default=400, help="sentences to encode")
    parser.add_argument("--batch-sizes", default="8,16,32")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads, every backend")
    args = parser.parse_args()
    backends = args.backends.split(",")
    if backends[0] != "torch":
        sys.exit("error: the first backend must be torch (the reference)")
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]

    passages, sentences = document_texts(args.corpus)
    kinds = {
        "chunks": spread_sample(passages, args.chunks),
        "sentences": spread_sample(sentences, args.sentences),
    }
    log(f"Corpus: {len(passages)} chunks, {len(sentences)} sentences; encoding a sample of ")
    log("  " + ", ".join(f"{len(texts)} {kind}" for kind, texts in kinds.items()))

    embedders = {}
    for backend in backends:
        embedder = load_embedder(args.model, backend)
        embedder.use_threads(args.threads)
        embedder.embed_passages(kinds["sentences"][:16])  # load, export if needed, warm up
        embedders[backend] = embedder

    best: dict[tuple[str, str], Timing] = {}
    vectors: dict[tuple[str, str], np.ndarray] = {}
    for round_number in range(1, args.rounds + 1):
        for kind, texts in kinds.items():
            for batch_size in batch_sizes:
                for backend, embedder in embedders.items():
                    rate, vectors[backend, kind] = timed(embedder, texts, batch_size)
                    timing = Timing(rate, batch_size, load_average())
                    log(
                        f"  round {round_number} {kind:<9} {backend:<9} batch {batch_size:>2}: "
                        f"{rate:6.1f} texts/s (load {timing.load:.2f})"
                    )
                    key = (backend, kind)
                    if key not in best or rate > best[key].texts_per_second:
                        best[key] = timing

    print(
        f"Encode throughput, {args.threads} intra-op threads for every backend, best of batch "
        f"sizes {args.batch_sizes} over {args.rounds} rounds"
    )
    print()
    print("| texts | backend | texts/s | batch | load avg | × torch | mean cos | min cos |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for kind, texts in kinds.items():
        reference = best["torch", kind].texts_per_second
        for backend in backends:
            timing = best[backend, kind]
            cosine = np.sum(vectors[backend, kind] * vectors["torch", kind], axis=1)
            print(
                f"| {len(texts)} {kind} | {backend} | {timing.texts_per_second:.1f} | "
                f"{timing.batch_size} | {timing.load:.2f} | "
                f"{timing.texts_per_second / reference:.2f} | {cosine.mean():.4f} | "
                f"{cosine.min():.4f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

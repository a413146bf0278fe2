"""Ingest speed (issue #11): a cold ingest of the bundled corpus beside the model's raw encode
throughput on the same texts, and re-ingests of a synthetic 1,000-document corpus.

Cold: `build_index` into a fresh index folder (no embedding cache), the model loaded
beforehand, timed end to end. Its limit is the same texts (chunk passages and sentences, each
text once, as ingest embeds them) through `Embedder.embed_passages` of the same embedder in a
tight loop: all texts of a kind sorted by length at once, at the best batch size of a spread
sample. That is measured before and after the ingest, since the machine is shared. Where a gap
comes from: the tokens each way of batching makes the model compute (counted, so load does not
move it), the seconds inside the model's encode during the ingest, and a lexical-only ingest
for everything but embedding; `--variants` also times the ingest's encode settings replayed.

Warm: a SYNTHETIC corpus of 1,000 documents, copies of the bundled Markdown and HTML files
(with their sidecars and the glossary) in numbered folders, each with a marker line of its
own appended. Ingested once (its embedding cache seeded from the cold index's, so only the
marker texts are embedded), then again unchanged, then again after one paragraph is appended to
one document: that ingest must embed that document's new texts and nothing else.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from common import (
    BENCH_VAR,
    MODEL_WINDOW,
    REPO_ROOT,
    document_texts,
    load_embedder,
    log,
    spread_sample,
)

from index.build import CACHE_FILE, CACHE_SLICE, IngestReport, build_index
from index.embedder import BACKENDS, DEFAULT_MODEL, Embedder, resolve_model_path
from index.embedding_cache import EmbeddingCache, text_key
from ingest.metadata import sidecar_path
from service.settings import get_settings

WORK = BENCH_VAR / "ingest-speed"
COPIED_SUFFIXES = {".md", ".html"}
GLOSSARY = "ordliste.yaml"
WARM_TARGET_SECONDS = 10.0
RATIO_TARGET = 0.8


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class StageClock:
    """A build_index Progress that notes when each stage starts and last advanced, so the
    ingest's time splits into reading, embedding and writing without touching index/."""

    def __init__(self) -> None:
        self.origin = time.perf_counter()
        self.started: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self._stage = ""

    def start(self, stage: str, total: int) -> None:
        now = time.perf_counter() - self.origin
        self._stage = stage
        self.started[stage] = self.last[stage] = now
        log(f"  {stage}: {total} at {now:.1f} s")

    def advance(self, count: int = 1) -> None:
        self.last[self._stage] = time.perf_counter() - self.origin


@dataclass
class EncodeClock:
    """Time spent inside the model's encode during an ingest. It wraps the embedder's private
    `_encode` on this one object (bench only): what remains of the embed stages is the
    ingest's own overhead (hashing, cache reads and writes, progress)."""

    seconds: float = 0.0
    batches: int = 0
    original: Callable[..., np.ndarray] | None = field(default=None, repr=False)

    def attach(self, embedder: Embedder) -> None:
        self.original = embedder._encode

        def timed(texts: list[str], prompt_name: str | None) -> np.ndarray:
            started = time.perf_counter()
            try:
                return self.original(texts, prompt_name)
            finally:
                self.seconds += time.perf_counter() - started
                self.batches += 1

        embedder._encode = timed  # type: ignore[method-assign]

    def detach(self, embedder: Embedder) -> None:
        del embedder._encode  # the instance attribute; the class's method shows again


class Rows:
    """Result rows, printed to stdout as they are measured (a long run that is stopped still
    leaves what it measured)."""

    def add(self, *cells: str) -> None:
        print("| " + " | ".join(cells) + " |", flush=True)


def torch_threads(backend: str) -> str:
    if backend != "torch":
        return ""
    import torch

    return f"{torch.get_num_threads()} torch threads, "


def padded_tokens(
    model: str, texts: Texts, batch_sizes: tuple[int, int], slice_size: int
) -> tuple[int, int]:
    """Tokens the model sees (passage prompt included, cut at the window) and tokens it computes
    once each batch is padded to its longest text, for batches formed as `encode_seconds` forms
    them. Counted, not timed: unlike a timing, it does not move with the machine's load."""
    from transformers import AutoTokenizer

    folder = resolve_model_path(model, get_settings().model_cache)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    prompt = "passage: " if model == DEFAULT_MODEL else ""
    real = padded = 0
    for kind, size in ((texts.chunks, batch_sizes[0]), (texts.sentences, batch_sizes[1])):
        lengths = [
            min(len(ids), MODEL_WINDOW)
            for ids in tokenizer([prompt + t for t in kind], verbose=False)["input_ids"]
        ]
        real += sum(lengths)
        for start in range(0, len(lengths), slice_size):
            part = sorted(lengths[start : start + slice_size])
            for batch in range(0, len(part), size):
                rows = part[batch : batch + size]
                padded += len(rows) * max(rows)
    return real, padded


@dataclass(frozen=True)
class Texts:
    """What a cold ingest embeds, each text once and in ingest order: the chunk passages, then
    the sentences that are not already a chunk text (ingest looks both up in one cache)."""

    chunks: list[str]
    sentences: list[str]

    @property
    def count(self) -> int:
        return len(self.chunks) + len(self.sentences)


def unique_texts(corpus_dir: Path) -> Texts:
    passages, sentences = document_texts(corpus_dir)
    chunks = list(dict.fromkeys(passages))
    known = set(chunks)
    return Texts(chunks, [s for s in dict.fromkeys(sentences) if s not in known])


def best_batch_size(embedder: Embedder, texts: list[str], sizes: list[int], kind: str) -> int:
    rates = {}
    for size in sizes:
        started = time.perf_counter()
        embedder.embed_passages(texts, batch_size=size)
        rates[size] = len(texts) / (time.perf_counter() - started)
        log(f"  {kind} sample ({len(texts)}), batch {size}: {rates[size]:.1f} texts/s")
    return max(rates, key=lambda size: rates[size])


def encode_seconds(embedder: Embedder, texts: list[str], batch_size: int, slice_size: int) -> float:
    """Seconds to encode `texts` in slices of `slice_size` (each sorted by length on its own,
    as ingest does per cache slice); one slice of all texts is the tight loop."""
    started = time.perf_counter()
    for start in range(0, len(texts), slice_size):
        embedder.embed_passages(texts[start : start + slice_size], batch_size=batch_size)
    return time.perf_counter() - started


@dataclass(frozen=True)
class Pass:
    label: str
    seconds: float
    load: str


def raw_pass(embedder: Embedder, texts: Texts, sizes: tuple[int, int], slices: int, label: str):
    seconds = encode_seconds(embedder, texts.chunks, sizes[0], slices) + encode_seconds(
        embedder, texts.sentences, sizes[1], slices
    )
    result = Pass(label, seconds, load_average())
    log(f"  {label}: {seconds:.1f} s = {texts.count / seconds:.1f} texts/s (load {result.load})")
    return result


def timed_ingest(
    corpus_dir: Path, index_dir: Path, embedder: Embedder, embed: bool = True
) -> tuple[IngestReport, StageClock, EncodeClock, float]:
    clock, encode = StageClock(), EncodeClock()
    encode.attach(embedder)
    try:
        started = time.perf_counter()
        report = build_index(corpus_dir, index_dir, embedder, progress=clock, embed=embed)
        seconds = time.perf_counter() - started
    finally:
        encode.detach(embedder)
    log(
        f"  {seconds:.1f} s: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.unchanged)} unchanged; {report.document_count} documents, "
        f"{report.chunk_count} chunks; embedded {report.chunks_embedded} chunks + "
        f"{report.sentences_embedded} sentences (load {load_average()})"
    )
    return report, clock, encode, seconds


def embedded(report: IngestReport) -> int:
    return report.chunks_embedded + report.sentences_embedded


def phases(clock: StageClock, seconds: float) -> dict[str, float]:
    """Wall seconds per ingest phase from the stage marks. Scanning (hashing the files) comes
    before the first mark; the key hashing and cache look-ups of a kind fall in its stage."""
    reading_ends = clock.started.get("tekstbiter", seconds)
    embedding_ends = clock.last.get("setninger", reading_ends)
    return {
        "scan (before reading)": clock.started.get("filer", 0.0),
        "read + chunk": reading_ends - clock.started.get("filer", 0.0),
        "embed chunks": clock.started.get("setninger", embedding_ends) - reading_ends,
        "embed sentences": embedding_ends - clock.started.get("setninger", embedding_ends),
        "write + verify + publish": seconds - embedding_ends,
    }


# --- the synthetic 1,000-document corpus -------------------------------------------------


def make_synthetic(source_dir: Path, target: Path, documents: int) -> list[str]:
    """Copies of the source's Markdown and HTML files (and sidecars) in folders kopi-NNNN/, each
    with a marker line naming its copy, until `documents` files; the glossary at the root."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    if (source_dir / GLOSSARY).is_file():
        shutil.copy2(source_dir / GLOSSARY, target / GLOSSARY)
    files = sorted(p for p in source_dir.rglob("*") if p.suffix in COPIED_SUFFIXES and p.is_file())
    sources = []
    copy = 0
    while len(sources) < documents:
        copy += 1
        for path in files[: documents - len(sources)]:
            relative = Path(f"kopi-{copy:04d}") / path.relative_to(source_dir)
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(
                with_marker(path.read_text(encoding="utf-8"), path.suffix, copy), encoding="utf-8"
            )
            sidecar = sidecar_path(path)
            if sidecar.is_file():
                shutil.copy2(sidecar, sidecar_path(destination))
            sources.append(relative.as_posix())
    return sources


def with_marker(text: str, suffix: str, copy: int) -> str:
    line = f"Dette er kopi nummer {copy} av dokumentet, laget for ytelsesmåling."
    return append_paragraph(text, suffix, line)


def append_paragraph(text: str, suffix: str, paragraph: str) -> str:
    # Inside the main content: text after it (footer, outside <main>) is dropped as chrome.
    closing = next((t for t in ("</main>", "</body>") if t in text), None)
    if suffix == ".html" and closing:
        head, _, tail = text.rpartition(closing)
        return f"{head}<p>{paragraph}</p>\n{closing}{tail}"
    return f"{text.rstrip()}\n\n{paragraph}\n"


def uncached_texts(cache_path: Path, embedder: Embedder, texts: list[str]) -> int:
    """How many distinct texts the embedding cache does not hold yet."""
    keys = list(dict.fromkeys(text_key(t) for t in texts))
    cache = EmbeddingCache(cache_path, embedder.model_id, embedder.dimension)
    try:
        return len(keys) - len(cache.get_many(keys))
    finally:
        cache.close()


# --- the run ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT / "corpus")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--backend", choices=BACKENDS, default="torch")
    parser.add_argument("--batch-sizes", default="8,16,32,64")
    parser.add_argument("--sample", type=int, default=300, help="texts per kind to pick a batch")
    parser.add_argument("--documents", type=int, default=1000, help="synthetic corpus size")
    parser.add_argument(
        "--variants", action="store_true", help="also time the ingest's encode settings replayed"
    )
    parser.add_argument("--threads", type=int, help="intra-op threads (default: the runtime's)")
    parser.add_argument(
        "--seed-cache",
        type=Path,
        help="embedding cache for the synthetic corpus's first ingest (default: the cold index's)",
    )
    parser.add_argument("--skip-warm", action="store_true", help="no synthetic corpus")
    parser.add_argument(
        "--warm-only", action="store_true", help="only the synthetic corpus (needs --seed-cache)"
    )
    args = parser.parse_args()
    sizes = [int(b) for b in args.batch_sizes.split(",")]
    WORK.mkdir(parents=True, exist_ok=True)
    rows = Rows()

    embedder = load_embedder(args.model, args.backend)
    if args.threads:
        embedder.use_threads(args.threads)
    started = time.perf_counter()
    embedder.embed_passages(["oppvarming av modellen"])  # load outside every timing
    loaded = time.perf_counter() - started
    log(f"Model {embedder.model_id} ({args.backend}) loaded in {loaded:.1f} s")
    log(f"Load average at start: {load_average()}")

    if args.warm_only:
        if args.seed_cache is None:
            sys.exit("error: --warm-only needs --seed-cache (an embedding cache of the corpus)")
        print("| measure | value | limit / context | ratio / share |")
        print("|---|---:|---:|---:|")
        warm_rows(args, embedder, args.seed_cache.parent, rows)
        return 0

    texts = unique_texts(args.corpus)
    log(f"Texts to embed: {len(texts.chunks)} chunk passages + {len(texts.sentences)} sentences")

    log("Best batch size, on a spread sample of each kind:")
    best = (
        best_batch_size(embedder, spread_sample(texts.chunks, args.sample), sizes, "chunks"),
        best_batch_size(embedder, spread_sample(texts.sentences, args.sample), sizes, "sentences"),
    )
    everything = len(texts.chunks) + len(texts.sentences)
    print(
        f"Ingest speed, model {embedder.model_id}, backend {args.backend}, "
        f"{torch_threads(args.backend)}batch sizes tried {args.batch_sizes} (best: chunks "
        f"{best[0]}, sentences {best[1]}); {len(texts.chunks)} chunk passages + "
        f"{len(texts.sentences)} sentences"
    )
    print()
    print("| measure | value | limit / context | ratio / share |")
    print("|---|---:|---:|---:|")
    for label, batch_sizes, slices in (
        ("tight loop", best, everything),
        ("ingest (batch 16, one sort per kind)", (16, 16), everything),
        (
            f"batch 16, sorted per {CACHE_SLICE}-text slice (ingest before 11-28)",
            (16, 16),
            CACHE_SLICE,
        ),
    ):
        real, padded = padded_tokens(args.model, texts, batch_sizes, slices)
        rows.add(
            f"tokens through the model: {label}",
            f"{padded:,} incl. padding",
            f"{real:,} real",
            f"{padded / real:.2f} × real",
        )
    log(f"Raw encode of all texts, batch {best[0]} (chunks) / {best[1]} (sentences), one sort:")
    before = raw_pass(embedder, texts, best, everything, "raw before ingest")

    cold_dir = WORK / "cold-index"
    shutil.rmtree(cold_dir, ignore_errors=True)
    log(f"Cold ingest of {args.corpus} into {cold_dir}:")
    report, clock, encode, cold_seconds = timed_ingest(args.corpus, cold_dir, embedder)
    cold_load = load_average()
    if embedded(report) != texts.count:
        log(f"NOTE: ingest embedded {embedded(report)} texts, the bench counted {texts.count}")
    cold_rate = embedded(report) / cold_seconds

    def compare(raw: Pass) -> None:
        raw_rate = texts.count / raw.seconds
        rows.add(
            f"cold ingest vs {raw.label}",
            f"{cold_rate:.1f} texts/s ({cold_seconds:.1f} s, load {cold_load})",
            f"{raw_rate:.1f} texts/s ({raw.seconds:.1f} s, load {raw.load})",
            f"{cold_rate / raw_rate:.2f} (target ≥ {RATIO_TARGET})",
        )

    compare(before)
    for name, seconds in phases(clock, cold_seconds).items():
        rows.add(f"  cold: {name}", f"{seconds:.1f} s", "", f"{seconds / cold_seconds:.0%}")
    rows.add(
        "  cold: inside the model's encode",
        f"{encode.seconds:.1f} s in {encode.batches} batches",
        "",
        f"{encode.seconds / cold_seconds:.0%}",
    )
    after = raw_pass(embedder, texts, best, everything, "raw after ingest")
    compare(after)

    lexical_dir = WORK / "lexical-index"
    shutil.rmtree(lexical_dir, ignore_errors=True)
    log("Lexical-only ingest (embed=False), the non-embedding part:")
    _, _, _, lexical_seconds = timed_ingest(args.corpus, lexical_dir, embedder, embed=False)
    rows.add("lexical-only ingest (no model)", f"{lexical_seconds:.1f} s", "", "")

    if args.variants:
        log("The ingest's own encode settings replayed on the model:")
        variants = [
            ("batch 16, one sort (= ingest)", (16, 16), everything),
            (f"best batch, sorted per {CACHE_SLICE}-text slice", best, CACHE_SLICE),
            (
                f"batch 16, sorted per {CACHE_SLICE}-text slice (ingest before 11-28)",
                (16, 16),
                CACHE_SLICE,
            ),
        ]
        for label, variant_sizes, slices in variants:
            result = raw_pass(embedder, texts, variant_sizes, slices, label)
            rows.add(
                f"encode: {label}",
                f"{texts.count / result.seconds:.1f} texts/s ({result.seconds:.1f} s)",
                f"load {result.load}",
                f"{after.seconds / result.seconds:.2f} × raw after",
            )

    if not args.skip_warm:
        warm_rows(args, embedder, cold_dir, rows)

    print()
    print(f"Load average at the end: {load_average()}")
    return 0


def warm_rows(args: argparse.Namespace, embedder: Embedder, cold_dir: Path, rows: Rows) -> None:
    corpus_dir = WORK / f"synthetic-corpus-{args.documents}"
    index_dir = WORK / f"synthetic-index-{args.documents}"
    sources = make_synthetic(args.corpus, corpus_dir, args.documents)
    log(f"SYNTHETIC corpus: {len(sources)} copied documents in {corpus_dir}")
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    # The copies repeat the bundled texts: their vectors come from the cold index's cache.
    shutil.copy2(args.seed_cache or cold_dir / CACHE_FILE, index_dir / CACHE_FILE)
    log("First ingest of the synthetic corpus (cache seeded from the cold index):")
    first, clock, _, seconds = timed_ingest(corpus_dir, index_dir, embedder)
    rows.add(
        f"synthetic {len(sources)} docs: first ingest (seeded cache)",
        f"{seconds:.1f} s, {embedded(first)} texts embedded",
        f"{first.chunk_count} chunks",
        ", ".join(f"{k} {v:.1f} s" for k, v in phases(clock, seconds).items()),
    )

    log("Re-ingest, nothing changed:")
    unchanged, _, _, seconds = timed_ingest(corpus_dir, index_dir, embedder)
    rows.add(
        f"synthetic {len(sources)} docs: re-ingest unchanged",
        f"{seconds:.2f} s, {embedded(unchanged)} embedded",
        f"target < {WARM_TARGET_SECONDS:.0f} s (load {load_average()})",
        "met" if seconds < WARM_TARGET_SECONDS and not unchanged.published else "NOT met",
    )

    markdown = [s for s in sources if s.endswith(".md")]
    source = next((s for s in markdown if s.endswith("standarder/helseid.md")), markdown[0])
    path = corpus_dir / source
    paragraph = (
        f"Tillegg {time.time_ns()}: dette avsnittet er lagt til for å endre ett dokument. "
        "Bare tekstene i dette dokumentet skal bygges inn på nytt."
    )
    path.write_text(append_paragraph(path.read_text(encoding="utf-8"), ".md", paragraph), "utf-8")
    passages, sentences = document_texts(corpus_dir, source)
    expected = uncached_texts(index_dir / CACHE_FILE, embedder, passages + sentences)
    log(f"Re-ingest, {source} changed ({expected} of its texts not in the cache):")
    changed, clock, _, seconds = timed_ingest(corpus_dir, index_dir, embedder)
    rows.add(
        f"synthetic {len(sources)} docs: re-ingest, one doc changed",
        f"{seconds:.1f} s, {embedded(changed)} texts embedded "
        f"({changed.chunks_embedded} chunks + {changed.sentences_embedded} sentences)",
        f"the doc's new texts: {expected}, of {len(passages)} chunks + {len(sentences)} "
        "sentences in it",
        ("equal" if embedded(changed) == expected else "DIFFERENT")
        + "; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in phases(clock, seconds).items()),
    )


if __name__ == "__main__":
    sys.exit(main())

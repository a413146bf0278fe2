"""Shared helpers for the bench scripts: where things live, loading the model, ingest with
plain-line progress, and chunk length statistics in words and model tokens."""

from __future__ import annotations

import json
import math
import re
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from index.build import IngestReport, build_index
from index.embedder import DEFAULT_MODEL, Backend, Embedder, model_id, resolve_model_path
from index.generation import no_usable_index, usable_generations
from index.passages import passage_text
from index.search import Searcher
from index.sentences import chunk_sentences
from ingest.chunking import ChunkingConfig, chunk_document
from ingest.discover import scan_corpus
from ingest.extract import ExtractionError
from ingest.load import load_document
from ingest.models import Chunk, Document
from service.settings import get_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = REPO_ROOT / "var" / "bench"
MODEL_WINDOW = 512  # e5-small's maximum sequence length in tokens, special tokens included


def log(message: str = "") -> None:
    """Diagnostics go to stderr so that stdout holds only the result (table or JSON)."""
    print(message, file=sys.stderr, flush=True)


def shared_datasets(shared: Path | None, name: str) -> Path:
    """`<shared>/datasets/<name>`, where `shared` defaults to the repo's sibling `shared/`."""
    root = shared if shared is not None else REPO_ROOT.parent / "shared"
    dataset = root / "datasets" / name
    if not dataset.is_dir():
        sys.exit(
            f"error: dataset folder {dataset} not found. The bench expects the shared folder next "
            f"to the repository ({REPO_ROOT.parent / 'shared'}); pass --shared DIR to point "
            "elsewhere."
        )
    return dataset


class LineProgress:
    """build_index progress as a few plain lines (readable in a log file, unlike a bar)."""

    def __init__(self, steps: int = 10) -> None:
        self._steps = steps
        self._stage = ""
        self._total = 0
        self._done = 0
        self._next_report = 0

    def start(self, stage: str, total: int) -> None:
        self._stage, self._total, self._done = stage, total, 0
        self._next_report = max(1, total // self._steps)
        log(f"  {stage}: 0/{total}")

    def advance(self, count: int = 1) -> None:
        self._done += count
        if self._done >= self._next_report or self._done == self._total:
            log(f"  {self._stage}: {self._done}/{self._total}")
            self._next_report = self._done + max(1, self._total // self._steps)


def load_embedder(model: str, backend: Backend = "torch") -> Embedder:
    log(f"Loading embedding model {model!r} ({backend}) ...")
    return Embedder(model, cache_dir=get_settings().model_cache, backend=backend)


def corpus_index_dir(embedder: Embedder) -> Path:
    """The bundled corpus's index for this embedder: `var/bench/corpus-index`, which `refark
    eval` reads, for the model and backend the service uses; a folder of its own for any other,
    so that a script on another backend never publishes over the generation the others read."""
    settings = get_settings()
    if embedder.model_id == model_id(settings.model, settings.embedding_backend):
        return BENCH_VAR / "corpus-index"
    return BENCH_VAR / f"corpus-index-{re.sub(r'[^0-9A-Za-z]+', '-', embedder.model_id)}"


def ingest(corpus_dir: Path, index_dir: Path, embedder: Embedder) -> IngestReport:
    """Build (or reuse) the index and log what happened; unchanged files embed nothing."""
    log(f"Ingesting {corpus_dir} into {index_dir} ...")
    report = build_index(corpus_dir, index_dir, embedder, progress=LineProgress())
    log(
        f"Ingest: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed, "
        f"{len(report.failed)} failed; {report.document_count} documents, "
        f"{report.chunk_count} chunks, {report.chunks_embedded} newly embedded, "
        f"{report.seconds:.1f} s" + ("" if report.published else " (index reused as is)")
    )
    return report


def open_searcher(index_dir: Path, embedder: Embedder) -> Searcher:
    rejected: dict[tuple[str, int], str] = {}
    for generation, _ in usable_generations(index_dir, rejected):
        return Searcher(generation.directory, embedder, get_settings().reranker)
    raise no_usable_index(index_dir, rejected)


def all_chunks(searcher: Searcher) -> list[tuple[Document, Chunk]]:
    """Every chunk of the generation with its document (metadata only), in source order."""
    return [
        (entry.document, chunk)
        for entry in searcher.store.catalog()
        for chunk in searcher.store.document_chunks(entry.document.doc_id)
    ]


class TokenCounter:
    """Counts the tokens the model sees for a chunk: passage prompt, title, section and text."""

    def __init__(self, model: str) -> None:
        from transformers import AutoTokenizer

        folder = resolve_model_path(model, get_settings().model_cache)
        self._tokenizer = AutoTokenizer.from_pretrained(folder)
        self._prompt = _passage_prompt(Path(folder)) if model == DEFAULT_MODEL else ""

    def passage_tokens(self, document: Document, chunk: Chunk) -> int:
        text = self._prompt + passage_text(document, chunk)
        # verbose=False: counting a text longer than the window is the point, not a mistake.
        return len(self._tokenizer(text, add_special_tokens=True, verbose=False)["input_ids"])


def _passage_prompt(folder: Path) -> str:
    config = folder / "config_sentence_transformers.json"
    if not config.is_file():
        return ""
    prompts = json.loads(config.read_text(encoding="utf-8")).get("prompts") or {}
    return str(prompts.get("passage", ""))


@dataclass(frozen=True)
class Distribution:
    count: int
    minimum: float
    p10: float
    median: float
    p90: float
    maximum: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        if not values:
            return cls(0, 0, 0, 0, 0, 0, 0)
        ordered = sorted(values)
        return cls(
            count=len(ordered),
            minimum=ordered[0],
            p10=percentile(ordered, 10),
            median=statistics.median(ordered),
            p90=percentile(ordered, 90),
            maximum=ordered[-1],
            mean=statistics.fmean(ordered),
        )

    def line(self) -> str:
        return (
            f"n={self.count} min={self.minimum:g} p10={self.p10:g} median={self.median:g} "
            f"p90={self.p90:g} max={self.maximum:g} mean={self.mean:.1f}"
        )


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(values)))
    return float(values[min(rank, len(values)) - 1])


def histogram(values: Sequence[int], width: int) -> list[str]:
    """Text histogram rows `lo-hi  count  ####` over bins of `width`."""
    if not values:
        return []
    counts: dict[int, int] = {}
    for value in values:
        counts[value // width] = counts.get(value // width, 0) + 1
    scale = max(counts.values())
    rows = []
    for bin_index in range(min(counts), max(counts) + 1):
        count = counts.get(bin_index, 0)
        low = bin_index * width
        bar = "#" * round(40 * count / scale)
        rows.append(f"  {low:>4}-{low + width - 1:<4} {count:>5}  {bar}")
    return rows


def document_texts(corpus_dir: Path, source: str | None = None) -> tuple[list[str], list[str]]:
    """Chunk passages and sentences of the corpus (or of one document), as build_index forms
    them, repeats included."""
    passages, sentences = [], []
    for file in scan_corpus(corpus_dir).files:
        if source is not None and file.source != source:
            continue
        try:
            document = load_document(file)
        except ExtractionError:
            continue
        for chunk in chunk_document(document, ChunkingConfig()):
            passages.append(passage_text(document, chunk))
            sentences.extend(chunk.text[start:end] for start, end in chunk_sentences(chunk))
    return passages, sentences


def spread_sample(texts: list[str], count: int) -> list[str]:
    """`count` texts taken evenly across the corpus (not the first documents only)."""
    if len(texts) <= count:
        return texts
    step = len(texts) / count
    return [texts[int(i * step)] for i in range(count)]

"""Extraction quality on real public documentation (Markdown and Antora HTML): documents read
or failed (with reasons), chunk count, chunk length in words, chunks longer than the model's
512-token window, and a few random chunks with their section path to check by eye that site
navigation is gone. With --questions FILE it also reports retrieval metrics.

The dataset is ingested through a mirror of symlinks under var/bench/public-docs/corpus with the
same paths, so that the dataset's own notes (SOURCES.md) are not indexed as a document. The links
point out of the mirror, so the ingest follows them (`follow_symlinks`, which a real corpus never
needs). Any dataset document that Refark's discovery would skip is listed in the output.
"""

from __future__ import annotations

import argparse
import random
import sys
import textwrap
from collections import Counter
from pathlib import Path

from common import (
    BENCH_VAR,
    MODEL_WINDOW,
    Distribution,
    LineProgress,
    TokenCounter,
    all_chunks,
    histogram,
    load_embedder,
    log,
    open_searcher,
    shared_datasets,
)

from index.build import build_index
from index.embedder import DEFAULT_MODEL
from ingest.discover import FORMATS, discover
from ingest.metadata import sidecar_path
from ingest.models import Document
from service.evaluation import evaluate, read_questions, report_table

WORK_DIR = BENCH_VAR / "public-docs"
CORPUS_DIR = WORK_DIR / "corpus"
INDEX_DIR = WORK_DIR / "index"
PROVENANCE_FILES = {"SOURCES.md"}  # the dataset's own notes at its root, not a document
SHORT_CHUNK_WORDS = 10
# Text that is markup, not prose: diagram sources, template tags and HTML left in a chunk.
NOISE_MARKERS = (
    "graph LR",
    "graph TD",
    "sequenceDiagram",
    "subgraph",
    "{%",
    "{{",
    "<div",
    "&nbsp;",
)


def dataset_documents(root: Path) -> dict[str, Path]:
    """Supported documents of the dataset by path relative to its root."""
    return {
        path.relative_to(root).as_posix(): path
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and path.suffix.lower() in FORMATS
        and path.relative_to(root).as_posix() not in PROVENANCE_FILES
    }


def build_mirror(documents: dict[str, Path]) -> None:
    """Symlink every document (and its metadata sidecar) into the mirror, at the same relative
    path; links no longer wanted are removed, and so are folders left empty."""
    wanted: dict[Path, Path] = {}
    for source, path in documents.items():
        wanted[CORPUS_DIR / source] = path
        if sidecar_path(path).is_file():
            wanted[sidecar_path(CORPUS_DIR / source)] = sidecar_path(path)
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    for link in [p for p in CORPUS_DIR.rglob("*") if p.is_symlink()]:
        real = wanted.get(link)
        if real is None or real.resolve() != link.resolve():
            link.unlink()
    for folder in sorted(CORPUS_DIR.rglob("*"), key=lambda p: -len(p.parts)):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    for link, real in wanted.items():
        if not link.is_symlink():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(real)


def print_discovery(root: Path, documents: dict[str, Path]) -> None:
    seen = {f.source for f in discover(CORPUS_DIR, follow_symlinks=True)}
    skipped = sorted(s for s in documents if s not in seen)
    unsupported = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() not in FORMATS and not p.name.endswith(".meta.yaml")
    )
    print(f"Dataset: {root}")
    print(f"  supported documents: {len(documents)} (not counting {', '.join(PROVENANCE_FILES)})")
    print(f"  unsupported files, not ingested: {len(unsupported)} ({', '.join(unsupported)})")
    if skipped:
        print(f"  WARNING: Refark's discovery skips {len(skipped)} of {len(documents)} documents:")
    for source in skipped:
        print(f"    - {source}")


def print_documents(
    failed: dict[str, str], chunks_by_format: Counter[str], docs: list[Document]
) -> None:
    formats = Counter(d.file_format for d in docs)
    print(f"\nDocuments: {len(docs)} ok, {len(failed)} failed")
    for source, reason in sorted(failed.items()):
        print(f"  FAILED {source}: {reason}")
    for file_format in sorted(formats):
        print(
            f"  {file_format}: {formats[file_format]} documents, "
            f"{chunks_by_format[file_format]} chunks"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, help="the shared folder holding datasets/")
    parser.add_argument(
        "--questions", type=Path, help="eval questions, docs relative to the public-docs root"
    )
    parser.add_argument("--samples", type=int, default=3, help="random chunks to print")
    parser.add_argument("--seed", type=int, default=0, help="seed for the random chunks")
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help="embedding model (default: %(default)s)"
    )
    args = parser.parse_args()

    root = shared_datasets(args.shared, "public-docs")
    documents = dataset_documents(root)
    build_mirror(documents)
    print_discovery(root, documents)

    embedder = load_embedder(args.model)
    # common.ingest reads a corpus as users' corpora are read: links out of it are skipped.
    log(f"Ingesting the mirror {CORPUS_DIR} into {INDEX_DIR}, following its links ...")
    report = build_index(
        CORPUS_DIR, INDEX_DIR, embedder, progress=LineProgress(), follow_symlinks=True
    )
    searcher = open_searcher(INDEX_DIR, embedder)
    chunks = all_chunks(searcher)
    print_documents(
        report.failed,
        Counter(d.file_format for d, _ in chunks),
        list(searcher.documents.values()),
    )

    words = [len(chunk.text.split()) for _, chunk in chunks]
    counter = TokenCounter(args.model)
    tokens = [counter.passage_tokens(document, chunk) for document, chunk in chunks]
    print(f"\nChunks: {len(chunks)}")
    print(f"  words per chunk:  {Distribution.of(words).line()}")
    print(*histogram(words, 20), sep="\n")
    print(
        f"  tokens per chunk (prompt, title and section included): {Distribution.of(tokens).line()}"
    )
    over = sorted(
        ((t, d, c) for t, (d, c) in zip(tokens, chunks, strict=True) if t > MODEL_WINDOW),
        key=lambda item: -item[0],
    )
    print(f"  chunks over the {MODEL_WINDOW}-token window (truncated when embedded): {len(over)}")
    for count, document, chunk in over[:10]:
        where = f"{document.source} › {chunk.section}"
        print(f"    {count} tokens, {len(chunk.text.split())} words: {where}")
    short = [(d, c) for d, c in chunks if len(c.text.split()) < SHORT_CHUNK_WORDS]
    print(f"  chunks under {SHORT_CHUNK_WORDS} words: {len(short)}")
    for document, chunk in short[:10]:
        print(f"    {document.source} › {chunk.section}: {chunk.text!r}")

    print("  chunks holding markup rather than prose:")
    for marker in NOISE_MARKERS:
        found = [(d, c) for d, c in chunks if marker in c.text]
        if found:
            sources = sorted({d.source for d, _ in found})
            print(f"    {marker!r}: {len(found)} chunks in {len(sources)} documents")

    print(f"\n{args.samples} random chunks (seed {args.seed}) - is the navigation chrome gone?")
    for document, chunk in random.Random(args.seed).sample(chunks, min(args.samples, len(chunks))):
        print(f"\n--- {document.source} ({document.file_format}), title {document.meta.title!r}")
        print(f"    section: {chunk.section or '(none)'}")
        print(textwrap.indent(textwrap.fill(chunk.text, width=96), "    "))

    if args.questions:
        questions = read_questions(args.questions)
        print(f"\nRetrieval on {args.questions} ({len(questions)} questions)")
        print(report_table(evaluate(searcher, questions)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

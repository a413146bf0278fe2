"""Build a new index generation from a corpus folder, re-embedding only what changed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from index.dense import DENSE_FILE, DenseIndex, write_dense
from index.embedder import Embedder
from index.embedding_cache import EmbeddingCache, text_key
from index.generation import (
    Manifest,
    current_generation,
    ingest_lock,
    new_generation_dir,
    publish,
)
from index.glossary import Glossary, read_glossary_source
from index.lexical import LEXICAL_VERSION, LexicalIndex
from index.passages import lexical_text, passage_text
from index.sentences import (
    SENTENCE_VERSION,
    SentenceIndex,
    chunk_sentences,
    write_sentences,
)
from index.store import STORE_FILE, ChunkStore, write_store
from ingest.chunking import ChunkingConfig, chunk_document, chunker_signature
from ingest.discover import discover
from ingest.extract import ExtractionError
from ingest.load import load_document
from ingest.models import Chunk, Document

LEXICAL_DIR = "lexical"
CACHE_FILE = "embedding-cache.sqlite"


class Progress(Protocol):
    def start(self, stage: str, total: int) -> None: ...
    def advance(self, count: int = 1) -> None: ...


class _Silent:
    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass


class NothingToIndex(RuntimeError):
    """No document could be ingested, so no generation was built."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    chunks_embedded: int = 0
    sentences_embedded: int = 0
    chunk_count: int = 0
    document_count: int = 0
    generation: str = ""
    published: bool = False
    seconds: float = 0.0


@dataclass(frozen=True)
class _Previous:
    """What the current generation offers for reuse."""

    manifest: Manifest | None
    store: ChunkStore | None
    doc_ids: dict[str, str]  # source -> doc_id

    @classmethod
    def of(cls, index_dir: Path) -> _Previous:
        previous = current_generation(index_dir)
        if previous is None:
            return cls(None, None, {})
        store = ChunkStore(previous / STORE_FILE)
        doc_ids = {e.document.source: e.document.doc_id for e in store.catalog()}
        return cls(Manifest.read(previous), store, doc_ids)

    def reusable(self, source: str, file_hash: str, chunker: str) -> bool:
        m = self.manifest
        return (
            m is not None
            and m.chunker_version == chunker
            and m.documents.get(source) == file_hash
            and source in self.doc_ids
        )

    def reuse(self, source: str) -> tuple[Document, list[Chunk]]:
        doc_id = self.doc_ids[source]
        return self.store.document(doc_id), self.store.document_chunks(doc_id)


def _collect(
    corpus_dir: Path,
    previous: _Previous,
    chunking: ChunkingConfig,
    progress: Progress,
    report: IngestReport,
) -> list[tuple[Document, list[Chunk]]]:
    """Every readable document with its chunks: reused when unchanged, else extracted anew."""
    chunker = chunker_signature(chunking)
    known = previous.manifest.documents if previous.manifest else {}
    files = discover(corpus_dir)
    progress.start("filer", len(files))
    documents = []
    for file in files:
        if previous.reusable(file.source, file.file_hash, chunker):
            documents.append(previous.reuse(file.source))
            report.unchanged.append(file.source)
        else:
            try:
                document = load_document(file)
            except ExtractionError as error:
                report.failed[file.source] = str(error)
            else:
                documents.append((document, chunk_document(document, chunking)))
                (report.changed if file.source in known else report.added).append(file.source)
        progress.advance()
    seen = {f.source for f in files}
    report.removed = sorted(s for s in known if s not in seen or s in report.failed)
    return documents


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    progress: Progress | None = None,
    chunking: ChunkingConfig | None = None,
) -> IngestReport:
    """Ingest `corpus_dir` into a new generation under `index_dir` and make it current.

    Nothing is published when nothing changed. Raises NothingToIndex when not one document
    could be read."""
    progress = progress or _Silent()
    chunking = chunking or ChunkingConfig()
    started = time.perf_counter()
    if not corpus_dir.is_dir():
        raise NothingToIndex(f"Fant ikke korpusmappen {corpus_dir}")
    with ingest_lock(index_dir):
        report = IngestReport()
        previous = _Previous.of(index_dir)
        glossary = Glossary(tuple(tuple(g) for g in read_glossary_source(corpus_dir)))
        documents = _collect(corpus_dir, previous, chunking, progress, report)
        if not documents:
            raise NothingToIndex("Ingen dokumenter kunne leses; indeksen er ikke endret.")

        manifest = previous.manifest
        if (
            manifest is not None
            and manifest.model == embedder.model_id
            and manifest.glossary == glossary.fingerprint()
            and manifest.lexical_version == LEXICAL_VERSION
            and manifest.sentence_version == SENTENCE_VERSION
            and len(report.unchanged) == len(documents)
            and not report.removed
        ):
            report.document_count = manifest.document_count
            report.chunk_count = manifest.chunk_count
            report.generation = str(current_generation(index_dir))
            report.seconds = time.perf_counter() - started
            return report

        chunks = [(d, c) for d, chunk_list in documents for c in chunk_list]
        spans = np.array(
            [(row, *span) for row, (_, c) in enumerate(chunks) for span in chunk_sentences(c)],
            dtype=np.int32,
        ).reshape(-1, 3)
        cache = EmbeddingCache(index_dir / CACHE_FILE, embedder.model_id, embedder.dimension)
        try:
            vectors, report.chunks_embedded = _embed(
                [passage_text(d, c) for d, c in chunks], embedder, cache, progress, "tekstbiter"
            )
            sentence_vectors, report.sentences_embedded = _embed(
                [chunks[row][1].text[start:end] for row, start, end in spans],
                embedder,
                cache,
                progress,
                "setninger",
            )
        finally:
            cache.close()
        number, partial = new_generation_dir(index_dir)
        report.chunk_count = write_store(partial / STORE_FILE, documents)
        write_dense(partial / DENSE_FILE, vectors)
        write_sentences(partial, sentence_vectors, spans)
        LexicalIndex.build([lexical_text(d, c) for d, c in chunks]).save(partial / LEXICAL_DIR)
        glossary.save(partial)
        report.document_count = len(documents)
        Manifest(
            generation=number,
            model=embedder.model_id,
            dimension=embedder.dimension,
            chunker_version=chunker_signature(chunking),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            corpus_dir=str(corpus_dir.resolve()),
            document_count=report.document_count,
            chunk_count=report.chunk_count,
            documents={d.source: d.file_hash for d, _ in documents},
            failed=report.failed,
            glossary=glossary.fingerprint(),
            lexical_version=LEXICAL_VERSION,
            sentence_version=SENTENCE_VERSION,
        ).write(partial)
        _verify(partial, report.chunk_count, len(spans), embedder.dimension)
        report.generation = str(publish(index_dir, partial, number))
        report.published = True
        report.seconds = time.perf_counter() - started
        return report


def _embed(
    texts: list[str],
    embedder: Embedder,
    cache: EmbeddingCache,
    progress: Progress,
    stage: str,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts`, embedding only those the cache does not hold; also the count of
    texts embedded anew."""
    keys = [text_key(t) for t in texts]
    known = cache.get_many(keys)
    missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in known}
    progress.start(stage, len(missing))
    if missing:
        fresh = embedder.embed_passages(list(missing.values()), on_batch=progress.advance)
        new = dict(zip(missing, fresh, strict=True))
        cache.put_many(new)
        known.update(new)
    matrix = np.vstack([known[k] for k in keys]) if keys else np.zeros((0, embedder.dimension))
    return matrix.astype(np.float32), len(missing)


def _verify(directory: Path, chunk_count: int, sentence_count: int, dimension: int) -> None:
    """Open what was written the way the service will, before anyone is pointed at it."""
    dense = DenseIndex(directory / DENSE_FILE)
    if dense.size != chunk_count or dense.dimension != dimension:
        raise RuntimeError(f"Ny indeks er ufullstendig: {dense.size} vektorer, {chunk_count} biter")
    if SentenceIndex(directory).size != sentence_count:
        raise RuntimeError("Ny indeks er ufullstendig: setningsvektorene mangler")
    if len(ChunkStore(directory / STORE_FILE).row_doc_ids()) != chunk_count:
        raise RuntimeError("Ny indeks er ufullstendig: tekstlageret mangler biter")
    LexicalIndex.load(directory / LEXICAL_DIR)

"""Build a new index generation from a corpus folder, re-embedding only what changed."""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from index.dense import DenseIndex, write_dense
from index.embedder import Embedder
from index.embedding_cache import EmbeddingCache, text_key
from index.generation import (
    Generation,
    Manifest,
    current_generation,
    ingest_lock,
    new_generation,
    prune,
    publish,
    usable_generations,
)
from index.glossary import Glossary, GlossaryError, read_glossary_source
from index.lexical import LEXICAL_VERSION, LexicalIndex
from index.passages import lexical_text, passage_text
from index.sentences import (
    SENTENCE_VERSION,
    SentenceIndex,
    chunk_sentences,
    write_sentences,
)
from index.spelling import VOCABULARY_VERSION, Vocabulary, write_vocabulary
from index.store import ChunkStore, write_store
from ingest.chunking import ChunkingConfig, chunk_document, chunker_signature
from ingest.discover import scan_corpus
from ingest.extract import ExtractionError
from ingest.limits import DEFAULT_LIMITS, IngestLimits
from ingest.load import load_document
from ingest.models import Chunk, Document

CACHE_FILE = "embedding-cache.sqlite"
CACHE_SLICE = 256  # texts embedded between cache writes

logger = logging.getLogger("refark.index")


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
    """What the newest generation that verifies offers for reuse. A damaged one offers
    nothing: its documents are read anew, and the embedding cache spares the model."""

    manifest: Manifest | None
    store: ChunkStore | None
    doc_ids: dict[str, str]  # source -> doc_id
    is_current: bool = False  # False when `current` is missing or damaged: publish anyway

    @classmethod
    def of(cls, index_dir: Path) -> _Previous:
        for generation, manifest in usable_generations(index_dir):
            try:
                store = ChunkStore(generation.store_path)
                doc_ids = {e.document.source: e.document.doc_id for e in store.catalog()}
            except sqlite3.DatabaseError as error:
                logger.warning("Hopper over %s: %s", generation.name, error)
                continue
            is_current = generation.directory == current_generation(index_dir)
            return cls(manifest, store, doc_ids, is_current)
        return cls(None, None, {})

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
    limits: IngestLimits,
    follow_symlinks: bool,
) -> list[tuple[Document, list[Chunk]]]:
    """Every readable document with its chunks: reused when unchanged, else extracted anew.
    Files skipped unread (links out of the corpus, over the size limit) count as failed."""
    chunker = chunker_signature(chunking)
    known = previous.manifest.documents if previous.manifest else {}
    scan = scan_corpus(corpus_dir, limits, follow_symlinks)
    report.failed.update(scan.skipped)
    files = scan.files
    progress.start("filer", len(files))
    documents = []
    for file in files:
        if previous.reusable(file.source, file.file_hash, chunker):
            documents.append(previous.reuse(file.source))
            report.unchanged.append(file.source)
        else:
            try:
                document = load_document(file, limits)
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
    limits: IngestLimits = DEFAULT_LIMITS,
    follow_symlinks: bool = False,
    embed: bool = True,
) -> IngestReport:
    """Ingest `corpus_dir` into a new generation under `index_dir` and make it current.
    Only files inside `corpus_dir` are read unless `follow_symlinks` trusts every link in it.
    With `embed=False` the generation is lexical-only: it is written in the seconds that reading
    the files takes, without loading the model, so a first start can search at once; the next
    ingest with embeddings always replaces it.

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
        glossary = _read_glossary(corpus_dir, report)
        documents = _collect(
            corpus_dir, previous, chunking, progress, report, limits, follow_symlinks
        )
        if not documents:
            raise NothingToIndex("Ingen dokumenter kunne leses; indeksen er ikke endret.")

        manifest = previous.manifest
        if (
            previous.is_current
            and manifest is not None
            and manifest.model == embedder.model_id
            and manifest.glossary == glossary.fingerprint()
            and manifest.lexical_version == LEXICAL_VERSION
            and manifest.sentence_version == SENTENCE_VERSION
            and manifest.vocabulary_version == VOCABULARY_VERSION
            and (manifest.embedded or not embed)
            and len(report.unchanged) == len(documents)
            and not report.removed
        ):
            report.document_count = manifest.document_count
            report.chunk_count = manifest.chunk_count
            report.generation = str(current_generation(index_dir))
            prune(index_dir)  # an ingest killed after publishing left one generation too many
            report.seconds = time.perf_counter() - started
            return report

        chunks = [(d, c) for d, chunk_list in documents for c in chunk_list]
        spans = np.array(
            [(row, *span) for row, (_, c) in enumerate(chunks) for span in chunk_sentences(c)],
            dtype=np.int32,
        ).reshape(-1, 3)
        if embed:
            vectors, sentence_vectors = _embed_all(
                chunks,
                spans,
                embedder,
                _open_cache(index_dir / CACHE_FILE, embedder),
                progress,
                report,
            )
        else:
            # Placeholders of the smallest width: never searched (Searcher.lexical_only), but
            # the generation keeps its usual files, so it is written and verified as any other.
            vectors = np.zeros((len(chunks), 1), dtype=np.float32)
            sentence_vectors = np.zeros((len(spans), 1), dtype=np.float32)
        report.document_count = len(documents)
        report.chunk_count = len(chunks)
        published = write_generation(
            index_dir,
            Contents(documents, vectors, sentence_vectors, spans, glossary),
            model=embedder.model_id,
            chunker=chunker_signature(chunking),
            corpus_dir=corpus_dir,
            failed=report.failed,
            embedded=embed,
        )
        report.generation = str(published)
        report.published = True
        report.seconds = time.perf_counter() - started
        return report


@dataclass(frozen=True)
class Contents:
    """Everything one generation holds, in chunk-row order."""

    documents: list[tuple[Document, list[Chunk]]]
    vectors: np.ndarray  # one per chunk row
    sentence_vectors: np.ndarray  # one per span
    spans: np.ndarray  # (chunk row, start, end) of each indexed sentence
    glossary: Glossary


def write_generation(
    index_dir: Path,
    contents: Contents,
    model: str,
    chunker: str,
    corpus_dir: Path,
    failed: dict[str, str] | None = None,
    embedded: bool = True,
) -> Path:
    """Write, verify and publish a generation; returns its folder. The caller holds the
    ingest lock. (bench/scaling.py also writes synthetic corpora through here.)"""
    documents, glossary = contents.documents, contents.glossary
    chunks = [(d, c) for d, chunk_list in documents for c in chunk_list]
    number, partial = new_generation(index_dir)
    chunk_count = write_store(partial.store_path, documents)
    write_dense(partial.dense_path, contents.vectors)
    write_sentences(
        partial.sentence_vectors_path,
        partial.sentence_spans_path,
        contents.sentence_vectors,
        contents.spans,
    )
    LexicalIndex.build([lexical_text(d, c) for d, c in chunks]).save(partial.lexical_dir)
    glossary.save(partial.glossary_path)
    # Glossary terms are words the index knows, so English ones are never "corrected".
    terms = [term for group in glossary.groups for term in group]
    write_vocabulary(partial.vocabulary_path, [*(passage_text(d, c) for d, c in chunks), *terms])
    dimension = contents.vectors.shape[1]
    manifest = Manifest(
        generation=number,
        model=model,
        dimension=dimension,
        chunker_version=chunker,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        corpus_dir=str(corpus_dir.resolve()),
        document_count=len(documents),
        chunk_count=chunk_count,
        documents={d.source: d.file_hash for d, _ in documents},
        failed=failed or {},
        glossary=glossary.fingerprint(),
        lexical_version=LEXICAL_VERSION,
        sentence_version=SENTENCE_VERSION,
        vocabulary_version=VOCABULARY_VERSION,
        embedded=embedded,
    )
    partial.seal(manifest)
    _verify(partial, chunk_count, len(contents.spans), dimension)
    return publish(index_dir, partial, number).directory


def _embed_all(
    chunks: list[tuple[Document, Chunk]],
    spans: np.ndarray,
    embedder: Embedder,
    cache: EmbeddingCache,
    progress: Progress,
    report: IngestReport,
) -> tuple[np.ndarray, np.ndarray]:
    """The vectors of every chunk and every sentence, from the cache where it has them; the
    cache is closed when they are done."""
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
    return vectors, sentence_vectors


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
    # Sorted by length over all texts, not within each slice: batches of like length pad
    # little (the model computed 14 % more tokens than the texts held, 2 % sorted first).
    missing = sorted(
        {k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items(),
        key=lambda item: len(item[1]),
    )
    progress.start(stage, len(missing))
    # Cached slice by slice: an interrupted ingest keeps what it embedded, and the next one
    # starts where it stopped.
    for start in range(0, len(missing), CACHE_SLICE):
        part = dict(missing[start : start + CACHE_SLICE])
        fresh = embedder.embed_passages(list(part.values()), on_batch=progress.advance)
        new = dict(zip(part, fresh, strict=True))
        cache.put_many(new)
        known.update(new)
    matrix = np.vstack([known[k] for k in keys]) if keys else np.zeros((0, embedder.dimension))
    return matrix.astype(np.float32), len(missing)


def _read_glossary(corpus_dir: Path, report: IngestReport) -> Glossary:
    """The corpus's glossary; a broken one is reported like a failed file and searches go
    without query expansion until it is fixed, rather than the whole ingest failing."""
    try:
        return Glossary(tuple(tuple(g) for g in read_glossary_source(corpus_dir)))
    except GlossaryError as error:
        source, _, reason = str(error).partition(": ")
        report.failed[source] = reason
        return Glossary()


def _open_cache(path: Path, embedder: Embedder) -> EmbeddingCache:
    """The embedding cache; a damaged one is moved aside and started afresh, since it only
    saves time and must never stop an ingest."""
    try:
        return EmbeddingCache(path, embedder.model_id, embedder.dimension)
    except sqlite3.DatabaseError as error:
        aside = path.with_name(f"{path.name}.skadet-{int(time.time())}")
        logger.warning("Innbyggingsbufferen %s er skadet (%s); flyttet til %s", path, error, aside)
        path.rename(aside)
        return EmbeddingCache(path, embedder.model_id, embedder.dimension)


def _verify(generation: Generation, chunk_count: int, sentence_count: int, dimension: int) -> None:
    """Open what was written the way the service will, before anyone is pointed at it. (Its
    checksums were just taken from these files by `seal`: hashing them again would prove
    nothing.)"""
    generation.read_manifest()
    dense = DenseIndex(generation.dense_path)
    if dense.size != chunk_count or dense.dimension != dimension:
        raise RuntimeError(f"Ny indeks er ufullstendig: {dense.size} vektorer, {chunk_count} biter")
    sentences = SentenceIndex(generation.sentence_vectors_path, generation.sentence_spans_path)
    if sentences.size != sentence_count:
        raise RuntimeError("Ny indeks er ufullstendig: setningsvektorene mangler")
    if len(ChunkStore(generation.store_path).row_doc_ids()) != chunk_count:
        raise RuntimeError("Ny indeks er ufullstendig: tekstlageret mangler biter")
    LexicalIndex.load(generation.lexical_dir)
    Vocabulary.load(generation.vocabulary_path)

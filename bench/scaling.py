"""Query cost from a thousand to a million passages, on SYNTHETIC corpora.

No real Norwegian e-health corpus of 100,000 passages exists here, so each size is made from the
bundled corpus's index (`var/bench/corpus-index`, built if missing): copy 0 is the real corpus;
every further copy repeats its documents under new ids with the letters inside one word in ten
shuffled (so BM25 sees new words and longer postings, and offsets stay valid) and every chunk
and sentence vector moved by Gaussian noise (sigma 0.3 before renormalising: cosine about 0.96
with the original, farther than from any other real passage). The copies are truncated to
exactly N chunk rows. They are written through `index.build.write_generation`, as an ingest
writes, so the generation has the same files, index types and checks as a real one.

Per size it prints:
* the generation's build time (store, BM25, vectors; no embedding) and which FAISS index each
  leg got (exact flat scan, or HNSW above `index.dense.EXACT_LIMIT` vectors);
* recall@10 of that index against an exact scan, for the chunk and the sentence vectors;
* the LIMIT: query embedding + the raw FAISS searches a query needs (chunk top-50, sentence
  top-200), in this process, with one torch and one FAISS thread as `refark serve` uses;
* `GET /api/search` (hybrid, k=10, HTTP included) against `refark serve` on that index:
  median and p99, each as a ratio to the limit's median and p99 (targets 1.5x and 3x). The
  limit and the request are timed alternately, question by question, so both see the same
  machine state. Requests go through the standard library's http.client: httpx adds about
  1 ms of its own per request (see `api_latency.lean_connection`);
* the time to open the generation (`Searcher`) in this process, the server's startup to its
  first `/readyz` 200 (importing torch and loading the model included) and its RSS after the
  queries.

    .venv/bin/python bench/scaling.py [--sizes 1000,10000,100000] [-n 200]

Work files go to var/bench/scaling/<size>/ and are reused while the source index is unchanged.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
from api_latency import lean_connection, start_server, timed_get, wait_ready
from common import BENCH_VAR, REPO_ROOT, ingest, load_embedder, log, percentile
from process_stats import process_tree, rss_bytes

from index.build import Contents, write_generation
from index.dense import HNSW_BUILD_DEPTH, HNSW_NEIGHBOURS, DenseIndex
from index.dense import use_threads as use_faiss_threads
from index.embedder import DEFAULT_MODEL, Embedder
from index.generation import Generation, current_generation, ingest_lock
from index.glossary import Glossary
from index.search import CANDIDATES_PER_LEG, SENTENCE_CANDIDATES_PER_ROW, Searcher
from index.spelling import VOCABULARY_VERSION
from index.store import ChunkStore
from ingest.models import Chunk, Document
from service.settings import get_settings

SOURCE_INDEX = BENCH_VAR / "corpus-index"
WORK = BENCH_VAR / "scaling"
QUESTIONS = REPO_ROOT / "corpus" / "eval" / "questions.jsonl"
NOISE = 0.3
SHUFFLED_SHARE = 0.1
READY_TIMEOUT = 300
_WORD = re.compile(r"\w{5,}")


def perturbed_text(text: str, rng: np.random.Generator) -> str:
    """One word in ten (of 5+ letters) with its inner letters shuffled: same length."""

    def shuffle(match: re.Match) -> str:
        word = match.group()
        if rng.random() >= SHUFFLED_SHARE:
            return word
        inner = list(word[1:-1])
        rng.shuffle(inner)
        return word[0] + "".join(inner) + word[-1]

    return _WORD.sub(shuffle, text)


def perturbed_vectors(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = (
        rng.standard_normal(vectors.shape).astype(np.float32) * NOISE / np.sqrt(vectors.shape[1])
    )
    moved = vectors + noise
    return moved / np.linalg.norm(moved, axis=1, keepdims=True)


def read_source(generation: Generation) -> tuple[list[tuple[Document, list[Chunk]]], dict]:
    store = ChunkStore(generation.store_path)
    documents = [(e.document, store.document_chunks(e.document.doc_id)) for e in store.catalog()]
    row_of = {chunk_id: row for row, chunk_id in enumerate(store.row_chunk_ids())}
    size = DenseIndex(generation.dense_path).size
    sentence_size = DenseIndex(generation.sentence_vectors_path).size
    return documents, {
        "rows": row_of,
        "vectors": faiss.read_index(str(generation.dense_path)).reconstruct_n(0, size),
        "sentence_vectors": faiss.read_index(str(generation.sentence_vectors_path)).reconstruct_n(
            0, sentence_size
        ),
        "spans": np.load(generation.sentence_spans_path),
    }


def synthesize(
    documents: list[tuple[Document, list[Chunk]]],
    source: dict,
    size: int,
    glossary: Glossary,
    seed: int = 7,
) -> Contents:
    rng = np.random.default_rng(seed)
    spans = source["spans"]
    sentence_ids = {}  # source row -> its sentence ids
    for sentence, row in enumerate(spans[:, 0]):
        sentence_ids.setdefault(int(row), []).append(sentence)
    out_documents, vector_rows, out_spans, sentence_rows = [], [], [], []
    copy = 0
    while len(vector_rows) < size:
        for document, chunks in documents:
            if len(vector_rows) >= size:
                break
            chunks = chunks[: size - len(vector_rows)]
            doc_id = document.doc_id if copy == 0 else f"{document.doc_id}-s{copy}"
            new_chunks = []
            for chunk in chunks:
                row = source["rows"][chunk.chunk_id]
                for sentence in sentence_ids.get(row, []):
                    out_spans.append((len(vector_rows), spans[sentence][1], spans[sentence][2]))
                    sentence_rows.append(sentence)
                vector_rows.append(row)
                new_chunks.append(
                    chunk
                    if copy == 0
                    else replace(
                        chunk,
                        chunk_id=f"{chunk.chunk_id}-s{copy}",
                        doc_id=doc_id,
                        text=perturbed_text(chunk.text, rng),
                    )
                )
            source_path = document.source if copy == 0 else f"syntetisk/{copy}/{document.source}"
            out_documents.append(
                (replace(document, doc_id=doc_id, source=source_path, blocks=[]), new_chunks)
            )
        copy += 1
    real = len(source["rows"])
    vectors = source["vectors"][vector_rows]
    sentence_vectors = source["sentence_vectors"][sentence_rows]
    copied = np.arange(len(vector_rows)) >= real  # rows past the real corpus are copies
    vectors[copied] = perturbed_vectors(vectors[copied], rng)
    spans_out = np.array(out_spans, dtype=np.int32).reshape(-1, 3)
    copied_sentences = copied[spans_out[:, 0]]
    sentence_vectors[copied_sentences] = perturbed_vectors(sentence_vectors[copied_sentences], rng)
    return Contents(out_documents, vectors, sentence_vectors, spans_out, glossary)


def build(
    size: int, embedder: Embedder, source_generation: Generation
) -> tuple[Path, Contents, float | None]:
    """The synthetic corpus's index, with the seconds its writing took; None when an index
    written with the same settings was reused."""
    index_dir = WORK / str(size) / "index"
    marker = WORK / str(size) / "source.json"
    stamp = json.dumps(
        {
            "source": str(source_generation.directory),
            "size": size,
            "model": embedder.model_id,
            # what the generation's files are made with: a change rebuilds them
            "graph": [HNSW_NEIGHBOURS, HNSW_BUILD_DEPTH],
            "vocabulary": VOCABULARY_VERSION,
        }
    )
    documents, source = read_source(source_generation)
    contents = synthesize(documents, source, size, Glossary.load(source_generation.glossary_path))
    current = current_generation(index_dir) if index_dir.is_dir() else None
    if current is not None and marker.exists() and marker.read_text() == stamp:
        log(f"{size}: reusing {current}")
        return index_dir, contents, None
    log(f"{size}: writing {len(contents.vectors)} chunks, {len(contents.spans)} sentences ...")
    started = time.perf_counter()
    index_dir.mkdir(parents=True, exist_ok=True)
    with ingest_lock(index_dir):
        write_generation(
            index_dir,
            contents,
            model=embedder.model_id,
            chunker=source_generation.read_manifest().chunker_version,
            corpus_dir=REPO_ROOT / "corpus",
        )
    seconds = time.perf_counter() - started
    marker.write_text(stamp)
    return index_dir, contents, seconds


def recall_at_10(index: DenseIndex, vectors: np.ndarray, queries: np.ndarray, asked: int) -> float:
    """The share of the exact 10 nearest that the index's first 10 hold, when asked for as
    many rows as search asks it for (which sets the graph's search depth)."""
    if not index.approximate:
        return 1.0
    found = 0
    for query in queries:
        exact = set(np.argpartition(-(vectors @ query), 10)[:10])
        found += len(exact & set(index.nearest(query, asked)[0][:10]))
    return found / (10 * len(queries))


def limit_once(chunks: DenseIndex, sentences: DenseIndex, embedder: Embedder, query: str) -> float:
    """Query embedding plus the raw FAISS searches a query needs, in ms."""
    started = time.perf_counter()
    vector = embedder.embed_query(query)
    chunks.nearest(vector, CANDIDATES_PER_LEG)
    sentences.nearest(vector, SENTENCE_CANDIDATES_PER_ROW * CANDIDATES_PER_LEG)
    return (time.perf_counter() - started) * 1000


def measure(generation: Generation, embedder: Embedder, questions: list[str]) -> dict:
    """The limit and `GET /api/search` question by question, alternating, so both see the
    same machine state; plus the server's startup time and memory."""
    chunks = DenseIndex(generation.dense_path)
    sentences = DenseIndex(generation.sentence_vectors_path)
    started = time.perf_counter()
    server, url = start_server(
        {"REFARK_INDEX_DIR": str(generation.directory.parent), "REFARK_RATE_LIMIT": "0"}
    )
    try:
        wait_ready(url, server, READY_TIMEOUT, interval=0.05)  # finely: its time is reported
        ready = time.perf_counter() - started
        limit, search = [], []
        connection = lean_connection(url)
        try:
            first = timed_get(connection, "/api/search", {"q": questions[0]})
            for q in questions[:10]:  # warm-up, both sides
                timed_get(connection, "/api/search", {"q": q})
                limit_once(chunks, sentences, embedder, q)
            for q in questions:
                limit.append(limit_once(chunks, sentences, embedder, q))
                search.append(timed_get(connection, "/api/search", {"q": q}))
        finally:
            connection.close()
        rss = sum(rss_bytes(pid) for pid in process_tree(server.pid))
        return {
            "ready_s": ready,
            "first_ms": first,
            "limit": sorted(limit),
            "search": sorted(search),
            "rss_mb": rss / 2**20,
        }
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("-n", type=int, default=200, help="queries per size")
    args = parser.parse_args()
    # the backend `refark serve` will use, so that the server accepts the generations written here
    embedder = load_embedder(DEFAULT_MODEL, get_settings().embedding_backend)
    embedder.use_threads(1)  # as `refark serve` does (REFARK_SERVE_THREADS)
    use_faiss_threads(1)
    ingest(REPO_ROOT / "corpus", SOURCE_INDEX, embedder)
    source = Generation(current_generation(SOURCE_INDEX))
    questions = [
        json.loads(line)["question"]
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    questions = (questions * (args.n // len(questions) + 1))[: args.n]
    query_vectors = np.array([embedder.embed_query(q) for q in questions[:50]])
    print(
        "| chunks | sentences | build s | index (chunks / sentences) | recall@10 | "
        "limit p50 / p99 ms | search p50 / p99 ms | p50 ratio | p99 ratio | open index s | "
        "ready s | first search ms | RSS MB |"
    )
    print("|---:|---:|---:|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        index_dir, contents, seconds = build(size, embedder, source)
        generation = Generation(current_generation(index_dir))
        chunk_index = DenseIndex(generation.dense_path)
        sentence_index = DenseIndex(generation.sentence_vectors_path)
        opened = time.perf_counter()
        Searcher(generation.directory, embedder)
        open_seconds = time.perf_counter() - opened
        kinds = " / ".join(
            "HNSW" if index.approximate else "exact" for index in (chunk_index, sentence_index)
        )
        recalls = " / ".join(
            f"{recall_at_10(index, vectors, query_vectors, asked):.3f}"
            for index, vectors, asked in (
                (chunk_index, contents.vectors, CANDIDATES_PER_LEG),
                (
                    sentence_index,
                    contents.sentence_vectors,
                    SENTENCE_CANDIDATES_PER_ROW * CANDIDATES_PER_LEG,
                ),
            )
        )
        served = measure(generation, embedder, questions)
        limit, times = served["limit"], served["search"]
        limit_50, limit_99 = statistics.median(limit), percentile(limit, 99)
        search_50, search_99 = statistics.median(times), percentile(times, 99)
        built = "reused" if seconds is None else f"{seconds:.0f}"
        print(
            f"| {len(contents.vectors):,} | {len(contents.spans):,} | {built} | {kinds} | "
            f"{recalls} | {limit_50:.1f} / {limit_99:.1f} | {search_50:.1f} / {search_99:.1f} | "
            f"{search_50 / limit_50:.2f}x | {search_99 / limit_99:.2f}x | {open_seconds:.2f} | "
            f"{served['ready_s']:.1f} | {served['first_ms']:.0f} | {served['rss_mb']:.0f} |",
            flush=True,
        )
    log(f"load average at the end: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()

"""An ingest process killed at any moment never costs the service an answer: the server keeps
answering from the last good generation, nothing half-written is ever current, and the next
ingest completes, reusing what the killed one had already embedded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index.build import build_index
from index.generation import Generation, current_generation
from tests.conftest import REPO, serve
from tests.documents import write_corpus

pytestmark = pytest.mark.slow

# (what is interrupted, call, before/after, which call); in the order an ingest reaches them.
MOMENTS = [
    ("extracting the first file", "index.build:load_document", "before", 1),
    ("extracting, three files read", "index.build:load_document", "after", 3),
    ("chunking", "index.build:chunk_document", "after", 2),
    ("embedding passages", "index.embedder:Embedder.embed_passages", "before", 1),
    ("passage vectors cached", "index.embedding_cache:EmbeddingCache.put_many", "after", 1),
    ("embedding sentences", "index.embedder:Embedder.embed_passages", "before", 2),
    ("sentence vectors cached", "index.embedding_cache:EmbeddingCache.put_many", "after", 2),
    ("empty generation folder made", "index.build:new_generation", "after", 1),
    ("writing SQLite", "index.build:write_store", "before", 1),
    ("SQLite written", "index.build:write_store", "after", 1),
    ("passage vectors written", "index.build:write_dense", "after", 1),
    ("sentence vectors written", "index.build:write_sentences", "after", 1),
    ("writing the lexical index", "index.lexical:LexicalIndex.save", "before", 1),
    ("lexical index written", "index.lexical:LexicalIndex.save", "after", 1),
    ("glossary written", "index.glossary:Glossary.save", "after", 1),
    ("sealing the manifest", "index.generation:Generation.seal", "before", 1),
    ("manifest sealed", "index.generation:Generation.seal", "after", 1),
    ("verified, not yet published", "index.build:_verify", "after", 1),
    ("renamed, not yet linked", "index.generation:os.symlink", "before", 1),
    ("published, not yet pruned", "index.generation:prune", "before", 1),
]
EMBEDDING_DONE = 7  # from MOMENTS[7] on, the killed ingest had cached every new vector


@pytest.fixture(scope="module")
def crashing_site(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[tuple]:
    """A corpus, its index and a server over it that runs through all the crashes."""
    root = tmp_path_factory.mktemp("crash")
    corpus = write_corpus(root / "corpus")
    index_dir = root / "index"
    build_index(corpus, index_dir, embedder)
    with serve(index_dir, embedder, corpus_dir=corpus) as running:
        yield corpus, index_dir, running.url


def killed_ingest(corpus: Path, index_dir: Path, target: str, when: str, nth: int) -> int:
    command = [sys.executable, "-m", "tests.kill_ingest", target, when, str(nth), "--"]
    command += [str(corpus), "--index-dir", str(index_dir)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, timeout=600, env=os.environ)
    return done.returncode


@pytest.mark.parametrize(("moment", "target", "when", "nth"), MOMENTS, ids=[m[0] for m in MOMENTS])
def test_an_ingest_killed_at_this_moment_loses_nothing(
    crashing_site, embedder, moment: str, target: str, when: str, nth: int
):
    corpus, index_dir, url = crashing_site
    number = MOMENTS.index((moment, target, when, nth))
    word = f"kodeord{number}x"
    for part in ("a", "b", "c"):  # three new files, so that every moment above is reached
        (corpus / f"notat-{number}{part}.md").write_text(
            f"# Notat {number}{part}\n\nHjemmetjenesten bruker {word} i kontakt med legen {part}.\n"
        )
    statuses: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set() and len(statuses) < 5000:
                response = client.get(f"{url}/api/search", params={"q": "PLO-meldinger", "k": 3})
                statuses.append(response.status_code)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        status = killed_ingest(corpus, index_dir, target, when, nth)
    finally:
        stop.set()
        asker.join()
    assert status == -signal.SIGKILL, f"the ingest never reached: {moment}"
    assert statuses and set(statuses) == {200}
    Generation(current_generation(index_dir)).verify()  # never a half-written generation

    report = build_index(corpus, index_dir, embedder)
    if number >= EMBEDDING_DONE:
        assert report.chunks_embedded == 0 and report.sentences_embedded == 0
    assert not list(index_dir.glob("*.partial"))
    kept = {p.name for p in index_dir.glob("gen-*")}
    assert current_generation(index_dir).name in kept and len(kept) <= 2
    for _ in range(50):  # the server follows the repaired generation within its reload interval
        hits = httpx.get(f"{url}/api/search", params={"q": word, "k": 3}, timeout=30).json()
        if any(h["source"] == f"notat-{number}a.md" for h in hits["results"]):
            break
        threading.Event().wait(0.1)
    else:
        pytest.fail(f"notat-{number}a.md was not findable after the repairing ingest")

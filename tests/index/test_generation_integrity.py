"""A damaged index generation is never served: the previous one answers, and the next ingest
repairs the index without re-embedding anything."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from index.build import CACHE_FILE, build_index
from index.generation import (
    CorruptGeneration,
    Generation,
    IndexMissing,
    current_generation,
)
from service.engine import Engine
from service.settings import Settings

pytestmark = pytest.mark.slow

PARTS = [
    "manifest.json",
    "chunks.sqlite",
    "dense.faiss",
    "sentences.faiss",
    "sentences.npy",
    "glossary.json",
    "vocabulary/keys.npy",
    "lexical/params.index.json",
]


def truncate(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def garble(path: Path) -> None:
    """Same size, other bytes: only a checksum tells."""
    size = path.stat().st_size
    path.write_bytes(bytes((i * 7 + 3) % 256 for i in range(size)))


def delete(path: Path) -> None:
    path.unlink()


DAMAGE = {"truncated": truncate, "garbled": garble, "deleted": delete}


@pytest.fixture(scope="module")
def two_generations(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """An index dir with gen-1 and gen-2 (current), gen-2 holding one more document."""
    from tests.documents import write_corpus

    root = tmp_path_factory.mktemp("two-generations")
    corpus = write_corpus(root / "corpus")
    index_dir = root / "index"
    build_index(corpus, index_dir, embedder)
    (corpus / "tolk.md").write_text(
        "# Tolketjeneste\n\nKommunen bestiller tolketjeneste gjennom den nasjonale portalen.\n"
    )
    build_index(corpus, index_dir, embedder)
    return root


@pytest.fixture
def index_copy(two_generations: Path, tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(two_generations, tmp_path / "copy", symlinks=True)
    return tmp_path / "copy" / "corpus", tmp_path / "copy" / "index"


def engine_over(index_dir: Path, corpus: Path, embedder) -> Engine:
    return Engine(Settings(index_dir=index_dir, corpus_dir=corpus, reload_interval=0), embedder)


def test_a_sealed_generation_verifies_and_names_every_file_it_holds(index_copy, embedder):
    _, index_dir = index_copy
    generation = Generation(current_generation(index_dir))
    manifest = generation.verify()
    assert set(PARTS) - {"manifest.json"} <= set(manifest.files)
    assert all(size > 0 and len(digest) == 64 for size, digest in manifest.files.values())


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("part", PARTS)
def test_a_damaged_current_generation_is_passed_over_and_the_next_ingest_repairs_it(
    index_copy, embedder, part: str, damage: str
):
    corpus, index_dir = index_copy
    DAMAGE[damage](index_dir / "gen-2" / part)
    with pytest.raises(CorruptGeneration):
        Generation(index_dir / "gen-2").verify()

    engine = engine_over(index_dir, corpus, embedder)
    assert engine.searcher().directory.name == "gen-1"
    hits = engine.search("utskrivningsrapport", k=3).hits
    assert hits and hits[0].document.source == "standarder/meldinger.md"

    report = build_index(corpus, index_dir, embedder)
    assert report.published and Path(report.generation).name == "gen-3"
    assert report.chunks_embedded == 0 and report.sentences_embedded == 0  # all from the cache
    assert os.readlink(index_dir / "current") == "gen-3"
    Generation(index_dir / "gen-3").verify()
    assert any(h.document.source == "tolk.md" for h in engine.search("tolketjeneste", k=3).hits)


def test_when_no_generation_verifies_the_reason_is_given_and_ingest_rebuilds(index_copy, embedder):
    corpus, index_dir = index_copy
    for name in ("gen-1", "gen-2"):
        garble(index_dir / name / "dense.faiss")
    engine = engine_over(index_dir, corpus, embedder)
    with pytest.raises(IndexMissing, match=r"dense\.faiss er endret eller skadet"):
        engine.searcher()
    report = build_index(corpus, index_dir, embedder)
    assert report.published and report.chunks_embedded == 0
    assert report.document_count == 5  # the four of write_corpus and tolk.md


def test_a_damaged_embedding_cache_is_set_aside_and_the_ingest_completes(index_copy, embedder):
    corpus, index_dir = index_copy
    (index_dir / CACHE_FILE).write_bytes(b"this is not a database" * 100)
    (corpus / "notat.txt").write_text("Et nytt notat om e-resept i hjemmetjenesten.")
    report = build_index(corpus, index_dir, embedder)
    assert report.published and report.added == ["notat.txt"]
    assert list(index_dir.glob(f"{CACHE_FILE}.skadet-*"))

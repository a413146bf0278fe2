"""Index generations: immutable directories `gen-<n>` made current by an atomic symlink swap.

A generation is built in `gen-<n>.partial`, verified, renamed, and only then pointed to by
`current`. A crash at any step leaves `current` on the previous generation. Readers resolve
`current` once per generation they open, so a swap never changes files under their feet.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST_FILE = "manifest.json"
CURRENT_LINK = "current"
KEEP_GENERATIONS = 2
_GENERATION_NAME = re.compile(r"^gen-(\d+)$")


class IndexMissing(RuntimeError):
    """No generation has been built yet in this index directory."""


@dataclass
class Manifest:
    generation: int
    model: str
    dimension: int
    chunker_version: str
    created: str
    corpus_dir: str
    document_count: int
    chunk_count: int
    # source path -> file hash, to tell unchanged documents on the next ingest
    documents: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    glossary: str = ""  # fingerprint of the glossary used for query expansion
    lexical_version: str = ""
    sentence_version: str = ""  # empty: written before sentences had vectors of their own

    def write(self, directory: Path) -> None:
        (directory / MANIFEST_FILE).write_text(
            json.dumps(asdict(self), indent=1, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        data = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        return cls(**data)


def current_generation(index_dir: Path) -> Path | None:
    link = index_dir / CURRENT_LINK
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if (target / MANIFEST_FILE).is_file() else None


def require_current(index_dir: Path) -> Path:
    found = current_generation(index_dir)
    if found is None:
        raise IndexMissing(f"Fant ingen indeks i {index_dir}. Kjør `refark ingest` først.")
    return found


def _generation_numbers(index_dir: Path) -> list[int]:
    if not index_dir.is_dir():
        return []
    numbers = []
    for entry in index_dir.iterdir():
        match = _GENERATION_NAME.match(entry.name)
        if match and entry.is_dir():
            numbers.append(int(match.group(1)))
    return sorted(numbers)


def new_generation_dir(index_dir: Path) -> tuple[int, Path]:
    """A fresh `.partial` directory; leftovers of interrupted builds are removed first."""
    index_dir.mkdir(parents=True, exist_ok=True)
    for leftover in index_dir.glob("gen-*.partial"):
        shutil.rmtree(leftover, ignore_errors=True)
    number = max(_generation_numbers(index_dir), default=0) + 1
    partial = index_dir / f"gen-{number}.partial"
    partial.mkdir()
    return number, partial


def publish(index_dir: Path, partial: Path, number: int) -> Path:
    """Rename the finished build and switch `current` to it atomically."""
    final = index_dir / f"gen-{number}"
    os.rename(partial, final)
    temporary_link = index_dir / f".{CURRENT_LINK}.{number}"
    if temporary_link.is_symlink():
        temporary_link.unlink()
    os.symlink(final.name, temporary_link)
    os.replace(temporary_link, index_dir / CURRENT_LINK)
    _fsync_dir(index_dir)
    prune(index_dir)
    return final


def prune(index_dir: Path, keep: int = KEEP_GENERATIONS) -> None:
    current = current_generation(index_dir)
    for number in _generation_numbers(index_dir)[:-keep]:
        path = index_dir / f"gen-{number}"
        if current is None or path.resolve() != current:
            shutil.rmtree(path, ignore_errors=True)


def _fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class IngestBusy(RuntimeError):
    """Another ingest is writing this index directory."""


@contextmanager
def ingest_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".ingest.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise IngestBusy(f"En annen innlesing pågår allerede i {index_dir}.") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

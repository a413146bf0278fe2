"""Find the ingestible files below a corpus folder and fingerprint them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ingest.metadata import sidecar_path

FORMATS = {
    ".pdf": "pdf",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".txt": "text",
}


@dataclass(frozen=True)
class SourceFile:
    path: Path
    source: str  # relative to the corpus root, forward slashes
    file_format: str
    file_hash: str  # of the file and its metadata sidecar: either changing means re-ingest


def _is_hidden(relative: Path) -> bool:
    # Only dot-paths: site generators keep real content in `_docs/` and `_posts/`.
    return any(part.startswith(".") for part in relative.parts)


def fingerprint(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes())
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        digest.update(b"\0sidecar\0" + sidecar.read_bytes())
    return digest.hexdigest()


def discover(corpus_dir: Path) -> list[SourceFile]:
    """Supported files in a stable order; hidden files and folders are skipped."""
    found = []
    for path in sorted(corpus_dir.rglob("*")):
        relative = path.relative_to(corpus_dir)
        file_format = FORMATS.get(path.suffix.lower())
        if file_format is None or not path.is_file() or _is_hidden(relative):
            continue
        found.append(SourceFile(path, relative.as_posix(), file_format, fingerprint(path)))
    return found

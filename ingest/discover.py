"""Find the ingestible files below a corpus folder and fingerprint them; name the files that
must not or cannot be read, with the reason.

Only files whose real path lies inside the corpus folder are read: a symbolic link to
`/etc/passwd` (or to a folder elsewhere) would otherwise make that file searchable. A trusted
mirror of links (the public-docs bench) opts in with `follow_symlinks`."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.limits import DEFAULT_LIMITS, IngestLimits, human_size
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


OUTSIDE_LINK = "symbolsk lenke ut av korpusmappen; hoppet over"
_HASH_BLOCK = 1024 * 1024


@dataclass
class CorpusScan:
    files: list[SourceFile] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # source -> reason


def _blocks(path: Path) -> Iterator[bytes]:
    # In blocks: a file's size is checked before it is hashed, but memory never depends on it.
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            yield block


def fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    for block in _blocks(path):
        digest.update(block)
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        digest.update(b"\0sidecar\0")
        for block in _blocks(sidecar):
            digest.update(block)
    return digest.hexdigest()


def read_failure(error: OSError, what: str = "filen") -> str:
    """The reason given for a file or folder that vanished or cannot be opened."""
    if isinstance(error, FileNotFoundError):
        return f"{what} forsvant under innlesingen"
    return f"kan ikke lese {what} ({error.strerror or error})"


def _inside(path: Path, root: str) -> bool:
    """Whether the path, every link followed, ends inside the folder `root` (a real path).
    os.path.realpath rather than Path.resolve: it returns, instead of raising, on a link loop."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _reason_to_skip(path: Path, root: str, limits: IngestLimits, follow: bool) -> str | None:
    """Why the file must not be read, checked without reading it; None when it may be."""
    if not follow and not _inside(path, root):
        return OUTSIDE_LINK
    try:
        status = path.stat()
    except OSError as error:
        if isinstance(error, FileNotFoundError) and path.is_symlink():
            return "symbolsk lenke som ikke peker på noen fil; hoppet over"
        return read_failure(error)
    if not stat.S_ISREG(status.st_mode):
        return "ikke en vanlig fil; hoppet over"  # a FIFO would block the ingest forever
    if status.st_size > limits.max_file_bytes:
        return f"filen er større enn grensen på {human_size(limits.max_file_bytes)}; hoppet over"
    sidecar = sidecar_path(path)
    if not follow and sidecar.is_symlink() and not _inside(sidecar, root):
        return f"metadatafilen {sidecar.name} er en {OUTSIDE_LINK}"
    return None


def scan_corpus(
    corpus_dir: Path, limits: IngestLimits = DEFAULT_LIMITS, follow_symlinks: bool = False
) -> CorpusScan:
    """Supported files in a stable order, and the ones skipped with the reason. Hidden files
    and folders are left out silently, as are unsupported formats."""
    root = os.path.realpath(corpus_dir)
    scan = CorpusScan()

    def unreadable(error: OSError) -> None:
        where = Path(error.filename).relative_to(corpus_dir).as_posix()
        scan.skipped[where] = read_failure(error, "mappen")

    walked: set[str] = set()  # real paths of folders walked: a link loop is walked once
    for folder, folders, names in os.walk(
        corpus_dir, onerror=unreadable, followlinks=follow_symlinks
    ):
        if os.path.realpath(folder) in walked:
            folders.clear()
            continue
        walked.add(os.path.realpath(folder))
        here = Path(folder)
        kept = []
        for name in folders:
            path = here / name
            if name.startswith("."):
                continue  # only dot-folders: site generators keep content in `_docs/`
            if path.is_symlink() and not follow_symlinks:
                # A link to a folder inside the corpus would only give its files twice.
                if not _inside(path, root):
                    scan.skipped[path.relative_to(corpus_dir).as_posix()] = (
                        f"mappen er en {OUTSIDE_LINK}"
                    )
                continue
            kept.append(name)
        folders[:] = sorted(kept)
        for name in names:
            path = here / name
            file_format = FORMATS.get(path.suffix.lower())
            if file_format is None or name.startswith("."):
                continue
            source = path.relative_to(corpus_dir).as_posix()
            reason = _reason_to_skip(path, root, limits, follow_symlinks)
            if reason is None:
                try:
                    scan.files.append(SourceFile(path, source, file_format, fingerprint(path)))
                except OSError as error:  # deleted or locked between the checks and the read
                    reason = read_failure(error)
            if reason is not None:
                scan.skipped[source] = reason
    scan.files.sort(key=lambda f: Path(f.source).parts)
    return scan


def discover(
    corpus_dir: Path, limits: IngestLimits = DEFAULT_LIMITS, follow_symlinks: bool = False
) -> list[SourceFile]:
    """The files `scan_corpus` would read."""
    return scan_corpus(corpus_dir, limits, follow_symlinks).files

"""Size limits that keep one hostile or broken file from exhausting the ingest's memory or time.

The defaults are safe on their own; the service may tighten or widen the two that users tune
(`REFARK_MAX_FILE_BYTES`, `REFARK_MAX_DOCUMENT_CHARS`)."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class IngestLimits:
    # A file over this is skipped before a byte of it is read: the largest real PDF in the
    # public e-health documents is a few tens of MB.
    max_file_bytes: int = 100 * MB
    # Extracted text over this fails the document: about 2,500 pages of dense prose, far past
    # any real guideline, and what keeps chunking and embedding to minutes, not hours.
    max_document_chars: int = 5_000_000
    # A metadata sidecar or Markdown front matter holds a handful of short fields.
    max_metadata_bytes: int = 64 * 1024
    # A metadata value over this is cut here (titles and publishers are never this long; the
    # text of the document is never cut, so nothing a search needs is lost).
    max_metadata_chars: int = 500
    # A Word file is a zip archive: refused when its parts would unpack to more than this...
    max_unpacked_bytes: int = 200 * MB
    # ...or when it unpacks to over this many times its packed size (a zip bomb; real DOCX
    # XML packs 10-30 times).
    max_compression_ratio: int = 100


DEFAULT_LIMITS = IngestLimits()


def human_size(size: int) -> str:
    """A byte count as a maintainer reads it in a reason: '150 MB', '64 KB'."""
    return f"{size / MB:.0f} MB" if size >= MB else f"{size / 1024:.0f} KB"


def grouped(count: int) -> str:
    """A count with the thousands grouped the Norwegian way: '5 000 000'."""
    return f"{count:,}".replace(",", " ")

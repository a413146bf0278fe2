"""Plain text files: paragraphs are separated by blank lines."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from ingest.extract import Extracted, ExtractionError
from ingest.limits import DEFAULT_LIMITS, IngestLimits, human_size
from ingest.models import Block


def read_text_file(path: Path, limits: IngestLimits = DEFAULT_LIMITS) -> str:
    """The file's text with Unix line endings, whatever the editor that saved it used."""
    with path.open("rb") as handle:  # the size was checked, but the file may have grown since
        raw = handle.read(limits.max_file_bytes + 1)
    if len(raw) > limits.max_file_bytes:
        raise ExtractionError(f"filen er større enn grensen på {human_size(limits.max_file_bytes)}")
    encodings = ("utf-8-sig", "cp1252")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Notepad's "Unicode"
        encodings = ("utf-16",)
    elif b"\0" in raw:  # Windows-1252 would decode any bytes at all, into garbage
        raise ExtractionError("filen ser ut til å være binær, ikke tekst")
    for encoding in encodings:
        try:
            return raw.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            continue
    raise ExtractionError("teksten er verken UTF-8, UTF-16 eller Windows-1252")


def extract_text(path: Path, limits: IngestLimits = DEFAULT_LIMITS) -> Extracted:
    text = read_text_file(path, limits)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return Extracted(blocks=[Block(text=p) for p in paragraphs if p])

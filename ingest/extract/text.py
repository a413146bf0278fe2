"""Plain text files: paragraphs are separated by blank lines."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.extract import Extracted, ExtractionError
from ingest.models import Block


def read_text_file(path: Path) -> str:
    """The file's text with Unix line endings, whatever the editor that saved it used."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            continue
    raise ExtractionError("teksten er verken UTF-8 eller Windows-1252")


def extract_text(path: Path) -> Extracted:
    text = read_text_file(path)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return Extracted(blocks=[Block(text=p) for p in paragraphs if p])

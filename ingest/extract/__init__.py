"""Format-specific text extraction: each extractor returns `Extracted` or raises
`ExtractionError`."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.models import Block


class ExtractionError(Exception):
    """The file could not be read; the message is shown to the maintainer as the reason."""


@dataclass
class Extracted:
    blocks: list[Block]
    # Metadata found inside the file itself (front matter, <title>, PDF info, DOCX properties).
    meta: dict[str, str] = field(default_factory=dict)
    page_count: int | None = None

"""What each leg sees of a chunk: the chunk text with its document title and section."""

from __future__ import annotations

from ingest.models import HEADING_SEPARATOR, Chunk, Document


def passage_text(document: Document, chunk: Chunk) -> str:
    """The text embedded for a chunk; the title and heading path give it context."""
    context = HEADING_SEPARATOR.join(part for part in (document.meta.title, chunk.section) if part)
    return f"{context}\n{chunk.text}" if context else chunk.text


def lexical_text(document: Document, chunk: Chunk) -> str:
    # Title and headings are repeated: a term there says more about the chunk than one in passing.
    context = f"{document.meta.title} {chunk.section}"
    return f"{context} {context} {chunk.text}"

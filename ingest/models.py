"""Data types born in ingest and passed along unchanged to index and service."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Document types, in the order they are offered, with the label users see.
DOC_TYPE_LABELS = {
    "referansearkitektur": "Referansearkitektur",
    "standard": "Standard",
    "erfaringsrapport": "Erfaringsrapport",
    "veileder": "Veileder",
    "annet": "Annet",
}
DOC_TYPES = tuple(DOC_TYPE_LABELS)

HEADING_SEPARATOR = " › "
BLOCK_SEPARATOR = "\n\n"
CELL_SEPARATOR = " | "


@dataclass(frozen=True)
class DocumentMeta:
    title: str
    doc_type: str = "annet"
    publisher: str = ""
    date: str = ""
    language: str = "nb"


@dataclass(frozen=True)
class Table:
    """A table's cells: the header row (the first row when the format marks none) and the
    body rows."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = ()

    @property
    def text(self) -> str:
        """The table as plain text, one line a row with its cells joined by CELL_SEPARATOR:
        line 0 is the header, line i row i - 1."""
        return "\n".join(CELL_SEPARATOR.join(row) for row in (self.header, *self.rows))


def table_of(rows: list[list[str]]) -> Table | None:
    """The table of a format's rows of cell texts; rows without any text are left out."""
    kept = [tuple(row) for row in rows if any(row)]
    return Table(kept[0], tuple(kept[1:])) if kept else None


@dataclass(frozen=True)
class Block:
    """A run of text with one location: a paragraph, list item, table or heading.

    A table block keeps its structure in `table`, and its `text` is `table.text`: the document
    text, which chunk offsets, sentence spans, both search legs and evaluation quotes all refer
    to, reads the same as before tables had a structure, and every row is still one line of
    it. So the structure is a second view of the same text, never a different text."""

    text: str
    page: int | None = None
    headings: tuple[str, ...] = ()
    is_heading: bool = False
    table: Table | None = None


@dataclass
class Document:
    doc_id: str
    source: str  # path relative to the corpus root, with forward slashes
    file_format: str  # pdf | markdown | html | docx | text
    meta: DocumentMeta
    blocks: list[Block]
    file_hash: str
    page_count: int | None = None

    @property
    def text(self) -> str:
        """The extracted text that chunk offsets and evaluation quotes refer to."""
        return BLOCK_SEPARATOR.join(block.text for block in self.blocks)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    ordinal: int
    text: str
    headings: tuple[str, ...]
    page: int | None
    char_start: int
    char_end: int
    # The table whose rows the chunk holds, with only those rows; its header is the table's,
    # also in the chunks of a long table whose text no longer shows it.
    table: Table | None = None

    @property
    def section(self) -> str:
        return HEADING_SEPARATOR.join(self.headings)


def section_anchor(headings: tuple[str, ...]) -> str:
    """A stable URL fragment for a heading path (ASCII, so it survives every client)."""
    if not headings:
        return ""
    folded = unicodedata.normalize("NFKD", headings[-1].lower())
    folded = folded.replace("æ", "ae").replace("ø", "o").replace("å", "a")
    ascii_text = folded.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return f"s-{len(headings)}-{slug or 'del'}"

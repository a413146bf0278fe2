"""Split a document into passages that fit the embedding model's window.

A chunk never crosses a section heading or a PDF page, so every chunk has one citable place.
Within a section, sentences (or lines of tables and lists) are packed up to `max_words`; when a
section is split, the next chunk repeats the last short sentence so an answer that straddles the
cut is still found whole in one chunk. A chunk holds rows of one table at most, and carries the
table's header and the rows it holds.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from itertools import groupby

from ingest.models import BLOCK_SEPARATOR, Block, Chunk, Document, Table
from ingest.sentences import SENTENCE_BREAK

# Bump when extraction or chunking changes what a file becomes: the next ingest then
# re-reads every file instead of reusing stored chunks.
INGEST_VERSION = "10"
CHARS_PER_WORD = 7
# A piece is a run of letters (camelCase split), a number or a punctuation mark. The model's
# tokens per piece are nearly the same for prose, JSON and tables (median 1.45, p95 1.8 on
# public-docs), unlike its tokens per word (p95 4.0). Prose has about 1.15 pieces per word, so
# 1.2 pieces count as a word: prose is still measured by its words.
_PIECE = re.compile(r"[A-ZÆØÅ]?[a-zæøå]+|[A-ZÆØÅ]+(?![a-zæøå])|\d+|[^\w\s]")
PIECES_PER_WORD = 1.2


@dataclass(frozen=True)
class ChunkingConfig:
    # 250 words stay within e5's 512-token window and beat 170 on NorQuAD validation.
    max_words: int = 250
    overlap_words: int = 40


def chunker_signature(config: ChunkingConfig) -> str:
    """Changes whenever the same document would be chunked differently."""
    return f"{INGEST_VERSION}:{config.max_words}:{config.overlap_words}"


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    words: int  # as measured by _size
    table: Table | None = None  # the table whose line this is
    line: int = 0  # which line of the table: 0 is the header, i is row i - 1


def _size(text: str) -> int:
    """Length in words, where dense text (JSON, code, tables, long identifiers) counts by its
    pieces or one word per 7 characters: it costs the model far more tokens per word than
    prose does, and a chunk must fit the model's 512-token window."""
    pieces = int(len(_PIECE.findall(text)) / PIECES_PER_WORD)
    return max(len(text.split()), len(text) // CHARS_PER_WORD, pieces)


def _units(block: Block, offset: int, max_words: int) -> list[_Unit]:
    """Sentence or line spans of one block, as offsets into the document text. A table's
    lines are its rows (Table.text), each cut only when longer than a chunk."""
    splitter = re.compile(r"\n") if "\n" in block.text or block.table else SENTENCE_BREAK
    units = []
    position = 0
    for line, piece in enumerate(splitter.split(block.text)):
        start = block.text.index(piece, position)
        position = start + len(piece)
        words = list(re.finditer(r"\S+", piece))
        window: list[re.Match[str]] = []
        for word in [*words, None]:
            grown = (
                max(len(window) + 1, (word.end() - window[0].start()) // CHARS_PER_WORD)
                if window and word
                else 0
            )
            if window and (word is None or grown > max_words):
                first, last = window[0].start(), window[-1].end()
                units.append(
                    _Unit(
                        offset + start + first,
                        offset + start + last,
                        _size(piece[first:last]),
                        block.table,
                        line,
                    )
                )
                window = []
            if word is not None:
                window.append(word)
    return units


def chunk_id(doc_id: str, ordinal: int, text: str) -> str:
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return f"{doc_id}:{ordinal}:{digest}"


def chunk_document(document: Document, config: ChunkingConfig) -> list[Chunk]:
    text = document.text
    offsets = []
    position = 0
    for block in document.blocks:
        offsets.append(position)
        position += len(block.text) + len(BLOCK_SEPARATOR)

    located = [
        (block, offset)
        for block, offset in zip(document.blocks, offsets, strict=True)
        if not block.is_heading
    ]
    spans: list[tuple[Block, list[_Unit]]] = []
    for (_, _), run in groupby(located, key=lambda item: (item[0].headings, item[0].page)):
        run = list(run)
        units = [u for block, offset in run for u in _units(block, offset, config.max_words)]
        anchor = run[0][0]
        current: list[_Unit] = []
        for unit in units:
            full = sum(u.words for u in current) + unit.words > config.max_words
            if current and (full or _another_table(current, unit)):
                spans.append((anchor, current))
                tail = current[-1]
                keep = tail.words <= config.overlap_words and not _another_table([tail], unit)
                current = [tail] if keep else []
            current.append(unit)
        if current:
            spans.append((anchor, current))

    chunks = []
    for ordinal, (block, units) in enumerate(spans):
        start, end = units[0].start, units[-1].end
        body = text[start:end]
        chunks.append(
            Chunk(
                chunk_id=chunk_id(document.doc_id, ordinal, body),
                doc_id=document.doc_id,
                ordinal=ordinal,
                text=body,
                headings=block.headings,
                page=block.page,
                char_start=start,
                char_end=end,
                table=_table_part(units),
            )
        )
    return chunks


def _another_table(units: list[_Unit], unit: _Unit) -> bool:
    """Whether `unit` is a row of a table other than one the units hold rows of: a chunk's
    rows must all have the one header it carries."""
    return unit.table is not None and any(u.table not in (None, unit.table) for u in units)


def _table_part(units: list[_Unit]) -> Table | None:
    """The header of the table the units hold lines of, with the rows they hold."""
    table = next((u.table for u in units if u.table is not None), None)
    if table is None:
        return None
    lines = sorted({u.line for u in units if u.table == table and u.line > 0})
    return Table(table.header, tuple(table.rows[line - 1] for line in lines))

"""PDF files: text per page with page numbers; headings found by font size; running
headers and footers dropped."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pypdf
from pypdf.errors import EmptyFileError, PdfReadError

from ingest.extract import Extracted, ExtractionError
from ingest.extract.headings import HeadingTrail
from ingest.limits import DEFAULT_LIMITS, IngestLimits, grouped
from ingest.models import CELL_SEPARATOR, Block, table_of

_PAGE_NUMBER = re.compile(r"^(side\s+)?\d+(\s*(av|/)\s*\d+)?$", re.IGNORECASE)
_LIST_START = re.compile(r"^([•\-–*]|\d{1,2}[.)])\s+")  # "2024. " is a year, not an item
_SENTENCE_END = re.compile(r"[.:!?)]$")
MIN_COLUMNS = 3  # fewer aligned text starts are as likely a bold word in a sentence
COLUMN_TOLERANCE = 1.5  # points


@dataclass
class _Line:
    """One line of extracted text. pypdf gives a table row, wrapped cells included, as one
    line; its pieces then start at the columns' x positions."""

    text: str
    size: float
    cells: dict[float, list[str]] = field(default_factory=dict)  # x of a piece -> its texts

    @property
    def columns(self) -> tuple[float, ...]:
        return tuple(sorted(self.cells))

    def row_cells(self) -> tuple[str, ...]:
        return tuple(" ".join(" ".join(self.cells[x]).split()) for x in self.columns)


def _aligned(a: _Line, b: _Line) -> bool:
    return (
        len(a.columns) >= MIN_COLUMNS
        and len(a.columns) == len(b.columns)
        and all(abs(x - y) <= COLUMN_TOLERANCE for x, y in zip(a.columns, b.columns, strict=True))
    )


class _Text(NamedTuple):
    """A line as the block builder reads it."""

    text: str
    size: float
    is_row: bool = False  # a table row: `cells` holds its cells, `text` them joined
    left: float = 0.0  # x where the line's text starts
    cells: tuple[str, ...] = ()


def _mark_table_rows(lines: list[_Line]) -> list[_Text]:
    """The lines as _Text. Consecutive lines whose pieces start at the same
    three or more x positions are rows of a table: their cells are kept apart, so a row reads
    as one record instead of running into the next row's words."""
    rows = [
        (i > 0 and _aligned(line, lines[i - 1]))
        or (i + 1 < len(lines) and _aligned(line, lines[i + 1]))
        for i, line in enumerate(lines)
    ]
    marked = []
    for line, row in zip(lines, rows, strict=True):
        left = min(line.cells, default=0.0)
        if row:
            cells = line.row_cells()
            marked.append(_Text(CELL_SEPARATOR.join(cells), line.size, True, left, cells))
        else:
            marked.append(_Text(line.text, line.size, False, left))
    return marked


def _open(path: Path) -> pypdf.PdfReader:
    try:
        reader = pypdf.PdfReader(str(path))
    except EmptyFileError as error:
        raise ExtractionError("PDF-filen er tom (0 byte)") from error
    except FileNotFoundError:
        raise  # not a broken PDF: the loader names it
    except (PdfReadError, OSError, ValueError) as error:
        raise ExtractionError(f"ødelagt eller uleselig PDF ({error})") from error
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception as error:  # pypdf raises several types for unsupported crypto
            raise ExtractionError("PDF-en er kryptert og kan ikke leses") from error
        if not opened:
            raise ExtractionError("PDF-en er passordbeskyttet")
    return reader


def _lines_of_page(page: pypdf.PageObject) -> list[_Text]:
    """The page's text lines with the font size most of each line is drawn in, and whether
    the line is a table row.

    The visitor sees the same text pieces that make up pypdf's extracted text, so joining them
    gives the lines while keeping each piece's size (a line may mix bold and plain runs) and
    where it starts."""
    lines: list[_Line] = []
    parts: list[str] = []
    sizes: Counter[float] = Counter()
    cells: dict[float, list[str]] = {}

    def end_line() -> None:
        line = " ".join("".join(parts).split())
        if line:
            size = sizes.most_common(1)[0][0] if sizes else 0.0
            lines.append(_Line(line, size, dict(cells)))
        parts.clear()
        sizes.clear()
        cells.clear()

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        scaled = round(size * (abs(tm[3] * cm[3]) or 1.0), 1)
        x = round(tm[4] * cm[0] + cm[4], 1)
        for index, piece in enumerate(text.split("\n")):
            if index:
                end_line()
            parts.append(piece)
            if piece.strip():
                sizes[scaled] += len(piece.strip())
                cells.setdefault(x, []).append(piece)

    page.extract_text(visitor_text=visit)
    end_line()
    return _mark_table_rows(lines)


def _page_lines(reader: pypdf.PdfReader, limits: IngestLimits) -> list[list[_Text]]:
    """The lines of every page; stops as soon as the text is over the limit, since pypdf caps
    each stream it unpacks (75 MB) but not how many pages a file has."""
    pages = []
    length = 0
    for page in reader.pages:
        pages.append(_lines_of_page(page))
        length += sum(len(line.text) + 1 for line in pages[-1])
        if length > limits.max_document_chars:
            raise ExtractionError(
                f"teksten er over grensen på {grouped(limits.max_document_chars)} tegn "
                f"(etter {len(pages)} sider)"
            )
    return pages


def _running_lines(pages: list[list[_Text]]) -> set[str]:
    """Lines repeated at the top or bottom of many pages: headers and footers."""
    if len(pages) < 3:
        return set()
    edges = Counter()
    for lines in pages:
        for text in {line.text for line in (*lines[:2], *lines[-2:])}:
            edges[re.sub(r"\d+", "#", text)] += 1
    return {text for text, count in edges.items() if count >= max(3, len(pages) // 2)}


def extract_pdf(path: Path, limits: IngestLimits = DEFAULT_LIMITS) -> Extracted:
    reader = _open(path)
    try:
        pages = _page_lines(reader, limits)
    except ExtractionError:
        raise
    except Exception as error:  # a broken content stream can fail deep inside pypdf
        raise ExtractionError(f"kunne ikke hente tekst fra PDF-en ({error})") from error
    if not any(pages):
        raise ExtractionError("PDF-en har ingen tekst (skannet bilde uten OCR?)")

    running = _running_lines(pages)
    weights = Counter()
    for lines in pages:
        for line in lines:
            weights[line.size] += len(line.text)
    body_size = weights.most_common(1)[0][0]
    if body_size == 0.0:  # no size information at all: keep the text, skip heading detection
        body_size = float("inf")
    heading_sizes = sorted(
        {line.size for lines in pages for line in lines if line.size >= body_size * 1.12},
        reverse=True,
    )

    meta: dict[str, str] = {}
    info = reader.metadata or {}
    if info.get("/Title"):
        meta["title"] = str(info["/Title"])
    if info.get("/Author"):
        meta["publisher"] = str(info["/Author"])

    blocks: list[Block] = []
    trail = HeadingTrail()
    for page_number, lines in enumerate(pages, start=1):
        kept = [
            line
            for line in lines
            if re.sub(r"\d+", "#", line.text) not in running and not _PAGE_NUMBER.match(line.text)
        ]
        blocks.extend(_page_blocks(page_number, kept, heading_sizes, trail, meta))
    return Extracted(blocks=blocks, meta=meta, page_count=len(pages))


def _page_blocks(
    page_number: int,
    lines: list[_Text],
    heading_sizes: list[float],
    trail: HeadingTrail,
    meta: dict[str, str],
) -> list[Block]:
    """Paragraphs, tables and headings of one page; the largest text on page 1 is the title.
    A table is one block with its first row as the header (a PDF marks none)."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    table_rows: list[list[str]] = []
    widths = sorted(len(line.text) for line in lines if not line.is_row) or [0]
    full_width = widths[int(len(widths) * 0.8)]

    def flush() -> None:
        if paragraph:
            blocks.append(Block(" ".join(paragraph), page=page_number, headings=trail.path))
            paragraph.clear()
        table = table_of(table_rows)
        table_rows.clear()
        if table:
            blocks.append(Block(table.text, page_number, trail.path, table=table))

    item_left: float | None = None  # where the open list item's marker stands
    for text, size, row, left, cells in _merge_wrapped_headings(lines, heading_sizes):
        if row:
            if paragraph:
                flush()
            table_rows.append(list(cells))
            continue
        if table_rows:
            flush()
        if size in heading_sizes:
            flush()
            level = heading_sizes.index(size) + 1
            if page_number == 1 and level == 1 and not any(b.is_heading for b in blocks):
                # The largest text on the first page is the title, not a section.
                meta.setdefault("title", text)
                continue
            trail.enter(level, text)
            blocks.append(Block(text=text, page=page_number, headings=trail.path, is_heading=True))
            continue
        if _LIST_START.match(text):
            flush()
            item_left = left
        elif not paragraph:
            item_left = None
        elif item_left is not None and left <= item_left + COLUMN_TOLERANCE:
            # A list item's wrapped lines are indented past its marker; a line that starts
            # at the marker or left of it is the paragraph after the list.
            flush()
            item_left = None
        paragraph.append(text)
        # A short line closes its paragraph when it ends a sentence or a list item (list items
        # often have no final punctuation).
        is_list_item = bool(_LIST_START.match(paragraph[0]))
        if len(text) < 0.7 * full_width and (is_list_item or _SENTENCE_END.search(text)):
            flush()
    flush()
    return blocks


def _merge_wrapped_headings(lines: list[_Text], heading_sizes: list[float]) -> list[_Text]:
    """Join consecutive heading lines of one size: a long heading wraps over two lines.
    Long lines in a heading size are body text in a large font, not headings, and so are
    table rows."""
    merged: list[_Text] = []
    for line in lines:
        is_heading = not line.is_row and line.size in heading_sizes and len(line.text) < 150
        if is_heading and merged and merged[-1].size == line.size:
            merged[-1] = merged[-1]._replace(text=f"{merged[-1].text} {line.text}")
        else:
            merged.append(line._replace(size=line.size if is_heading else 0.0))
    return merged

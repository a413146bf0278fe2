"""Word documents: heading styles give the section path; tables are kept in document order."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph

from ingest.extract import Extracted, ExtractionError
from ingest.extract.headings import HeadingTrail
from ingest.limits import DEFAULT_LIMITS, IngestLimits, human_size
from ingest.models import Block, Table, table_of

_HEADING_STYLE = re.compile(r"^(?:Heading|Overskrift)\s*(\d)$", re.IGNORECASE)


def _body_items(document: DocxDocument):
    """Paragraphs and tables in the order they stand in the document body."""
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            yield Paragraph(child, document)
        elif child.tag.endswith("}tbl"):
            yield DocxTable(child, document)


def _table(table: DocxTable) -> Table | None:
    """The rows of a Word table; Word marks no header, so the first row is it."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if not cells or cells[-1] != text:  # merged cells repeat their text
                cells.append(text)
        rows.append(cells)
    return table_of(rows)


def _check_archive(path: Path, limits: IngestLimits) -> None:
    """Refuse a zip bomb from the archive's directory, before anything is unpacked. The sizes
    there are binding: Python's zipfile stops a part at the size its entry declares."""
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
    unpacked = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries)
    if unpacked > limits.max_unpacked_bytes:
        raise ExtractionError(
            f"Word-filen pakkes ut til {human_size(unpacked)}, over grensen på "
            f"{human_size(limits.max_unpacked_bytes)} (zip-bombe?)"
        )
    if unpacked > limits.max_compression_ratio * max(packed, 1):
        raise ExtractionError(
            f"Word-filen pakkes ut til {unpacked // max(packed, 1)} ganger sin egen størrelse "
            "(zip-bombe?)"
        )


def extract_docx(path: Path, limits: IngestLimits = DEFAULT_LIMITS) -> Extracted:
    try:
        _check_archive(path, limits)
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ExtractionError(f"kan ikke lese Word-filen ({error})") from error
    props = document.core_properties
    meta = {
        key: str(value)
        for key, value in (
            ("title", props.title),
            ("publisher", props.author),
            ("date", props.created.date().isoformat() if props.created else ""),
            ("language", props.language),
        )
        if value
    }
    blocks: list[Block] = []
    trail = HeadingTrail()
    list_items: list[str] = []

    def flush_list() -> None:
        if list_items:
            blocks.append(Block(text="\n".join(list_items), headings=trail.path))
            list_items.clear()

    for item in _body_items(document):
        if isinstance(item, DocxTable):
            flush_list()
            table = _table(item)
            if table:
                blocks.append(Block(text=table.text, headings=trail.path, table=table))
            continue
        text = " ".join(item.text.split())
        if not text:
            continue
        style = item.style.name if item.style is not None else ""
        heading = _HEADING_STYLE.match(style)
        if style == "Title":
            flush_list()
            meta.setdefault("title", text)
        elif heading:
            flush_list()
            trail.enter(int(heading.group(1)), text)
            blocks.append(Block(text=text, headings=trail.path, is_heading=True))
        elif style.startswith("List"):
            list_items.append(f"- {text}")
        else:
            flush_list()
            blocks.append(Block(text=text, headings=trail.path))
    flush_list()
    return Extracted(blocks=blocks, meta=meta)

"""Answer units: what an answer quotes. One sentence or table row, or a sentence that introduces
a list or a table together with its items or rows; never a sentence about the document itself.
Table rows are quoted with their column headers, never as the cells joined in the text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.models import CELL_SEPARATOR, Table

# A sentence about the document itself ("Dette dokumentet forklarer ...") answers nothing.
_ABOUT_THE_DOCUMENT = re.compile(
    r"^(?:(?:dette|denne)\s+(?:dokumentet|kapittelet|notatet|veilederen|rapporten|avsnittet|delen)"
    r"|i\s+dett?e\s+(?:dokumentet|kapittelet|avsnittet|notatet|kapitlet)"
    r"|dokumentet\s+(?:beskriver|forklarer|gir|tar for seg))\b",
    re.IGNORECASE,
)
# A caveat about how far the document can be trusted ("Fakta om NHN er gjengitt etter beste
# forståelse; priser må alltid kontrolleres mot …") is about the document too, wherever it
# stands in the sentence, and shares the question's words without answering it.
_CAVEAT = re.compile(
    r"\b(?:etter beste (?:forståelse|skjønn)|med forbehold om|må (?:alltid )?kontrolleres mot)\b",
    re.IGNORECASE,
)
_ITEM_MARKER = re.compile(r"[ \t]*(?:[-*•–]|\d{1,2}[.)])[ \t]+")
_LINE = re.compile(r"\S[^\n]*")
MAX_TABLE_ROWS = 3  # rows of an introduced table quoted: the ones closest to the question


@dataclass(frozen=True)
class AnswerUnit:
    """What an answer quotes: one sentence, or a sentence ending in ':' with the list items or
    table rows that follow it (quoting "… må kommunen:" without the list answers nothing)."""

    start: int
    end: int
    similarity: float  # the best of its sentences' cosines with the question
    is_list: bool


def _is_list_item(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return bool(_ITEM_MARKER.fullmatch(text[line_start:start]))


def _is_table_row(text: str, start: int, end: int) -> bool:
    """Whether a sentence is a line of a table (the text joins a row's cells, Table.text)."""
    return CELL_SEPARATOR in text[start:end]


def answer_units(text: str, sentences: Sequence[tuple[int, int, float]]) -> list[AnswerUnit]:
    """The units of a chunk's indexed sentences (in text order), leaving out sentences about
    the document itself and its caveats."""
    units = []
    i = 0
    while i < len(sentences):
        start, end, _ = sentences[i]
        following = i + 1
        if text[start:end].rstrip().endswith(":"):
            while following < len(sentences) and (
                _is_list_item(text, sentences[following][0])
                or _is_table_row(text, *sentences[following][:2])
            ):
                following += 1
        members = sentences[i:following]
        sentence = text[start:end]
        if not (_ABOUT_THE_DOCUMENT.match(sentence.lstrip()) or _CAVEAT.search(sentence)):
            units.append(
                AnswerUnit(start, members[-1][1], max(m[2] for m in members), len(members) > 1)
            )
        i = following
    return units


def unit_text(text: str, unit: AnswerUnit) -> str:
    """The quoted text; a list keeps one item a line."""
    return re.sub(r"\n\s*\n", "\n", text[unit.start : unit.end]).strip()


def labelled_row(header: tuple[str, ...], row: tuple[str, ...]) -> str:
    """A row with each cell after its column header: "Hastegrad: Akutt – Frist for svar: innen
    fire timer". Empty cells are left out; a cell without a header stands alone."""
    parts = []
    for column, cell in enumerate(row):
        label = header[column] if column < len(header) else ""
        if cell:
            parts.append(f"{label}: {cell}" if label and label != cell else cell)
    return " – ".join(parts)


def table_unit_text(
    text: str, unit: AnswerUnit, sentences: Sequence[tuple[int, int, float]], table: Table
) -> str:
    """The quoted text of a unit in a chunk that holds `table` (the header and the chunk's
    rows): each row labelled with its column headers and the header line left out. Of a table
    that a sentence introduces, the MAX_TABLE_ROWS rows closest to the question are quoted, in
    table order, with the number of rows left out."""
    rows = {CELL_SEPARATOR.join(row): row for row in table.rows}
    header = CELL_SEPARATOR.join(table.header)
    similarity = {start: score for start, _, score in sentences}
    lines = [
        (unit.start + match.start(), match.group().rstrip())
        for match in _LINE.finditer(text[unit.start : unit.end])
    ]
    lines = [(start, line) for start, line in lines if line != header]
    row_starts = [start for start, line in lines if line in rows]
    closest = sorted(row_starts, key=lambda start: -similarity.get(start, 0.0))
    shown = set(closest[:MAX_TABLE_ROWS])
    marker = "- " if len(lines) > 1 else ""
    quoted = [
        f"{marker}{labelled_row(table.header, rows[line])}" if line in rows else line
        for start, line in lines
        if line not in rows or start in shown
    ]
    left_out = len(row_starts) - len(shown)
    if left_out:
        quoted.append(f"… og {left_out} {'rad' if left_out == 1 else 'rader'} til i tabellen")
    return "\n".join(quoted)

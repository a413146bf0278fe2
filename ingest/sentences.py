"""Where sentences are: the one splitter for chunking, the sentence index and answers."""

from __future__ import annotations

import re

from ingest.models import CELL_SEPARATOR

SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9«\"(])")
_LINE = re.compile(r"[^\n]+")
_LIST_MARKER = re.compile(r"\s*(?:[•\-–*]|\d+[.)])\s+")


def sentence_spans(text: str, min_words: int = 1) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence, list item or table row of `text`, without list
    markers and surrounding space; pieces shorter than `min_words` are left out. A table row
    is one piece even when a cell holds two sentences: a cell means little without its row."""
    spans = []
    for line in _LINE.finditer(text):
        is_row = CELL_SEPARATOR in line.group()
        marker = None if is_row else _LIST_MARKER.match(line.group())
        position = line.start() + (marker.end() if marker else 0)
        rest = text[position : line.end()]
        for piece in [rest] if is_row else SENTENCE_BREAK.split(rest):
            begin = text.index(piece, position)
            position = begin + len(piece)
            stripped = piece.strip()
            if len(stripped.split()) >= max(min_words, 1):
                begin += piece.index(stripped)
                spans.append((begin, begin + len(stripped)))
    return spans

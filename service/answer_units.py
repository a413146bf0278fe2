"""Answer units: what an answer quotes. One sentence, or a sentence that introduces a list
together with its items; never a sentence about the document itself."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# A sentence about the document itself ("Dette dokumentet forklarer ...") answers nothing.
_ABOUT_THE_DOCUMENT = re.compile(
    r"^(?:(?:dette|denne)\s+(?:dokumentet|kapittelet|notatet|veilederen|rapporten|avsnittet|delen)"
    r"|i\s+dett?e\s+(?:dokumentet|kapittelet|avsnittet|notatet|kapitlet)"
    r"|dokumentet\s+(?:beskriver|forklarer|gir|tar for seg))\b",
    re.IGNORECASE,
)
_ITEM_MARKER = re.compile(r"[ \t]*(?:[-*•–]|\d{1,2}[.)])[ \t]+")


@dataclass(frozen=True)
class AnswerUnit:
    """What an answer quotes: one sentence, or a sentence ending in ':' with the list items that
    follow it (quoting "… må kommunen:" without the list answers nothing)."""

    start: int
    end: int
    similarity: float  # the best of its sentences' cosines with the question
    is_list: bool


def _is_list_item(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return bool(_ITEM_MARKER.fullmatch(text[line_start:start]))


def answer_units(text: str, sentences: Sequence[tuple[int, int, float]]) -> list[AnswerUnit]:
    """The units of a chunk's indexed sentences (in text order), leaving out sentences about
    the document itself."""
    units = []
    i = 0
    while i < len(sentences):
        start, end, _ = sentences[i]
        following = i + 1
        if text[start:end].rstrip().endswith(":"):
            while following < len(sentences) and _is_list_item(text, sentences[following][0]):
                following += 1
        members = sentences[i:following]
        if not _ABOUT_THE_DOCUMENT.match(text[start:end].lstrip()):
            units.append(
                AnswerUnit(start, members[-1][1], max(m[2] for m in members), len(members) > 1)
            )
        i = following
    return units


def unit_text(text: str, unit: AnswerUnit) -> str:
    """The quoted text; a list keeps one item a line."""
    return re.sub(r"\n\s*\n", "\n", text[unit.start : unit.end]).strip()

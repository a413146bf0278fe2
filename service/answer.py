"""Extractive answers: the answer units of the top passages that the learned selector rates
most likely to hold the answer, each with its citation marker.

No language model: every sentence in an answer is quoted from a passage, and the answer
declines, rather than answer from nothing, when the selector rates the passages unlikely to
answer the question or when the quoted units lack what the question asks for (a duration, a
number, an amount, an actor)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from index.kinds import needed_kinds, unit_kinds, unmet_needs
from index.lexical import QueryTerms, tokenize
from index.search import Hit
from ingest.models import CELL_SEPARATOR
from service.answer_features import (
    Candidate,
    candidates,
    question_features,
    unit_features,
)
from service.answer_selector import AnswerSelector, default_selector
from service.answer_units import table_unit_text

NOT_FOUND = (
    "Jeg fant ikke noe sikkert svar på dette i dokumentene. "
    "Her er avsnittene som ligner mest på spørsmålet ditt."
)
ASK_HITS = 8  # passages retrieved for an answer
MAX_UNITS = 3
MAX_ANSWER_WORDS = 90  # a list may exceed it alone; further units must fit in it


@dataclass(frozen=True)
class ComposedAnswer:
    text: str
    found: bool
    citations: list[tuple[int, Hit]]  # (marker number, passage), in marker order
    confidence: float = 0.0  # the selector's probability that the passages answer the question


def _declined(hits: Sequence[Hit], confidence: float = 0.0) -> ComposedAnswer:
    return ComposedAnswer(
        NOT_FOUND, False, [(n, h) for n, h in enumerate(hits[:3], start=1)], confidence
    )


def choose(found: Sequence[Candidate], probabilities: Sequence[float], share: float) -> list[int]:
    """The best unit, and up to MAX_UNITS - 1 more that are nearly as likely, fit the word budget
    and do not repeat a chosen text; in passage rank and text order, so the answer reads on."""
    order = sorted(range(len(found)), key=lambda i: -probabilities[i])
    chosen = [order[0]]
    words = len(found[order[0]].text.split())
    for i in order[1:]:
        if len(chosen) == MAX_UNITS or probabilities[i] < share * probabilities[order[0]]:
            break
        length = len(found[i].text.split())
        if words + length > MAX_ANSWER_WORDS or any(found[i].text == found[c].text for c in chosen):
            continue
        chosen.append(i)
        words += length
    return sorted(chosen, key=lambda i: (found[i].hit.rank, found[i].unit.start))


def carrying_the_need(
    question: str, found: Sequence[Candidate], chosen: list[int], probabilities: Sequence[float]
) -> list[int]:
    """Of the chosen units, those that hold what the question asks for (a duration, a number,
    an amount, an actor, a finding), when any does: a timeline row naming HelseID is no answer
    to "Hvem drifter HelseID?" beside a sentence naming the operator. When none does, the
    likeliest unit of the best unit's passage that does: "Hva fant Fjordvik?" is answered by
    what the case report says was found, not by its sentence introducing the case; else of the
    top-ranked passage, which search trusts most."""
    needed = needed_kinds(question)
    if not needed:
        return chosen
    asked_about = set(tokenize(question))

    def carries(i: int) -> bool:
        # What the answer would show: a table unit quotes only some of its rows.
        return bool(unit_kinds(quoted_text(found[i]), asked_about) & needed)

    carrying = [i for i in chosen if carries(i)]
    if carrying:
        return carrying
    best = max(chosen, key=lambda i: probabilities[i])
    top = min(found, key=lambda c: c.hit.rank)
    for passage in (found[best].hit.chunk.chunk_id, top.hit.chunk.chunk_id):
        beside = [i for i, c in enumerate(found) if c.hit.chunk.chunk_id == passage and carries(i)]
        if beside:
            return [max(beside, key=lambda i: probabilities[i])]
    return chosen


def _is_table_header(candidate: Candidate) -> bool:
    """A table's header line alone: column names, no answer."""
    table = candidate.hit.chunk.table
    return table is not None and candidate.text == CELL_SEPARATOR.join(table.header)


def quoted_text(candidate: Candidate) -> str:
    """What the answer shows of a unit: its text, with table rows under their column headers.
    The selector and the checks read the unit's own text, which is what was indexed."""
    table = candidate.hit.chunk.table
    if table is None or CELL_SEPARATOR not in candidate.text:
        return candidate.text
    chunk = candidate.hit.chunk
    return table_unit_text(chunk.text, candidate.unit, candidate.hit.sentences, table)


def compose_answer(
    question: str,
    hits: Sequence[Hit],
    terms: QueryTerms,
    selector: AnswerSelector | None = None,
) -> ComposedAnswer:
    """`terms` are the question's word stems as the corpus sees them
    (`Searcher.query_terms`)."""
    selector = selector or default_selector()
    found = [c for c in candidates(hits) if not _is_table_header(c)]
    if not found:
        return _declined(hits)
    probabilities = selector.unit.probabilities(unit_features(question, found, terms))
    confidence = float(
        selector.answerable.probabilities(question_features(question, hits, terms))[0]
    )
    if confidence < selector.min_answerable:
        return _declined(hits, confidence)

    likely = probabilities.tolist()
    chosen = carrying_the_need(
        question, found, choose(found, likely, selector.companion_share), likely
    )
    if unmet_needs(question, [quoted_text(found[i]) for i in chosen]):
        return _declined(hits, confidence)

    numbers: dict[str, int] = {}
    parts = []
    for i in chosen:
        n = numbers.setdefault(found[i].hit.chunk.chunk_id, len(numbers) + 1)
        parts.append(f"{quoted_text(found[i])} [{n}]")
    by_id = {c.hit.chunk.chunk_id: c.hit for c in found}
    citations = [(n, by_id[chunk_id]) for chunk_id, n in numbers.items()]
    return ComposedAnswer(" ".join(parts), True, citations, confidence)

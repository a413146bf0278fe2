"""What the answer selector knows. About a candidate answer unit: how close it is to the
question (cosines the search already computed, rare-word overlap), where it sits, and whether it
holds the kind of thing the question asks for (a duration, a date, a number, an amount, a name).
About the question: how close the best passages come to it, in absolute terms."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.kinds import KINDS, question_kinds, unit_kinds
from index.lexical import QueryTerms, tokenize
from index.search import Hit
from service.answer_units import AnswerUnit, answer_units, unit_text

PASSAGES_CONSIDERED = 5  # the top passages whose units are candidates
MIN_ANSWER_WORDS = 5  # shorter units are fragments out of context
# A longer "sentence" is a table or list that lost its line breaks in extraction.
MAX_SENTENCE_WORDS = 90
MAX_LIST_WORDS = 160  # a list answers as a whole: its items are what the question asks for


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    unit: AnswerUnit
    text: str


def candidates(hits: Sequence[Hit]) -> list[Candidate]:
    """The answer units of the top passages, in rank and text order."""
    found = []
    for hit in hits[:PASSAGES_CONSIDERED]:
        for unit in answer_units(hit.chunk.text, hit.sentences):
            words = len(hit.chunk.text[unit.start : unit.end].split())
            if (
                MIN_ANSWER_WORDS
                <= words
                <= (MAX_LIST_WORDS if unit.is_list else MAX_SENTENCE_WORDS)
            ):
                found.append(Candidate(hit, unit, unit_text(hit.chunk.text, unit)))
    return found


UNIT_FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "cosines": ("similarity", "similarity_gap", "passage_dense"),
    "retrieval": ("passage_rank", "passage_score"),
    "overlap": ("rare_word_overlap", "word_overlap", "heading_overlap", "new_words"),
    "shape": ("first_in_passage", "is_list", "log_words"),
    "kind": tuple(f"{which}_{kind}" for kind in KINDS for which in ("has", "lacks")),
}
UNIT_FEATURES: tuple[str, ...] = tuple(
    name for group in UNIT_FEATURE_GROUPS.values() for name in group
)
QUESTION_FEATURES: tuple[str, ...] = (
    "best_sentence",  # the closest sentence of the top passages, absolute cosine
    "coverage",  # the largest idf-weighted share of the question's stems in one top passage
)
# Function words that mark a question as English: its English words are then no sign that the
# corpus cannot answer (the multilingual model and the glossary carry it to Norwegian text).
_ENGLISH = frozenset(
    "what is are how does do did the an of who which when where why can should must".split()
)


def is_english(question: str) -> bool:
    return sum(w in _ENGLISH for w in re.findall(r"\w+", question.lower())) >= 2


def _weighted_share(wanted: set[str], present: set[str], weights: dict[str, float]) -> float:
    total = sum(weights.get(stem, 0.0) for stem in wanted)
    if total <= 0:
        return 0.0
    return sum(weights.get(stem, 0.0) for stem in wanted & present) / total


def _wanted(question: str, terms: QueryTerms) -> set[str]:
    """The stems an answer should carry; in an English question, only the corpus's own."""
    stems = set(tokenize(question))
    return stems - terms.unseen if is_english(question) else stems


def unit_features(question: str, found: Sequence[Candidate], terms: QueryTerms) -> np.ndarray:
    """One row of UNIT_FEATURES per candidate."""
    wanted = _wanted(question, terms)
    asked = question_kinds(question)
    best = max((c.unit.similarity for c in found), default=0.0)
    first_units = {c.hit.chunk.chunk_id: c.unit.start for c in reversed(found)}
    rows = []
    for c in found:
        stems = set(tokenize(c.text))
        heading = set(tokenize(f"{c.hit.document.meta.title} {c.hit.chunk.section}"))
        holds = unit_kinds(c.text, wanted)
        values = {
            "similarity": c.unit.similarity,
            "similarity_gap": c.unit.similarity - best,
            "passage_dense": c.hit.dense_score,
            "passage_rank": 1 / c.hit.rank,
            "passage_score": c.hit.score,
            "rare_word_overlap": _weighted_share(wanted, stems, terms.weights),
            "word_overlap": len(wanted & stems) / len(wanted) if wanted else 0.0,
            "heading_overlap": _weighted_share(wanted, heading, terms.weights),
            "new_words": len(stems - wanted) / len(stems) if stems else 0.0,
            "first_in_passage": float(first_units[c.hit.chunk.chunk_id] == c.unit.start),
            "is_list": float(c.unit.is_list),
            "log_words": math.log(1 + len(c.text.split())),
        }
        for kind in KINDS:
            values[f"has_{kind}"] = float(kind in asked and kind in holds)
            values[f"lacks_{kind}"] = float(kind in asked and kind not in holds)
        rows.append([values[name] for name in UNIT_FEATURES])
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(UNIT_FEATURES))


def question_features(question: str, hits: Sequence[Hit], terms: QueryTerms) -> np.ndarray:
    """One row of QUESTION_FEATURES."""
    top = hits[:PASSAGES_CONSIDERED]
    wanted = _wanted(question, terms)
    coverage = max(
        (
            _weighted_share(
                wanted,
                set(tokenize(f"{h.document.meta.title} {h.chunk.section} {h.chunk.text}")),
                terms.weights,
            )
            for h in top
        ),
        default=0.0,
    )
    values = {
        "best_sentence": max((score for h in top for _, _, score in h.sentences), default=0.0),
        "coverage": coverage,
    }
    return np.array([[values[name] for name in QUESTION_FEATURES]], dtype=np.float64)

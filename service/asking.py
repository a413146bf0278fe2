"""The one way a question is answered, shared by `POST /api/ask`, `refark ask`, `refark eval`
and the Slack app: search the index, weigh the evidence, compose an extractive answer."""

from __future__ import annotations

from dataclasses import dataclass

from index.search import Filters, Hit, Searcher
from service.answer import ASK_HITS, ComposedAnswer, compose_answer, evidence_of


@dataclass(frozen=True)
class Asked:
    question: str  # the question as searched and answered
    hits: list[Hit]
    answer: ComposedAnswer


def ask(searcher: Searcher, question: str, filters: Filters | None = None) -> Asked:
    hits = searcher.search(question, k=ASK_HITS, filters=filters)
    evidence = evidence_of(question, hits, searcher.term_weights(question))
    return Asked(question, hits, compose_answer(question, hits, evidence))

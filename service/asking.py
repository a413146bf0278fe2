"""The one way a question is answered, shared by `POST /api/ask`, `refark ask`, `refark eval`
and the Slack app: make the question searchable, search the index, compose an extractive
answer from the hits."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from index.search import Filters, Hit, Searcher
from service.answer import ASK_HITS, ComposedAnswer, compose_answer
from service.english import in_corpus_words
from service.followup import standalone_question
from service.queries import resolve_filters
from service.schemas import Turn


@dataclass(frozen=True)
class Asked:
    typed: str  # the question as asked
    question: str  # as searched and answered: corrected, and self-contained if a follow-up
    hits: list[Hit]
    answer: ComposedAnswer
    seconds: float
    notices: tuple[str, ...] = ()  # why the filters may match nothing (service.queries)


def searched_question(searcher: Searcher, question: str, history: Sequence[Turn] = ()) -> str:
    """The question with its misspelled words corrected to the corpus's words, an English one
    in the corpus's terms (service.english) and, when it is a follow-up ("Hvem drifter den?"),
    made self-contained from the conversation."""
    corrected = searcher.correct(question).text
    norwegian = in_corpus_words(corrected, searcher.glossary, searcher.vocabulary.uses)
    return standalone_question(norwegian, history, searcher.term_weights, searcher.glossary)


def ask(
    searcher: Searcher,
    question: str,
    history: Sequence[Turn] = (),
    filters: Filters | None = None,
) -> Asked:
    started = time.perf_counter()
    resolved = resolve_filters(filters or Filters(), searcher.documents.values())
    searched = searched_question(searcher, question, history)
    hits = searcher.search(searched, k=ASK_HITS, filters=resolved.filters)
    answer = compose_answer(searched, hits, searcher.query_terms(searched))
    seconds = time.perf_counter() - started
    return Asked(question, searched, hits, answer, seconds, resolved.notices)

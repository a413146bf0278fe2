"""The one way a query is searched, shared by `GET /api/search` and `refark search`: match
the filters to the catalog, correct misspelled words to the corpus's, search the index, and
say so when nothing in it resembles the query."""

from __future__ import annotations

import time
from dataclasses import dataclass

from index.search import Filters, Hit, Mode, Searcher
from service.queries import resolve_filters

# Dense scores never say "nothing matches": the model finds some passage about as close to
# nonsense as to a real question. Measured on the bundled corpus (bench/relevance_floor.py):
# 18 nonsense and off-topic queries had a best dense score of 0.78-0.86; every one of 158 real
# questions (Norwegian, English, misspelled, one-word terms) shared at least one word with the
# corpus after spelling correction and glossary expansion (best BM25 >= 1.7). So a query with
# no word in the corpus AND no passage closer than nonsense gets has no real match.
NO_MATCH_DENSE = 0.87
SUGGESTIONS = 5


@dataclass(frozen=True)
class Searched:
    query: str  # as typed
    searched: str  # as searched: misspelled words corrected
    mode: Mode
    hits: list[Hit]
    seconds: float
    notices: tuple[str, ...] = ()  # why the filters may match nothing (service.queries)
    no_match: bool = False  # nothing resembles the query: hits is empty on purpose
    suggestions: tuple[str, ...] = ()  # glossary terms to try instead, when no_match


def resembles(hits: list[Hit]) -> bool:
    """Whether any hit shares a word with the query or comes close to it in meaning."""
    return any(hit.lexical_score > 0 or hit.dense_score >= NO_MATCH_DENSE for hit in hits)


def glossary_suggestions(searcher: Searcher, count: int = SUGGESTIONS) -> tuple[str, ...]:
    """The glossary's headwords that the corpus uses most: the words a reader can search for."""
    uses = searcher.vocabulary.uses
    headwords = [group[0] for group in searcher.glossary.groups if group]
    ranked = sorted(headwords, key=lambda term: (-uses(term), term))
    return tuple(term for term in ranked if uses(term) > 0)[:count]


def search(
    searcher: Searcher,
    query: str,
    k: int = 10,
    mode: Mode = Mode.HYBRID,
    filters: Filters | None = None,
) -> Searched:
    started = time.perf_counter()
    resolved = resolve_filters(filters or Filters(), searcher.documents.values())
    searched = searcher.correct(query).text
    if searcher.lexical_only:  # what the searcher does, so that is what the answer says
        mode = Mode.LEXICAL
    hits = searcher.search(searched, k=k, mode=mode, filters=resolved.filters)
    no_match = bool(hits) and not resembles(hits)
    seconds = time.perf_counter() - started
    return Searched(
        query,
        searched,
        mode,
        [] if no_match else hits,
        seconds,
        resolved.notices,
        no_match=no_match,
        suggestions=glossary_suggestions(searcher) if no_match else (),
    )

"""The one way a query is searched, shared by `GET /api/search` and `refark search`: match
the filters to the catalog, correct misspelled words to the corpus's, then search the index."""

from __future__ import annotations

import time
from dataclasses import dataclass

from index.search import Filters, Hit, Mode, Searcher
from service.queries import resolve_filters


@dataclass(frozen=True)
class Searched:
    query: str  # as typed
    searched: str  # as searched: misspelled words corrected
    mode: Mode
    hits: list[Hit]
    seconds: float
    notices: tuple[str, ...] = ()  # why the filters may match nothing (service.queries)


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
    hits = searcher.search(searched, k=k, mode=mode, filters=resolved.filters)
    seconds = time.perf_counter() - started
    return Searched(query, searched, mode, hits, seconds, resolved.notices)

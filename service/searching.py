"""The one way a query is searched, shared by `GET /api/search` and `refark search`: correct
its misspelled words to the corpus's, then search the index."""

from __future__ import annotations

import time
from dataclasses import dataclass

from index.search import Filters, Hit, Mode, Searcher


@dataclass(frozen=True)
class Searched:
    query: str  # as typed
    searched: str  # as searched: misspelled words corrected
    mode: Mode
    hits: list[Hit]
    seconds: float


def search(
    searcher: Searcher,
    query: str,
    k: int = 10,
    mode: Mode = Mode.HYBRID,
    filters: Filters | None = None,
) -> Searched:
    started = time.perf_counter()
    searched = searcher.correct(query).text
    hits = searcher.search(searched, k=k, mode=mode, filters=filters)
    return Searched(query, searched, mode, hits, time.perf_counter() - started)

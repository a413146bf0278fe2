"""English questions put in the corpus's words. The corpus is Norwegian: the multilingual model
finds the right passages for "what is document sharing?", but an answer is chosen by what its
sentences share with the question, and the English words "Document Sharing" in a Norwegian
passage about a profile then beat the sentence saying what dokumentdeling is. So an English
question is searched and answered with the glossary's Norwegian term for each English term,
and with its opening question words in Norwegian: "hva er dokumentdeling?"."""

from __future__ import annotations

import re
from collections.abc import Callable

from index.glossary import Glossary
from service.answer_features import is_english

# Longest first, so that "what are" is not read as "what".
_OPENINGS = (
    ("how does", "hvordan"),
    ("how do", "hvordan"),
    ("how can", "hvordan kan"),
    ("what are", "hva er"),
    ("what is", "hva er"),
    ("what does", "hva"),
    ("which", "hvilke"),
    ("who", "hvem"),
    ("when", "når"),
    ("where", "hvor"),
    ("why", "hvorfor"),
    ("what", "hva"),
)
_ARTICLES = re.compile(r"\b(the|a|an)\s+", re.IGNORECASE)


def in_corpus_words(question: str, glossary: Glossary, uses: Callable[[str], int]) -> str:
    """An English question with each glossary term replaced by the term of its group the corpus
    uses most (`uses`: how often the corpus uses a term), and its opening in Norwegian; any
    other question unchanged."""
    if not is_english(question):
        return question
    text = question
    for group in glossary.groups:
        preferred = max(group, key=lambda term: (uses(term), -group.index(term)))
        if uses(preferred) == 0:
            continue
        for term in sorted(group, key=len, reverse=True):
            if term != preferred and uses(term) < uses(preferred):
                text = re.sub(rf"\b{re.escape(term)}\b", preferred, text, flags=re.IGNORECASE)
    text = _ARTICLES.sub("", text)
    lowered = text.lower()
    for english, norwegian in _OPENINGS:
        if re.match(rf"{english}\b", lowered):
            return norwegian + text[len(english) :]
    return text

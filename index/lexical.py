"""The lexical leg: Norwegian tokenization with a Snowball stemmer, scored with BM25."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

# Function words that carry no topic; kept short so that domain words are never dropped.
STOPWORDS = frozenset(
    """
    og i jeg det at en et den til er som på de med han av ikke der så var meg seg men ett har om
    vi min mitt ha hadde hun nå over da ved fra du ut sin dem oss opp man kan hans hvor eller hva
    skal selv sjøl her alle vil bli ble blitt kunne inn når være kom noen noe ville dere deres
    kun ja etter ned skulle denne for deg si sine sitt mot å meget hvorfor dette disse uten hvordan
    ingen din ditt blir samme hvilken hvilke sånn inni mellom vår hver hvem vors hvis både bare
    enn fordi før mange også slik vært begge siden henne hennes hvilket
    """.split()
)
# Bump when tokenization changes: the next ingest then rebuilds the lexical index.
LEXICAL_VERSION = "2"
_TOKEN = re.compile(r"\w+(?:-\w+)*", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("norwegian")


def _terms(word: str) -> list[str]:
    """A hyphenated compound counts whole and by its parts: "HER-id" is neither "her" nor just
    "id", and "PLO-melding" must still match "melding"."""
    if "-" not in word:
        return [word] if word not in STOPWORDS and (len(word) > 1 or word.isdigit()) else []
    parts = [p for p in word.split("-") if p]
    kept = [p for p in parts if p not in STOPWORDS and len(p) > 1]
    return ["".join(parts), *kept]


def tokenize(text: str) -> list[str]:
    """Lower-cased, NFKC-normalised word stems; æ, ø and å stay letters."""
    words = _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())
    return _stemmer().stemWords([term for word in words for term in _terms(word)])


class LexicalIndex:
    """BM25 over chunk rows; row i is the i-th text given to `build`."""

    def __init__(self, retriever: bm25s.BM25) -> None:
        self._retriever = retriever

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index([tokenize(t) or ["\u2205"] for t in texts], show_progress=False)
        return cls(retriever)

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(directory), mmap=True, show_progress=False))

    def idf(self, stems: list[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each stem; a stem no chunk holds gets the
        highest possible value, since a word the corpus never uses is the strongest signal
        that it cannot answer."""
        indptr = self._retriever.scores["indptr"]
        total = self._retriever.scores["num_docs"]
        weights = {}
        for stem in stems:
            column = self._retriever.vocab_dict.get(stem)
            frequency = (
                int(indptr[column + 1] - indptr[column])
                if column is not None and column + 1 < len(indptr)
                else 0
            )
            weights[stem] = float(np.log(1 + (total - frequency + 0.5) / (frequency + 0.5)))
        return weights

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row; rows without a query term score 0."""
        tokens = [t for t in tokenize(query) if t in self._retriever.vocab_dict]
        if not tokens:
            return np.zeros(self._retriever.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

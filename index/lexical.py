"""The lexical leg: Norwegian tokenization with a Snowball stemmer, scored with BM25."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
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
LEXICAL_VERSION = "3"
FREQUENCIES_FILE = "stem-frequencies.json"
MIN_PART = 4  # shorter compound parts ("e", "tid", "og") split too many words wrongly
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


def stems_by_offset(text: str) -> list[tuple[int, str]]:
    """Each stem of `tokenize` with the offset of its word in the text, so that the stems of
    any span are read off without tokenizing it again."""
    normalized = unicodedata.normalize("NFKC", text)
    if len(normalized) != len(text):
        # NFKC changed the length: normalise word by word, so offsets stay the text's own
        # (a normalised word may split, "½" into "1" and "2": its parts share its offset).
        words = [
            (m.start(), part)
            for m in _TOKEN.finditer(text.lower())
            for part in _TOKEN.findall(unicodedata.normalize("NFKC", m.group()))
        ]
    else:
        words = [(m.start(), m.group()) for m in _TOKEN.finditer(normalized.lower())]
    offsets, terms = [], []
    for start, word in words:
        for term in _terms(word):
            offsets.append(start)
            terms.append(term)
    return list(zip(offsets, _stemmer().stemWords(terms), strict=True))


@dataclass(frozen=True)
class QueryTerms:
    """A question's word stems as the corpus sees them."""

    weights: dict[str, float]  # BM25 idf of each stem
    unseen: frozenset[str] = frozenset()  # stems no chunk holds


class Decompounder:
    """Splits a Norwegian compound stem into two stems the corpus also uses on their own, so
    that "legemiddellist" also matches "list" and "legemiddel", and "kostnadsanslag" matches
    "anslag". Of the possible splits (with or without a linking s or e) it takes the one whose
    parts are most common (Koehn and Knight), and none when the whole word is more common than
    its parts. The word itself is always kept; its parts are added."""

    def __init__(self, frequencies: dict[str, int]) -> None:
        self.frequencies = frequencies
        self._parts: dict[str, tuple[str, ...]] = {}

    @classmethod
    def of(cls, documents: Iterable[list[str]]) -> Decompounder:
        frequencies: Counter[str] = Counter()
        for stems in documents:
            frequencies.update(set(stems))
        return cls(dict(frequencies))

    def parts(self, stem: str) -> tuple[str, ...]:
        if stem not in self.frequencies:  # a query's unknown word: not kept, memory stays bounded
            return self._split(stem)
        if stem not in self._parts:
            self._parts[stem] = self._split(stem)
        return self._parts[stem]

    def _split(self, stem: str) -> tuple[str, ...]:
        known = self.frequencies
        best: tuple[float, str, str] | None = None
        for cut in range(MIN_PART, len(stem) - MIN_PART + 1):
            tail = stem[cut:]
            heads = [stem[:cut], stem[: cut - 1] if stem[cut - 1] in "se" else ""]
            for head in heads:
                if len(head) >= MIN_PART and known.get(head) and known.get(tail):
                    score = math.sqrt(known[head] * known[tail])
                    if best is None or score > best[0]:
                        best = (score, head, tail)
        if best is None or best[0] <= known.get(stem, 0):
            return ()
        return best[1], best[2]

    def expand(self, stems: list[str]) -> list[str]:
        return [*stems, *(part for stem in stems for part in self.parts(stem))]


class LexicalIndex:
    """BM25 over chunk rows; row i is the i-th text given to `build`."""

    def __init__(self, retriever: bm25s.BM25, decompounder: Decompounder) -> None:
        self._retriever = retriever
        self._decompounder = decompounder

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        stems = [tokenize(t) for t in texts]
        decompounder = Decompounder.of(stems)
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index([decompounder.expand(s) or ["\u2205"] for s in stems], show_progress=False)
        return cls(retriever, decompounder)

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory), show_progress=False)
        # The frequencies the compounds were split by, so a query splits its words the same way.
        (directory / FREQUENCIES_FILE).write_text(
            json.dumps(self._decompounder.frequencies, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        # A generation written before compounds were split has no frequencies: it splits none.
        path = directory / FREQUENCIES_FILE
        frequencies = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        return cls(
            bm25s.BM25.load(str(directory), mmap=True, show_progress=False),
            Decompounder(frequencies),
        )

    def _frequency(self, stem: str) -> int:
        """How many chunks hold the stem."""
        indptr = self._retriever.scores["indptr"]
        column = self._retriever.vocab_dict.get(stem)
        if column is None or column + 1 >= len(indptr):
            return 0
        return int(indptr[column + 1] - indptr[column])

    def idf(self, stems: list[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each stem; a stem no chunk holds gets the
        highest possible value, since a word the corpus never uses is the strongest signal
        that it cannot answer."""
        total = self._retriever.scores["num_docs"]
        weights = {}
        for stem in stems:
            frequency = self._frequency(stem)
            weights[stem] = float(np.log(1 + (total - frequency + 0.5) / (frequency + 0.5)))
        return weights

    def query_terms(self, text: str) -> QueryTerms:
        stems = tokenize(text)
        return QueryTerms(self.idf(stems), frozenset(s for s in stems if not self._frequency(s)))

    def matches(self, query: str) -> LexicalMatches:
        """The BM25 score of every row that holds a query term."""
        index = self._retriever.scores
        columns = [
            self._retriever.vocab_dict[t]
            for t in self._decompounder.expand(tokenize(query))
            if t in self._retriever.vocab_dict
        ]
        # a term given twice counts twice, as in BM25's sum over query terms
        spans = [(index["indptr"][c], index["indptr"][c + 1]) for c in columns]
        if not spans:
            return LexicalMatches(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        rows = np.concatenate([index["indices"][a:b] for a, b in spans])
        values = np.concatenate([index["data"][a:b] for a, b in spans])
        # Summed per row by counting into one slot per row: linear in the rows, but a pass in
        # C that costs less than sorting the postings (np.unique) already at 10,000 rows.
        # Every posting's BM25 value is positive, so a row with a term has a positive total.
        totals = np.bincount(rows, weights=values, minlength=index["num_docs"])
        matched = np.flatnonzero(totals)
        return LexicalMatches(matched.astype(np.int64), totals[matched].astype(np.float32))


@dataclass(frozen=True)
class LexicalMatches:
    """One query's BM25 scores, for the rows that hold at least one of its terms."""

    rows: np.ndarray  # ascending
    scores: np.ndarray

    def best(self, count: int, allowed: np.ndarray | None = None) -> np.ndarray:
        """The `count` best-scoring rows (among the allowed ones), best first."""
        keep = self.scores > 0
        if allowed is not None:
            keep &= allowed[self.rows]
        candidates = np.flatnonzero(keep)
        if len(candidates) > count:
            candidates = candidates[np.argpartition(-self.scores[candidates], count - 1)[:count]]
        order = np.argsort(-self.scores[candidates], kind="stable")
        return self.rows[candidates[order]]

    def of(self, rows: np.ndarray) -> np.ndarray:
        """The score of each given row; 0 for a row without a query term."""
        rows = np.asarray(rows, dtype=np.int64)
        result = np.zeros(len(rows), dtype=np.float32)
        if len(self.rows):
            at = np.minimum(np.searchsorted(self.rows, rows), len(self.rows) - 1)
            found = self.rows[at] == rows
            result[found] = self.scores[at[found]]
        return result

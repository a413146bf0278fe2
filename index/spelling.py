"""Query spelling correction, like Elasticsearch's fuzziness: a word the index does not know
is replaced by the most common corpus word one or two edits away."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from index.lexical import tokenize

# Bump when the vocabulary's words or counting change: the next ingest then rebuilds it.
VOCABULARY_VERSION = "2"  # 2: the lookup arrays are written at ingest
MIN_LETTERS = 5  # shorter words are too often acronyms or abbreviations to be guessed at
LONG_WORD = 8  # from this many letters two edits are allowed, below it one
MAX_EDITS = 2
# Candidates are looked up by the deletions of the first PREFIX letters only (SymSpell's prefix
# length): it keeps the index at a few entries per distinct word start instead of dozens per
# word, and still finds every word within the distance (the rest of the word is compared after).
PREFIX = 7
# What generations written with VOCABULARY_VERSION 1 hold instead: word -> count as JSON.
LEGACY_COUNTS_FILE = "vocabulary.json"
# The lookup's arrays, mapped from their files when a generation opens.
_MAPPED = ("lengths", "letters", "group_starts", "keys", "key_groups")
_WORD = re.compile(r"\w+")  # what a query is corrected by: hyphens separate words
_TOKEN = re.compile(r"\w+(?:-\w+)*")  # what the lexical leg indexes (index.lexical)
# The letters counted one by one when words are narrowed down by their letters.
_ALPHABET = "abcdefghijklmnopqrstuvwxyzæøå"
_LETTER_COLUMNS = np.full(256, len(_ALPHABET), dtype=np.int64)
_LETTER_COLUMNS[[ord(letter) for letter in _ALPHABET]] = np.arange(len(_ALPHABET))


def words(text: str) -> list[str]:
    """The text's words, lower-cased and NFKC-normalised; a hyphenated word also counts joined
    ("e-resept" gives "e", "resept" and "eresept"), as the lexical leg indexes it. Tokens with
    digits or underscores (versions, identifiers) are not words."""
    found = []
    for token in _TOKEN.findall(unicodedata.normalize("NFKC", text).lower()):
        parts = token.split("-")
        found.extend(part for part in parts if part.isalpha())
        if len(parts) > 1 and all(part.isalpha() for part in parts):
            found.append("".join(parts))
    return found


def _deletions(text: str, depth: int) -> set[str]:
    """The text and every string made from it by deleting up to `depth` characters."""
    found = {text}
    frontier = {text}
    for _ in range(depth):
        frontier = {s[:i] + s[i + 1 :] for s in frontier for i in range(len(s))}
        found |= frontier
    return found


def _codes(texts: list[str]) -> np.ndarray:
    """Texts of at most PREFIX characters as rows of PREFIX code points, zero-padded."""
    padded = "".join(text.ljust(PREFIX, "\0") for text in texts)
    return np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).reshape(-1, PREFIX)


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def _keys(codes: np.ndarray) -> np.ndarray:
    """A 64-bit FNV-1a key per row of code points. Two strings may share a key; that only
    adds a candidate, which the edit distance then turns down."""
    keys = np.full(len(codes), _FNV_OFFSET, dtype=np.uint64)
    for column in codes.T.astype(np.uint64):
        keys ^= column
        keys *= _FNV_PRIME
    return keys


def _deletion_keys(codes: np.ndarray, depth: int) -> np.ndarray:
    """The keys of every row's deletions of up to `depth` characters, one column per set of
    deleted positions. Deleting a padding position of a shorter text gives one of its own
    deletions again (padding stays at the end), so every deletion is there."""
    width = codes.shape[1]
    deleted_sets = [deleted for n in range(depth + 1) for deleted in combinations(range(width), n)]
    columns = []
    for deleted in deleted_sets:
        kept = [i for i in range(width) if i not in deleted]
        columns.append(_keys(np.pad(codes[:, kept], ((0, 0), (0, len(deleted))))))
    return np.stack(columns, axis=1)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Damerau: swapping two neighbours is one edit), or
    limit + 1 as soon as it is sure to exceed `limit`. Only cells within `limit` of the
    diagonal are computed."""
    over = limit + 1
    if abs(len(a) - len(b)) > limit:
        return over
    before: list[int] = []
    previous = [min(j, over) for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        current = [over] * (len(b) + 1)
        current[0] = min(i, over)
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            value = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, before[j - 2] + 1)
            current[j] = min(value, over)
        if min(current) > limit:  # every alignment already costs more
            return over
        before, previous = previous, current
    return previous[-1]


def _as_typed(typed: str, word: str) -> str:
    """The replacement in the case the user typed: "Helsid" becomes "Helseid"."""
    if len(typed) > 1 and typed.isupper():
        return word.upper()
    return word[:1].upper() + word[1:] if typed[:1].isupper() else word


def _spans(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Every integer of every range [start, end), in order, without a Python loop."""
    lengths = ends - starts
    return np.arange(lengths.sum()) + np.repeat(starts - np.cumsum(lengths) + lengths, lengths)


def _letter_counts(texts: list[str]) -> np.ndarray:
    """How often each text holds each letter of _ALPHABET (all other characters share the last
    column): one row a text."""
    width = len(_ALPHABET) + 1
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    columns = _LETTER_COLUMNS[np.minimum(codes, len(_LETTER_COLUMNS) - 1)]
    rows = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
    counts = np.bincount(rows * width + columns, minlength=len(texts) * width)
    return counts.reshape(len(texts), width).astype(np.int16)


def _joined(texts: Iterable[str]) -> np.ndarray:
    """Texts as one array of UTF-8 bytes, newline-separated: a file can hold no list of str."""
    return np.frombuffer("\n".join(texts).encode("utf-8"), dtype=np.uint8)


def _split(joined: np.ndarray) -> list[str]:
    text = joined.tobytes().decode("utf-8")
    return text.split("\n") if text else []


def write_vocabulary(directory: Path, texts: Iterable[str]) -> None:
    """Count the words of `texts` and write them with their lookup into `directory`, as a
    Vocabulary loads them."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(words(text))
    Vocabulary(dict(sorted(counts.items()))).save(directory)


@dataclass(frozen=True)
class Correction:
    text: str  # the query with its misspelled words replaced, the rest as typed
    changes: tuple[tuple[str, str], ...] = ()  # (as typed, replacement) in query order


class Vocabulary:
    """Every word of the corpus and the glossary with how often it occurs, looked up by
    closeness. The words near a misspelling are those whose first PREFIX letters share a
    deletion with its own (SymSpell); they are narrowed by length and by their letters (a word
    missing more letters than the edits allowed cannot be that close) before any edit distance
    is computed, so that a 100,000-word vocabulary answers in a fraction of a millisecond."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        # "Known" is decided on stems, as the lexical leg matches: an inflection the corpus
        # never spells out ("innloggingene") is still found, so it is never corrected.
        self._stems = frozenset(tokenize(" ".join(counts)))
        # Sorted, so that the words sharing their first PREFIX letters are neighbours.
        self._words = sorted(w for w in counts if len(w) >= MIN_LETTERS - 1)
        self._lengths = np.array([len(w) for w in self._words], dtype=np.int64)
        self._letters = _letter_counts(self._words)
        prefixes = [w[:PREFIX] for w in self._words]
        starts = [i for i, p in enumerate(prefixes) if i == 0 or p != prefixes[i - 1]]
        self._group_starts = np.array([*starts, len(prefixes)], dtype=np.int64)
        # A sorted array of keys rather than a dict of strings, computed for all prefixes at
        # once: a 275,000-word vocabulary has 7 million deletions (repeats included), whose
        # index took 6 s to build as Python strings. Each key's low bits are replaced by its
        # group's number, so one sort of plain integers (2.5 times faster than an argsort)
        # orders both.
        self._group_bits = max(1, len(starts).bit_length())
        keys = _deletion_keys(_codes([prefixes[start] for start in starts]), MAX_EDITS)
        groups = np.repeat(np.arange(len(starts), dtype=np.uint64), keys.shape[1])
        packed = (keys.ravel() >> self._group_bits << self._group_bits) | groups
        packed.sort()
        self._keys = packed >> self._group_bits
        self._key_groups = (packed & ((1 << self._group_bits) - 1)).astype(np.int32)

    def save(self, directory: Path) -> None:
        """Write the words, their counts and the lookup built from them, one array a file.
        Building takes 3.7 s for 275,000 words; reading it back, with the large arrays mapped
        from their files rather than read, a fraction of a second: ingest builds, a starting
        server reads, and the workers of one server share the mapped pages."""
        directory.mkdir(exist_ok=True)
        arrays = {
            "words": _joined(self.counts),
            "counts": np.fromiter(self.counts.values(), dtype=np.int64, count=len(self.counts)),
            "stems": _joined(sorted(self._stems)),
            "lookup_words": _joined(self._words),
            "group_bits": np.array(self._group_bits),
            **{name: getattr(self, f"_{name}") for name in _MAPPED},
        }
        for name, array in arrays.items():
            np.save(directory / f"{name}.npy", array, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path) -> Vocabulary:
        """The vocabulary `save` wrote. A generation written before spelling correction has
        none, and nothing is corrected; one written before the lookup was saved has only its
        word counts (LEGACY_COUNTS_FILE beside it), from which the lookup is built."""
        if not directory.is_dir():
            legacy = directory.with_name(LEGACY_COUNTS_FILE)
            counts = json.loads(legacy.read_text(encoding="utf-8")) if legacy.is_file() else {}
            return cls(counts)

        def read(name: str, mapped: bool = False) -> np.ndarray:
            path = directory / f"{name}.npy"
            # a plain array over the mapped pages: np.memmap's subclass hooks run on every
            # slice a lookup takes (0.3 % of a search's time in bench/profile_search.py)
            return np.asarray(np.load(path, mmap_mode="r" if mapped else None, allow_pickle=False))

        vocabulary = cls.__new__(cls)  # filled from the files, not built from the counts
        vocabulary.counts = dict(zip(_split(read("words")), read("counts").tolist(), strict=True))
        vocabulary._stems = frozenset(_split(read("stems")))
        vocabulary._words = _split(read("lookup_words"))
        vocabulary._group_bits = int(read("group_bits"))
        for name in _MAPPED:
            setattr(vocabulary, f"_{name}", read(name, mapped=True))
        return vocabulary

    def uses(self, term: str) -> int:
        """How often the corpus uses the term: the count of its rarest word."""
        return min((self.counts.get(word, 0) for word in term.lower().split()), default=0)

    def known(self, word: str) -> bool:
        """Whether the index knows the lower-cased word; stopwords count as known."""
        if word in self.counts:
            return True
        stems = tokenize(word)
        return not stems or stems[0] in self._stems

    def correct(self, query: str) -> Correction:
        changes = []

        def replace(match: re.Match[str]) -> str:
            typed = match.group()
            word = unicodedata.normalize("NFKC", typed).lower()
            if len(word) < MIN_LETTERS or not word.isalpha() or self.known(word):
                return typed
            suggestion = self.suggestion(word)
            if suggestion is None:
                return typed
            written = _as_typed(typed, suggestion)
            changes.append((typed, written))
            return written

        return Correction(_WORD.sub(replace, query), tuple(changes))

    def suggestion(self, word: str) -> str | None:
        """The corpus word closest to `word`, within one edit (two from LONG_WORD letters);
        of equally close ones the most frequent."""
        limit = 1 if len(word) < LONG_WORD else MAX_EDITS
        best: tuple[int, int, str] | None = None
        for candidate in self._near(word, limit):
            distance = edit_distance(word, candidate, limit)
            if distance <= limit:
                key = (distance, -self.counts[candidate], candidate)
                best = key if best is None or key < best else best
        return best[2] if best else None

    def _near(self, word: str, limit: int) -> list[str]:
        """A superset of the words within `limit` edits of `word`, and few others."""
        if not self._words:
            return []
        hashes = _keys(_codes(list(_deletions(word[:PREFIX], limit)))) >> self._group_bits
        keys = _spans(
            np.searchsorted(self._keys, hashes, side="left"),
            np.searchsorted(self._keys, hashes, side="right"),
        )
        groups = np.unique(self._key_groups[keys])
        rows = _spans(self._group_starts[groups], self._group_starts[groups + 1])
        rows = rows[np.abs(self._lengths[rows] - len(word)) <= limit]
        surplus = self._letters[rows] - _letter_counts([word])[0]
        extra = np.maximum(surplus, 0).sum(axis=1)
        missing = extra - surplus.sum(axis=1)
        # Each edit adds at most one letter and removes at most one (a swap neither), so a word
        # with more letters extra or missing than edits allowed is farther away.
        rows = rows[np.maximum(extra, missing) <= limit]
        return [self._words[row] for row in rows]

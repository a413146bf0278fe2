"""Extractive answers: the best sentences of the top passages, each with its citation marker.

No language model: every sentence in an answer is quoted from a passage, and the answer
declines when the retrieved evidence is weak rather than answer from nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.lexical import tokenize
from index.search import Hit

NOT_FOUND = (
    "Jeg fant ikke noe sikkert svar på dette i dokumentene. "
    "Her er avsnittene som ligner mest på spørsmålet ditt."
)
ASK_HITS = 8  # passages retrieved for an answer
PASSAGES_CONSIDERED = 5  # of which the best are read for evidence and sentences
MAX_SENTENCES = 3
MAX_ANSWER_WORDS = 90

_LIST_MARKER = re.compile(r"^(?:[•\-–*]|\d+[.)])\s+")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9«\"(])|\n+")


@dataclass(frozen=True)
class Evidence:
    dense: float  # best cosine of a top passage with the question
    coverage: float  # largest share of the question's content words found in one top passage
    weighted_coverage: float  # the same share with each word weighted by its idf


@dataclass(frozen=True)
class EvidencePolicy:
    """When retrieved passages count as evidence. Calibrated with `bench/calibrate_decline.py`."""

    # Chosen on NorQuAD validation with held-out passages (bench/calibrate_decline.py):
    # 93% of answerable questions answered, 72% of held-out ones declined.
    min_dense: float = 0.79
    min_coverage: float = 0.5  # idf-weighted share of the question's words in one passage
    strong_dense: float = 0.90  # above this, the passage is evidence whatever the word overlap

    def admits(self, evidence: Evidence) -> bool:
        if evidence.dense >= self.strong_dense:
            return True
        return evidence.dense >= self.min_dense and evidence.weighted_coverage >= self.min_coverage


@dataclass(frozen=True)
class ComposedAnswer:
    text: str
    found: bool
    citations: list[tuple[int, Hit]]  # (marker number, passage), in marker order


def term_coverage(question: str, passage: str) -> float:
    wanted = set(tokenize(question))
    if not wanted:
        return 0.0
    return len(wanted & set(tokenize(passage))) / len(wanted)


def evidence_of(question: str, hits: Sequence[Hit], term_weights: dict[str, float]) -> Evidence:
    """`term_weights` maps the question's word stems to their idf in the corpus."""
    top = hits[:PASSAGES_CONSIDERED]
    if not top:
        return Evidence(0.0, 0.0, 0.0)
    wanted = set(tokenize(question))
    total = sum(term_weights.get(stem, 0.0) for stem in wanted) or 1.0
    coverage = weighted = 0.0
    for hit in top:
        present = wanted & set(tokenize(f"{hit.chunk.text} {hit.chunk.section}"))
        coverage = max(coverage, len(present) / len(wanted) if wanted else 0.0)
        weighted = max(weighted, sum(term_weights.get(stem, 0.0) for stem in present) / total)
    return Evidence(max(h.dense_score for h in top), coverage, weighted)


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of a passage, without list markers; fragments are dropped."""
    pieces = (_LIST_MARKER.sub("", s.strip()) for s in _SENTENCE_BREAK.split(text))
    return [piece for piece in pieces if len(piece.split()) >= 5]


def compose_answer(
    question: str,
    hits: Sequence[Hit],
    evidence: Evidence,
    embed: Callable[[list[str]], np.ndarray],
    query_vector: np.ndarray,
    policy: EvidencePolicy = EvidencePolicy(),
) -> ComposedAnswer:
    """`evidence` is `evidence_of` the hits; `embed` turns sentences into vectors in the same
    space as `query_vector`."""
    if not policy.admits(evidence):
        return ComposedAnswer(NOT_FOUND, False, [(n, h) for n, h in enumerate(hits[:3], start=1)])

    candidates = [
        (hit, sentence)
        for hit in hits[:PASSAGES_CONSIDERED]
        for sentence in split_sentences(hit.chunk.text)
    ]
    if not candidates:
        return ComposedAnswer(NOT_FOUND, False, [(n, h) for n, h in enumerate(hits[:3], start=1)])
    similarity = embed([s for _, s in candidates]) @ query_vector
    scores = [
        0.6 * float(sim) + 0.3 * term_coverage(question, sentence) + 0.1 / hit.rank
        for (hit, sentence), sim in zip(candidates, similarity, strict=True)
    ]
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    chosen: list[int] = []
    words = 0
    for i in order:
        length = len(candidates[i][1].split())
        if chosen and (words + length > MAX_ANSWER_WORDS or scores[i] < scores[chosen[0]] - 0.08):
            continue
        chosen.append(i)
        words += length
        if len(chosen) == MAX_SENTENCES:
            break
    # Read in document order within a passage, and passages by rank, so the answer flows.
    chosen.sort(key=lambda i: (candidates[i][0].rank, i))

    numbers: dict[str, int] = {}
    parts = []
    for i in chosen:
        hit, sentence = candidates[i]
        n = numbers.setdefault(hit.chunk.chunk_id, len(numbers) + 1)
        parts.append(f"{sentence} [{n}]")
    by_id = {hit.chunk.chunk_id: hit for hit, _ in candidates}
    citations = [(n, by_id[chunk_id]) for chunk_id, n in numbers.items()]
    return ComposedAnswer(" ".join(parts), True, citations)

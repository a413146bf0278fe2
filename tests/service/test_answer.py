"""The extractive answer composer, with hand-made passages. The embedding here is a bag of words
(a deterministic stand-in, so the rules are tested alone); the real model is tested in test_api."""

from __future__ import annotations

import re

import numpy as np

from index.lexical import tokenize
from index.search import Hit
from ingest.models import Chunk, Document, DocumentMeta
from service.answer import NOT_FOUND, Evidence, EvidencePolicy, compose_answer, evidence_of

VOCABULARY: dict[str, int] = {}


def bag_of_words(texts: list[str]) -> np.ndarray:
    vectors = np.zeros((len(texts), 512), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            vectors[row, VOCABULARY.setdefault(word, len(VOCABULARY) % 512)] += 1
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def hit(rank: int, text: str, dense: float) -> Hit:
    document = Document(
        doc_id=f"d{rank}",
        source=f"d{rank}.md",
        file_format="markdown",
        meta=DocumentMeta(title=f"Dokument {rank}"),
        blocks=[],
        file_hash="",
    )
    chunk = Chunk(
        chunk_id=f"d{rank}:0",
        doc_id=f"d{rank}",
        ordinal=0,
        text=text,
        headings=("1 Del",),
        page=None,
        char_start=0,
        char_end=len(text),
    )
    return Hit(
        rank=rank,
        score=1 / rank,
        chunk=chunk,
        document=document,
        dense_score=dense,
        lexical_score=1.0,
    )


PASSAGES = [
    hit(
        1,
        "Applikasjonskvitteringen sendes av mottakers fagsystem når meldingen er behandlet. "
        "Den inneholder en status for mottaket.",
        0.88,
    ),
    hit(
        2,
        "Transportkvitteringen bekrefter at meldingstjeneren har tatt imot meldingen. "
        "Den sier ingenting om behandlingen.",
        0.84,
    ),
    hit(3, "Kjernejournal gir legevakten oversikt over pasientens legemidler.", 0.78),
]


def equal_weights(text: str) -> dict[str, float]:
    return dict.fromkeys(tokenize(text), 1.0)


def answer(question: str, hits=PASSAGES):
    evidence = evidence_of(question, hits, equal_weights(question))
    return compose_answer(
        question, hits, evidence, embed=bag_of_words, query_vector=bag_of_words([question])[0]
    )


def test_every_marker_has_a_citation_and_every_citation_is_cited():
    composed = answer("Hva sendes av mottakers fagsystem når meldingen er behandlet?")
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", composed.text)}
    assert composed.found
    assert markers == {n for n, _ in composed.citations}
    assert sorted(markers) == list(range(1, len(markers) + 1))


def test_answer_sentences_are_quoted_from_the_passages_they_cite():
    composed = answer("Hva bekrefter transportkvitteringen?")
    cited = dict(composed.citations)
    for sentence, n in re.findall(r"(.+?) \[(\d+)\]\s*", composed.text):
        assert sentence.strip() in cited[int(n)].chunk.text
    assert "Transportkvitteringen bekrefter" in composed.text


def test_weak_evidence_gives_no_answer_but_the_closest_passages():
    weak = [hit(1, "Kjernejournal gir legevakten oversikt over legemidler.", 0.76)]
    composed = answer("Hvem vant fotball-VM i 2019?", weak)
    assert not composed.found
    assert composed.text == NOT_FOUND
    assert [h.chunk.chunk_id for _, h in composed.citations] == ["d1:0"]


def test_no_passages_means_no_answer():
    assert not answer("Hva er HelseID?", []).found


def test_evidence_is_the_best_similarity_and_word_overlap_among_the_top_passages():
    question = "Hvem utsteder tilgangsbevis i HelseID?"
    related = [
        hit(1, "HelseID utsteder tilgangsbevis til fagsystemer.", 0.82),
        hit(2, "Kjernejournal i legevakten.", 0.84),
    ]
    evidence = evidence_of(
        question, related, {"utsted": 1.0, "tilgangsbevis": 3.0, "helseid": 1.0, "hvem": 0.0}
    )
    assert evidence.dense == 0.84
    assert evidence.coverage == 1.0
    assert evidence.weighted_coverage == 1.0
    rare_word_missing = evidence_of(
        "Hva koster tilgangsbevis?", related[1:], {"kost": 1.0, "tilgangsbevis": 3.0}
    )
    assert rare_word_missing.weighted_coverage == 0.0


def test_policy_needs_similarity_and_shared_rare_words_unless_similarity_is_strong():
    policy = EvidencePolicy(min_dense=0.80, min_coverage=0.5, strong_dense=0.86)
    assert policy.admits(Evidence(dense=0.82, coverage=0.5, weighted_coverage=0.7))
    assert not policy.admits(Evidence(dense=0.82, coverage=0.9, weighted_coverage=0.3))
    assert not policy.admits(Evidence(dense=0.78, coverage=1.0, weighted_coverage=1.0))
    assert policy.admits(Evidence(dense=0.9, coverage=0.0, weighted_coverage=0.0))

"""The extractive answer composer, with hand-made passages. The embedding here is a bag of words
(a deterministic stand-in, so the rules are tested alone); the real model is tested in test_api."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from index.lexical import tokenize
from index.search import Hit
from index.sentences import chunk_sentences
from ingest.models import Chunk, Document, DocumentMeta
from service.answer import (
    MAX_ANSWER_WORDS,
    MAX_SENTENCES,
    NOT_FOUND,
    Evidence,
    EvidencePolicy,
    answer_units,
    compose_answer,
    evidence_of,
)

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


def with_sentence_scores(question: str, found: Hit) -> Hit:
    """The hit as search returns it: each indexed sentence with its similarity to the query."""
    spans = chunk_sentences(found.chunk)
    texts = [found.chunk.text[start:end] for start, end in spans]
    similarity = bag_of_words(texts) @ bag_of_words([question])[0] if texts else []
    return replace(
        found,
        sentences=tuple(
            (start, end, float(sim)) for (start, end), sim in zip(spans, similarity, strict=True)
        ),
    )


# Thresholds on the bag-of-words stand-in's scale: any sentence sharing words is evidence.
STAND_IN_POLICY = EvidencePolicy(coverage_weight=0.0, min_score=0.2, strong_sentence=1.1)


def answer(question: str, hits=PASSAGES):
    hits = [with_sentence_scores(question, h) for h in hits]
    evidence = evidence_of(question, hits, equal_weights(question))
    return compose_answer(question, hits, evidence, STAND_IN_POLICY)


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


def test_a_run_on_sentence_longer_than_an_answer_is_never_quoted():
    run_on = " ".join(["Kvitteringen sendes til avsender"] * 30) + "."
    passages = [hit(1, run_on, 0.9), *PASSAGES]
    composed = answer("Hvem sendes kvitteringen til?", passages)
    assert composed.found
    assert run_on not in composed.text
    assert len(composed.text.split()) <= MAX_ANSWER_WORDS + MAX_SENTENCES  # words and markers


def test_weak_evidence_gives_no_answer_but_the_closest_passages():
    weak = [hit(1, "Kjernejournal gir legevakten oversikt over legemidler.", 0.76)]
    composed = answer("Hvem vant fotball-VM i 2019?", weak)
    assert not composed.found
    assert composed.text == NOT_FOUND
    assert [h.chunk.chunk_id for _, h in composed.citations] == ["d1:0"]


def test_no_passages_means_no_answer():
    assert not answer("Hva er HelseID?", []).found


def test_evidence_is_the_closest_sentence_and_the_best_rare_word_overlap_of_the_top_passages():
    question = "Hvem utsteder tilgangsbevis i HelseID?"
    related = [
        with_sentence_scores(
            question, hit(1, "HelseID utsteder tilgangsbevis til fagsystemer.", 0)
        ),
        with_sentence_scores(question, hit(2, "Kjernejournal brukes i legevakten.", 0)),
    ]
    weights = {"utsted": 1.0, "tilgangsbevis": 3.0, "helseid": 1.0, "hvem": 0.0}
    evidence = evidence_of(question, related, weights)
    assert evidence.sentence == max(score for _, _, score in related[0].sentences)
    assert evidence.weighted_coverage == 1.0
    assert not evidence.lacks_number
    rare_word_missing = evidence_of(
        "Hva koster tilgangsbevis?", related[1:], {"kost": 1.0, "tilgangsbevis": 3.0}
    )
    assert rare_word_missing.weighted_coverage == 0.0


def test_a_question_asking_for_a_number_needs_a_number_among_the_closest_sentences():
    question = "Hvor mange timer har mottakeren på å sende applikasjonskvittering?"
    without = with_sentence_scores(
        question, hit(1, "Mottakeren sender applikasjonskvittering når meldingen er lest.", 0)
    )
    with_number = with_sentence_scores(
        question, hit(1, "Mottakeren sender applikasjonskvittering innen fire timer.", 0)
    )
    assert evidence_of(question, [without], equal_weights(question)).lacks_number
    assert not evidence_of(question, [with_number], equal_weights(question)).lacks_number
    assert not evidence_of(
        "Hva er en applikasjonskvittering?", [without], equal_weights(question)
    ).lacks_number


def test_policy_weighs_sentence_similarity_with_rare_word_overlap():
    policy = EvidencePolicy(coverage_weight=0.2, min_score=0.97, strong_sentence=0.89)
    assert policy.admits(Evidence(sentence=0.85, weighted_coverage=0.7))
    assert not policy.admits(Evidence(sentence=0.85, weighted_coverage=0.5))
    assert not policy.admits(Evidence(sentence=0.75, weighted_coverage=1.0))
    assert policy.admits(Evidence(sentence=0.89, weighted_coverage=0.0))
    assert not policy.admits(Evidence(sentence=0.95, weighted_coverage=1.0, lacks_number=True))


REQUIREMENTS = hit(
    1,
    "For at en kommunal tjeneste skal få tilgang til kjernejournal, må kommunen:\n\n"
    "- være tilknyttet helsenettet og ha avtale med NHN\n\n"
    "- ha HelseID-klient for EPJ der integrasjonen krever det\n\n"
    "- gjennomføre risikovurdering og oppdatere rutiner for logging\n\n"
    "Tilgangen gjelder helsepersonell med tjenstlig behov.",
    0.9,
)


def test_a_sentence_that_introduces_a_list_is_answered_with_all_its_items_in_order():
    composed = answer(
        "Hva må kommunen ha på plass før en tjeneste får tilgang til kjernejournal?",
        [REQUIREMENTS, *PASSAGES[1:]],
    )
    assert composed.found
    assert composed.text.startswith(
        "For at en kommunal tjeneste skal få tilgang til kjernejournal, må kommunen:\n"
        "- være tilknyttet helsenettet og ha avtale med NHN\n"
        "- ha HelseID-klient for EPJ der integrasjonen krever det\n"
        "- gjennomføre risikovurdering og oppdatere rutiner for logging [1]"
    )


def test_list_items_without_an_introducing_sentence_stay_single_sentences():
    text = "Tiltak i kommunen\n\n- første tiltak med tre ord\n\n- andre tiltak med fire ord"
    spans = [(text.index(item), text.index(item) + len(item)) for item in text.split("\n\n- ")[1:]]
    units = answer_units(text, [(start, end, 0.5) for start, end in spans])
    assert [(u.start, u.end, u.is_list) for u in units] == [(*span, False) for span in spans]


def test_a_sentence_about_the_document_itself_is_never_the_answer():
    about = hit(
        1,
        "Dette dokumentet forklarer hva kommunen betaler for medlemskap i Norsk helsenett. "
        "Kommunen betaler en årlig medlemsavgift til Norsk helsenett etter innbyggertall.",
        0.9,
    )
    composed = answer("Hva betaler kommunen for medlemskap i Norsk helsenett?", [about])
    assert composed.found
    assert "Dette dokumentet" not in composed.text
    assert composed.text.startswith("Kommunen betaler en årlig medlemsavgift")

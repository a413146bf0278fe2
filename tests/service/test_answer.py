"""The extractive answer composer, with hand-made passages. The embedding here is a bag of words
and the selector a stand-in that ranks by similarity alone (deterministic, so the composer's
rules are tested alone); the shipped selector's learned preferences are tested at the end, and
the real model in test_api."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from index.kinds import needed_kinds, question_kinds, unit_kinds
from index.lexical import QueryTerms, tokenize
from index.linear import LinearModel, WeightsMismatch
from index.search import Hit
from index.sentences import chunk_sentences
from service.answer import (
    MAX_ANSWER_WORDS,
    MAX_UNITS,
    NOT_FOUND,
    carrying_the_need,
    choose,
    compose_answer,
)
from service.answer_features import (
    QUESTION_FEATURES,
    UNIT_FEATURES,
    Candidate,
    candidates,
    question_features,
    unit_features,
)
from service.answer_selector import (
    AnswerSelector,
    default_selector,
)
from service.answer_units import answer_units
from tests.hits import hit

VOCABULARY: dict[str, int] = {}


def bag_of_words(texts: list[str]) -> np.ndarray:
    vectors = np.zeros((len(texts), 512), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            vectors[row, VOCABULARY.setdefault(word, len(VOCABULARY) % 512)] += 1
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


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


def equal_weights(text: str) -> QueryTerms:
    return QueryTerms(dict.fromkeys(tokenize(text), 1.0))


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


def leaning_on(names: tuple[str, ...], feature: str) -> LinearModel:
    """Probability 0.5 at a bag-of-words cosine of 0.2 in the one feature it reads."""
    coefficients = np.zeros(len(names))
    coefficients[names.index(feature)] = 10.0
    return LinearModel(names, np.zeros(len(names)), np.ones(len(names)), coefficients, -2.0)


def similarity_only() -> AnswerSelector:
    """Any sentence sharing words with the question is evidence, and the closest is quoted."""
    return AnswerSelector(
        unit=leaning_on(UNIT_FEATURES, "similarity"),
        answerable=leaning_on(QUESTION_FEATURES, "best_sentence"),
        min_answerable=0.5,
        companion_share=0.9,
    )


def answer(question: str, hits=PASSAGES):
    hits = [with_sentence_scores(question, h) for h in hits]
    return compose_answer(question, hits, equal_weights(question), similarity_only())


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
    composed = answer("Hva skjer med kvitteringen når meldingen er behandlet?", passages)
    assert composed.found
    assert run_on not in composed.text
    assert len(composed.text.split()) <= MAX_ANSWER_WORDS + MAX_UNITS  # words and markers


def test_weak_evidence_gives_no_answer_but_the_closest_passages():
    weak = [hit(1, "Kjernejournal gir legevakten oversikt over legemidler.", 0.76)]
    composed = answer("Hvem vant fotball-VM i 2019?", weak)
    assert not composed.found
    assert composed.text == NOT_FOUND
    assert [h.chunk.chunk_id for _, h in composed.citations] == ["d1:0"]


def test_no_passages_means_no_answer():
    assert not answer("Hva er HelseID?", []).found


def test_an_answer_quotes_at_most_three_units_and_never_the_same_text_twice():
    repeated = "Applikasjonskvitteringen sendes når meldingen er behandlet."
    passages = [hit(n, repeated + " Den har status.", 0.9) for n in range(1, 6)]
    found = candidates(
        [with_sentence_scores("Når sendes applikasjonskvitteringen?", h) for h in passages]
    )
    chosen = choose(found, [0.9] * len(found), share=0.1)
    texts = [found[i].text for i in chosen]
    assert len(chosen) <= MAX_UNITS
    assert len(texts) == len(set(texts))


def test_a_unit_joins_the_best_only_when_it_is_nearly_as_likely():
    found = candidates([with_sentence_scores("Hva er en kvittering?", h) for h in PASSAGES[:2]])
    assert len(choose(found, [0.9, 0.2, 0.85, 0.1], share=0.9)) == 2
    assert len(choose(found, [0.9, 0.2, 0.5, 0.1], share=0.9)) == 1


def test_question_kinds_name_what_the_question_asks_for():
    assert "duration" in question_kinds("Hvor lang tid har vi på å svare på en PLO-melding?")
    assert "duration" in question_kinds("Hvor mange minutter tar det før hjelpen kommer?")
    assert "duration" in question_kinds("Hvor lang gyldighet kan tokenet ha?")
    assert "duration" in question_kinds("Hvor raskt må hjemmetjenesten svare innbyggerne?")
    assert "money" in question_kinds("Hva betaler kommunen for medlemskap i Norsk helsenett?")
    assert "who" in question_kinds("Hvem drifter HelseID?")
    assert "time" in question_kinds("Når ble e-resept innført?")
    assert question_kinds("Hva er dokumentdeling?") == set()


def test_unit_kinds_find_durations_numbers_and_names_written_in_words():
    assert {"duration", "number"} <= unit_kinds("Forespørsler besvares innen fire timer på dagtid.")
    assert "duration" in unit_kinds("Svar sendes innen tre virkedager.")
    assert "duration" not in unit_kinds("Svar sendes så snart meldingen er lest.")
    assert "duration" in unit_kinds("Gjenta vurderingen hvert andre år.")
    assert "duration" in unit_kinds("Hjemmetjenesten | Innen én virkedag")
    assert "duration" in unit_kinds("Data lagres bare så lenge hendelsen varer.")
    assert "time" in unit_kinds("Løsningen ble tatt i bruk i mars 2021.")
    assert "who" in unit_kinds("Løsningen driftes av Norsk helsenett SF.")
    assert "who" not in unit_kinds("Løsningen driftes lokalt, døgnet rundt.")


def test_a_name_the_question_itself_uses_is_no_actor_and_a_table_cell_is_no_name():
    asked_about = set(tokenize("Hvem drifter HelseID?"))
    assert "who" in unit_kinds("HelseID driftes av Norsk helsenett SF.", asked_about)
    assert "who" not in unit_kinds("Mai 2024 | Tilgang til HelseID selvbetjening", asked_about)
    assert "who" not in unit_kinds("Januar 2025 | HelseID-pålogging i drift", asked_about)


DURATION_QUESTION = "Hvor lang tid har vi på å svare på en PLO-melding?"
WITH_DURATION = "Forespørsler om helseopplysninger besvares innen fire timer på dagtid."
WITHOUT_DURATION = "Forespørsler om helseopplysninger besvares av den som har ansvaret."


def twin_candidates(question: str, texts: list[str]) -> list[Candidate]:
    """One passage per text, every unit exactly as close to the question, so that only what the
    units hold tells them apart."""
    hits = [replace(hit(1, text, 0.85), sentences=((0, len(text), 0.85),)) for text in texts]
    return [c for h in hits for c in candidates([h])]


def test_features_mark_whether_a_unit_holds_what_the_question_asks_for():
    found = twin_candidates(DURATION_QUESTION, [WITH_DURATION, WITHOUT_DURATION])
    rows = unit_features(DURATION_QUESTION, found, equal_weights(DURATION_QUESTION))
    has, lacks = UNIT_FEATURES.index("has_duration"), UNIT_FEATURES.index("lacks_duration")
    assert rows[0, has] == 1.0 and rows[0, lacks] == 0.0
    assert rows[1, has] == 0.0 and rows[1, lacks] == 1.0


def test_the_shipped_selector_prefers_the_unit_that_holds_what_the_question_asks_for():
    found = twin_candidates(DURATION_QUESTION, [WITHOUT_DURATION, WITH_DURATION])
    rows = unit_features(DURATION_QUESTION, found, equal_weights(DURATION_QUESTION))
    probabilities = default_selector().unit.probabilities(rows)
    assert probabilities[1] > probabilities[0]


def test_the_shipped_selector_answers_from_a_close_passage_and_declines_an_unrelated_one():
    question = "Hvem utsteder tilgangsbevis til fagsystemene?"
    close = "HelseID utsteder tilgangsbevis til fagsystemene etter innlogging."
    unrelated = "Kjernejournal brukes av legevakten om natten og i helgene."
    terms = QueryTerms({"utsted": 4.0, "tilgangsbevis": 6.0, "fagsystem": 3.0})
    answered = compose_answer(
        question, [replace(hit(1, close, 0.88), sentences=((0, len(close), 0.92),))], terms
    )
    declined = compose_answer(
        question, [replace(hit(1, unrelated, 0.76), sentences=((0, len(unrelated), 0.75),))], terms
    )
    assert answered.found and answered.text == f"{close} [1]"
    assert not declined.found
    assert answered.confidence > declined.confidence


def test_weights_fitted_on_other_features_are_refused():
    data = default_selector().to_json()
    data["unit"]["features"] = data["unit"]["features"][:-1]
    with pytest.raises(WeightsMismatch):
        AnswerSelector.from_json(data)


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


def test_a_caveat_about_the_document_is_no_answer_unit():
    caveat = (
        "Fakta om Norsk helsenett er gjengitt etter beste forståelse; priser for medlemskap "
        "må alltid kontrolleres mot gjeldende avtaler."
    )
    rule = "Kommunen betaler en årlig medlemsavgift til Norsk helsenett etter innbyggertall."
    text = f"{caveat} {rule}"
    sentences = [(0, len(caveat), 0.9), (len(caveat) + 1, len(text), 0.5)]
    units = answer_units(text, sentences)
    assert [text[u.start : u.end] for u in units] == [rule]


def coverage(question: str, passage: str, terms: QueryTerms) -> float:
    found_hit = replace(hit(1, passage, 0.85), sentences=((0, len(passage), 0.85),))
    rows = question_features(question, [found_hit], terms)
    return rows[0, QUESTION_FEATURES.index("coverage")]


def test_english_words_the_corpus_never_uses_do_not_count_against_an_english_question():
    passage = "Dokumentdeling gjør journaldokumenter tilgjengelige for andre virksomheter."
    english = QueryTerms(
        {"what": 6.0, "is": 6.0, "dokumentdeling": 3.0}, unseen=frozenset({"what", "is"})
    )
    assert coverage("what is dokumentdeling?", passage, english) == 1.0
    norwegian = QueryTerms({"dokumentdeling": 3.0, "outlook": 6.0}, unseen=frozenset({"outlook"}))
    assert coverage("Hva er dokumentdeling i Outlook?", passage, norwegian) < 0.5


def test_of_the_chosen_units_only_those_holding_what_the_question_asks_for_are_quoted():
    question = "Hvem drifter HelseID?"
    found = twin_candidates(
        question,
        [
            "Mai 2024 | Tilgang til HelseID selvbetjening",
            "HelseID er levert og driftet av Norsk helsenett SF.",
        ],
    )
    likely = [0.9, 0.8]
    assert carrying_the_need(question, found, [0, 1], likely) == [1]
    assert carrying_the_need("Hva er HelseID?", found, [0, 1], likely) == [0, 1]  # none needed


CASE_INTRODUCTION = "Fjordvik kommune innførte i 2024 en fast rutine for loggkontroll i journalen."
CASE_FINDING = "Det første halvåret ble det funnet tre oppslag uten tjenstlig behov."


def test_what_a_case_found_is_asked_for_and_held_by_words_for_a_result():
    assert "finding" in needed_kinds("Hva fant Fjordvik da de begynte med loggkontroll?")
    assert "finding" in needed_kinds("Hvilken effekt fikk kommunen av kjernejournal?")
    assert "finding" not in needed_kinds("Hva er loggkontroll?")
    assert "finding" in unit_kinds(CASE_FINDING)
    assert "finding" in unit_kinds("Antall innleggelser gikk ned med 34 prosent.")
    assert "finding" not in unit_kinds(CASE_INTRODUCTION)


# close to the introduction in words, so that the bag-of-words evidence is strong
CASE_QUESTION = "Hva fant Fjordvik kommune med den faste rutinen for loggkontroll i journalen?"


def test_when_no_chosen_unit_holds_it_the_likeliest_unit_of_the_same_passage_that_does_is_quoted():
    passage = hit(1, f"{CASE_INTRODUCTION} {CASE_FINDING}", 0.9)
    found = candidates([with_sentence_scores(CASE_QUESTION, passage)])
    assert [c.text for c in found] == [CASE_INTRODUCTION, CASE_FINDING]
    assert carrying_the_need(CASE_QUESTION, found, [0], [0.9, 0.01]) == [1]
    assert answer(CASE_QUESTION, [passage]).text == f"{CASE_FINDING} [1]"


def test_a_unit_of_another_passage_is_not_reached_for_and_the_check_then_declines():
    passages = [hit(1, CASE_INTRODUCTION, 0.9), hit(2, CASE_FINDING, 0.8)]
    found = candidates([with_sentence_scores(CASE_QUESTION, p) for p in passages])
    assert carrying_the_need(CASE_QUESTION, found, [0], [0.9, 0.5]) == [0]
    assert not answer(CASE_QUESTION, passages[:1]).found
    # the same evidence answers a question that needs no finding
    assert answer("Hva innførte Fjordvik kommune for loggkontroll i journalen?", passages[:1]).found


def test_failing_that_the_likeliest_unit_of_the_top_ranked_passage_that_holds_it_is_quoted():
    passages = [hit(1, CASE_FINDING, 0.8), hit(2, CASE_INTRODUCTION, 0.9)]
    found = candidates([with_sentence_scores(CASE_QUESTION, p) for p in passages])
    assert [c.text for c in found] == [CASE_FINDING, CASE_INTRODUCTION]
    assert carrying_the_need(CASE_QUESTION, found, [1], [0.3, 0.9]) == [0]


def test_an_answer_that_lacks_what_the_question_asks_for_is_declined():
    question = "Hvor lang tid har mottakeren på å sende applikasjonskvittering?"
    without = hit(1, "Mottakeren sender applikasjonskvittering når meldingen er lest.", 0.9)
    with_duration = hit(1, "Mottakeren sender applikasjonskvittering innen fire timer.", 0.9)
    assert not answer(question, [without]).found
    assert answer(question, [with_duration]).found
    assert answer("Hva gjør mottakeren med applikasjonskvittering?", [without]).found

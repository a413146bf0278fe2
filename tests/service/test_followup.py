"""Follow-up questions made self-contained: which words refer back, what they refer to, and
that the answer to "Hvem drifter den?" after a HelseID question is about HelseID."""

from __future__ import annotations

import httpx
import pytest

from index.glossary import Glossary
from index.lexical import tokenize
from service.followup import main_subject, standalone_question
from service.schemas import Turn

GLOSSARY = Glossary(
    (
        ("NHN", "Norsk helsenett"),
        ("HelseID", "HelseID-pålogging"),
        ("PLO", "PLO-melding", "PLO-meldinger"),
        ("PLL", "Pasientens legemiddelliste"),
        ("e-resept", "elektronisk resept"),
        ("KJ", "Kjernejournal"),  # a one-word question naming a glossary term is a new topic
    )
)
HELSEID = "Hvordan fungerer HelseID-innlogging for ansatte?"


def idf(text: str) -> dict[str, float]:
    """Every stem equally telling: the rules, not the corpus, decide in these tests."""
    return dict.fromkeys(tokenize(text), 1.0)


def conversation(*questions: str) -> list[Turn]:
    """User questions, each answered by an assistant turn that mentions something else."""
    turns = []
    for question in questions:
        turns += [
            Turn(role="user", content=question),
            Turn(role="assistant", content="Helsenorge er innbyggernes portal. [1]"),
        ]
    return turns


def follow_up(question: str, *earlier: str) -> str:
    return standalone_question(question, conversation(*earlier), idf, GLOSSARY)


@pytest.mark.parametrize(
    ("earlier", "question", "standalone"),
    [
        (HELSEID, "Hvem drifter den?", "Hvem drifter HelseID?"),
        ("Hva er kjernejournal?", "Hva koster det?", "Hva koster kjernejournal?"),
        ("Hva er kjernejournal?", "Er det gratis?", "Er kjernejournal gratis?"),
        ("Hva er PLO-meldinger?", "Hvem sender dem?", "Hvem sender PLO-meldinger?"),
        ("Hva er trygghetsalarmer?", "Hva må de inneholde?", "Hva må trygghetsalarmer inneholde?"),
        ("Hva er trygghetsalarmer?", "Hva koster de?", "Hva koster trygghetsalarmer?"),
        ("Hva gjør Norsk helsenett?", "Hva er deres ansvar?", "Hva er Norsk helsenetts ansvar?"),
        ("Hvem er Ola Nordmann?", "Hvor jobber han?", "Hvor jobber Ola Nordmann?"),
        ("Hvem er Kari Nordmann?", "Hva skrev hun?", "Hva skrev Kari Nordmann?"),
        (
            "Hva er Pasientens legemiddelliste?",
            "Hvem har tilgang til den?",
            "Hvem har tilgang til Pasientens legemiddelliste?",
        ),
        ("Hva er FHIR?", "Hvem eier denne standarden?", "Hvem eier FHIR?"),
        ("Hva er HelseID?", "Den brukes av hvem?", "HelseID brukes av hvem?"),
        ("Hva er e-resept?", "Dens formål?", "E-resepts formål?"),
        ("Hva er HelseID?", "Brukes den i hjemmetjenesten?", "Brukes HelseID i hjemmetjenesten?"),
        ("Hva er HelseID?", "Hva skjer når den er nede?", "Hva skjer når HelseID er nede?"),
    ],
)
def test_a_pronoun_is_replaced_by_the_subject_of_the_previous_question(
    earlier: str, question: str, standalone: str
):
    assert follow_up(question, earlier) == standalone


@pytest.mark.parametrize(
    "question",
    [
        "Finnes det en veileder for legevakt?",
        "Er det mulig å reservere seg?",
        "Hvordan er det mulig å logge inn uten BankID?",
        "Hva koster det å koble seg på helsenettet?",
        "Det er mange krav, hvor begynner vi?",
        "Er det krav om logging?",
        "Hvilke krav er det til logging?",
        "Hva er det som gjør innloggingen treg?",
        "Går det an å bruke Buypass?",
        "Hvordan gjør man det?",
    ],
)
def test_det_as_formal_subject_or_for_an_action_is_left_alone(question: str):
    assert follow_up(question, "Hva er kjernejournal?") == question


@pytest.mark.parametrize(
    "question",
    [
        "Hva betyr de nye kravene for kommunene?",
        "Kan de nye kravene oppfylles i år?",
        "Gjelder det samme for sykehjem?",
        "Hvordan påvirker den nye forskriften fastlegene?",
        "Hva skjer den 1. mars?",
    ],
)
def test_den_det_de_as_articles_are_left_alone(question: str):
    assert follow_up(question, "Hva er e-helseforskriften?") == question


def test_a_new_topic_is_not_mixed_with_the_previous_question():
    assert follow_up("Hva er e-resept?", HELSEID) == "Hva er e-resept?"


@pytest.mark.parametrize(
    "question",
    [
        "Hva er en tilknytningsavtale, og hvem signerer den?",
        "Pasienten har ingen KJ når jeg slår opp. Hva kan det skyldes?",
        "IPLOS skår 9 – hva betyr det?",
        "Hvor lenge venter medisindispenseren før den låser dosen?",
        "Må legevaktlegen be om samtykke hver gang hun slår opp?",
        "Hva sparte kommunene i den felles anskaffelsen?",
    ],
)
def test_a_pronoun_with_its_antecedent_in_the_question_itself_is_left_alone(question: str):
    assert follow_up(question, HELSEID) == question


def test_a_chain_of_follow_ups_is_resolved_from_the_first_question_on():
    assert follow_up("Hva koster det?", HELSEID, "Hvem drifter den?") == "Hva koster HelseID?"
    assert (
        follow_up("Hvor lenge har den eksistert?", "Hvem drifter HelseID?", "Og ID-porten?")
        == "Hvor lenge har ID-porten eksistert?"
    )


def test_without_history_the_question_is_unchanged():
    assert follow_up("Hvem drifter den?") == "Hvem drifter den?"


def test_only_user_turns_are_read_not_the_answers():
    history = [
        Turn(role="assistant", content="Velkommen! Spør om e-helse."),
        *conversation(HELSEID),
    ]
    assert standalone_question("Hvem drifter den?", history, idf, GLOSSARY) == (
        "Hvem drifter HelseID?"
    )


@pytest.mark.parametrize(
    ("question", "standalone"),
    [
        ("Hva med ID-porten?", "Hvem drifter ID-porten?"),
        ("Og NHN?", "Hvem drifter NHN?"),
        ("Enn e-resept?", "Hvem drifter e-resept?"),
        ("Og for sykehjem?", "Hvem drifter HelseID for sykehjem?"),
        ("Hva med de ansatte?", "Hvem drifter HelseID de ansatte?"),  # names nothing: added
        ("Hvem eier?", "Hvem eier HelseID?"),
        ("Og hvem drifter NHN?", "Og hvem drifter NHN?"),
        ("Kjernejournal?", "Kjernejournal?"),
    ],
)
def test_a_fragment_continues_the_previous_question(question: str, standalone: str):
    assert follow_up(question, "Hvem drifter HelseID?") == standalone


def test_the_subject_is_a_name_or_glossary_term_before_a_more_telling_plain_word():
    weights = {stem: 9.0 for stem in tokenize("ansatte fungerer")} | {"helseid": 1.0}
    subject = main_subject(HELSEID, weights, GLOSSARY)
    assert subject is not None and subject.name == "HelseID"  # named as the glossary does


def test_among_plain_words_the_most_telling_is_the_subject_never_the_verb():
    question = "Hvordan dokumenteres legemiddelgjennomgang i sykehjem?"
    weights = dict.fromkeys(tokenize("dokumenteres"), 9.0)
    weights |= dict.fromkeys(tokenize("legemiddelgjennomgang"), 5.0)
    weights |= dict.fromkeys(tokenize("sykehjem"), 2.0)
    subject = main_subject(question, weights, Glossary())
    assert subject is not None and subject.name == "legemiddelgjennomgang"


def test_a_multi_word_glossary_term_is_one_subject():
    subject = main_subject("Hva gjør Norsk helsenett for kommunene?", idf, GLOSSARY)
    assert subject is not None and subject.name == "Norsk helsenett"


# The conversation from the bug report, over the bundled corpus and the real model.
def ask(live_server: str, question: str, *earlier: str) -> dict:
    history = [turn.model_dump() for turn in conversation(*earlier)]
    response = httpx.post(
        f"{live_server}/api/ask", json={"question": question, "history": history}, timeout=60
    )
    assert response.status_code == 200
    return response.json()


def test_who_operates_it_after_a_helseid_question_is_answered_about_helseid(live_server: str):
    body = ask(live_server, "Hvem drifter den?", HELSEID)
    assert body["question"] == "Hvem drifter den?"  # as typed
    assert body["found"] is True
    assert "standarder/helseid.md" in [c["source"] for c in body["citations"]]
    assert "Norsk helsenett" in body["answer"]
    assert "Helsenorge" not in body["answer"]


def test_a_new_topic_after_a_helseid_question_is_answered_about_the_new_topic(live_server: str):
    body = ask(live_server, "Hva er e-resept?", HELSEID)
    assert body["found"] is True
    assert body["answer"].startswith("E-resept er den nasjonale løsningen")
    assert "HelseID" not in body["answer"]

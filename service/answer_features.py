"""What the answer selector knows. About a candidate answer unit: how close it is to the
question (cosines the search already computed, rare-word overlap), where it sits, and whether it
holds the kind of thing the question asks for (a duration, a date, a number, an amount, a name).
About the question: how close the best passages come to it, in absolute terms."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass

import numpy as np

from index.lexical import QueryTerms, tokenize
from index.search import Hit
from service.answer_units import AnswerUnit, answer_units, unit_text

PASSAGES_CONSIDERED = 5  # the top passages whose units are candidates
MIN_ANSWER_WORDS = 5  # shorter units are fragments out of context
# A longer "sentence" is a table or list that lost its line breaks in extraction.
MAX_SENTENCE_WORDS = 90
MAX_LIST_WORDS = 160  # a list answers as a whole: its items are what the question asks for


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    unit: AnswerUnit
    text: str


def candidates(hits: Sequence[Hit]) -> list[Candidate]:
    """The answer units of the top passages, in rank and text order."""
    found = []
    for hit in hits[:PASSAGES_CONSIDERED]:
        for unit in answer_units(hit.chunk.text, hit.sentences):
            words = len(hit.chunk.text[unit.start : unit.end].split())
            if (
                MIN_ANSWER_WORDS
                <= words
                <= (MAX_LIST_WORDS if unit.is_list else MAX_SENTENCE_WORDS)
            ):
                found.append(Candidate(hit, unit, unit_text(hit.chunk.text, unit)))
    return found


# What a question asks for, and what a unit holds, by kind.
_NUMBER_WORDS = (
    r"to|tre|fire|fem|seks|sju|syv|åtte|ni|ti|elleve|tolv|femten|tjue|tretti|førti|femti|hundre|"
    r"tusen|million(?:er)?|milliard(?:er)?|halvparten|dobbelt|prosent"
)
_TIME_UNITS = (
    r"sekund(?:er)?|minutt(?:er)?|time(?:r)?|døgn|dag(?:er)?|virkedag(?:er)?|hverdag(?:er)?|"
    r"uke(?:r)?|måned(?:er)?|år|kvartal(?:et)?"
)
_MONTHS = r"januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember"
QUESTION_KINDS: dict[str, re.Pattern[str]] = {
    "duration": re.compile(
        r"\b(hvor (lang tid|lenge|ofte|raskt|fort)|hvor lang (gyldighet|levetid|varighet)|"
        r"innen når|hvilken frist|frist|"
        rf"hvor mange ({_TIME_UNITS}))\b"
    ),
    # "når" asks only when it opens the question; inside it, it joins a clause.
    "time": re.compile(r"^\W*når\b|\b(hvilket år|hvilken dato|hvilket tidspunkt|hvor gammel)\b"),
    "number": re.compile(r"\b(hvor (mange|mye|stor|store|høy|høyt|langt))\b"),
    "money": re.compile(r"\b(hva (koster|kostet|betaler)|pris(en)?|kostnad\w*|betale\w*)\b"),
    "who": re.compile(
        r"\b(hvem|hvilken (virksomhet|organisasjon|etat|aktør|leverandør)|hvilke aktører)\b"
    ),
    "how": re.compile(r"\b(hvordan|på hvilken måte)\b"),
    "why": re.compile(r"\b(hvorfor|hva er grunnen|av hvilken grunn)\b"),
    "list": re.compile(r"\b(hvilke|hva må|hva skal|hvilke krav)\b"),
}
UNIT_KINDS: dict[str, re.Pattern[str]] = {
    "duration": re.compile(
        # "hvert andre år", "så lenge hendelsen varer": how often and how long, in words too
        rf"\b(\d+|{_NUMBER_WORDS}|en|én|ett|et|samme|neste|hver|hvert|andre|tredje)\s+"
        rf"({_TIME_UNITS})\b|\b(daglig|ukentlig|månedlig|årlig|straks|umiddelbart|fortløpende|"
        r"så lenge|kortest mulig)\b"
    ),
    "time": re.compile(rf"\b(1[89]\d\d|20\d\d|{_MONTHS}|høsten|våren|sommeren|vinteren)\b"),
    # A year alone is no answer to "how many".
    "number": re.compile(rf"\b(?!(?:1[89]|20)\d\d\b)\d|\b({_NUMBER_WORDS})\b"),
    "money": re.compile(
        r"\b(kr|kroner|nok|millioner|kontingent|avgift|gebyr|pris\w*|betal\w*|faktur\w*|"
        r"gratis|rammetilskudd\w*|finansier\w*|egenandel\w*)\b"
    ),
    # A name (a capital inside the sentence, not opening a table cell; or inside the word:
    # "HelseID", "NHN") or a word for an actor.
    "who": re.compile(
        r"(?<![.!?|]\s)(?<!^)\b[A-ZÆØÅ][\wæøå-]+|\b\w+[A-ZÆØÅ]\w*|\b(?i:\w*(?:direktorat|"
        r"departement|etat|leverandør|helseforetak|kommune|virksomhet|sykehus|fastlege|"
        r"ansvarlig|koordinator|forvalter|eier)\w*)\b"
    ),
    "how": re.compile(r"\b(ved å|gjennom|via|bruker|brukes|slik at|først|deretter)\b"),
    "why": re.compile(r"\b(fordi|på grunn av|derfor|for å|slik at|skyldes|årsak\w*)\b"),
    "list": re.compile(r"\n"),
}
KINDS = tuple(QUESTION_KINDS)
# What a case found or what came of it: asked for, and looked for in the answer, but no feature
# of the selector, which was fitted on NorQuAD (encyclopedia text hardly reports findings).
# Found by a word for a result: a number alone may be a case's size or a routine's interval.
_FINDING_QUESTION = re.compile(
    r"\b(hvilke?n? (effekt\w*|resultat\w*|gevinst\w*|funn)|hva (fant|viste|avdekket|oppdaget|"
    r"gikk galt|ble (resultatet|effekten|gevinsten))|hvordan gikk det)\b"
)
_FINDING_UNIT = re.compile(
    r"\b(viste|fant|funnet|avdekket|oppdaget|gikk (ned|opp|tapt)|(ned|opp) med|prosent|økte|"
    r"økning|redusert|reduksjon|halvert|doblet|færre|flere|sparte|spart|forbedr\w*|bedre|"
    r"dårligere)\b"
)
# Kinds an answer must hold to answer at all: a question asking for a duration is not answered
# by a sentence without one. ("How", "why" and lists can be answered in too many ways, and
# "når" as often by an event, "når pasienten skrives ut", as by a date.)
NEEDED_KINDS = frozenset({"duration", "number", "money", "who"})

UNIT_FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "cosines": ("similarity", "similarity_gap", "passage_dense"),
    "retrieval": ("passage_rank", "passage_score"),
    "overlap": ("rare_word_overlap", "word_overlap", "heading_overlap", "new_words"),
    "shape": ("first_in_passage", "is_list", "log_words"),
    "kind": tuple(f"{which}_{kind}" for kind in KINDS for which in ("has", "lacks")),
}
UNIT_FEATURES: tuple[str, ...] = tuple(
    name for group in UNIT_FEATURE_GROUPS.values() for name in group
)
QUESTION_FEATURES: tuple[str, ...] = (
    "best_sentence",  # the closest sentence of the top passages, absolute cosine
    "coverage",  # the largest idf-weighted share of the question's stems in one top passage
)
# Function words that mark a question as English: its English words are then no sign that the
# corpus cannot answer (the multilingual model and the glossary carry it to Norwegian text).
_ENGLISH = frozenset(
    "what is are how does do did the an of who which when where why can should must".split()
)


def is_english(question: str) -> bool:
    return sum(w in _ENGLISH for w in re.findall(r"\w+", question.lower())) >= 2


def question_kinds(question: str) -> set[str]:
    lowered = question.lower()
    return {kind for kind, pattern in QUESTION_KINDS.items() if pattern.search(lowered)}


def unit_kinds(text: str, asked_about: Set[str] = frozenset()) -> set[str]:
    """The kinds of thing the text holds. A name the question itself uses (its stems in
    `asked_about`) is no actor: "HelseID" does not answer "Hvem drifter HelseID?"."""
    kinds = set()
    for kind, pattern in UNIT_KINDS.items():
        if kind == "who":
            # "HelseID-pålogging" is about HelseID: a compound is judged by its first part
            names = (found.group().split("-")[0] for found in pattern.finditer(text))
            if any(not set(tokenize(name)) <= asked_about for name in names):
                kinds.add(kind)
        elif pattern.search(text.lower()):
            kinds.add(kind)
    if _FINDING_UNIT.search(text.lower()):
        kinds.add("finding")
    return kinds


def needed_kinds(question: str) -> set[str]:
    """The kinds of thing an answer to the question must hold."""
    finding = {"finding"} if _FINDING_QUESTION.search(question.lower()) else set()
    return question_kinds(question) & NEEDED_KINDS | finding


def unmet_needs(question: str, texts: Sequence[str]) -> set[str]:
    """The kinds of thing the question needs that none of the texts holds."""
    needed = needed_kinds(question)
    if not needed:
        return set()
    asked_about = set(tokenize(question))
    return needed - set().union(*(unit_kinds(text, asked_about) for text in texts))


def _weighted_share(wanted: set[str], present: set[str], weights: dict[str, float]) -> float:
    total = sum(weights.get(stem, 0.0) for stem in wanted)
    if total <= 0:
        return 0.0
    return sum(weights.get(stem, 0.0) for stem in wanted & present) / total


def _wanted(question: str, terms: QueryTerms) -> set[str]:
    """The stems an answer should carry; in an English question, only the corpus's own."""
    stems = set(tokenize(question))
    return stems - terms.unseen if is_english(question) else stems


def unit_features(question: str, found: Sequence[Candidate], terms: QueryTerms) -> np.ndarray:
    """One row of UNIT_FEATURES per candidate."""
    wanted = _wanted(question, terms)
    asked = question_kinds(question)
    best = max((c.unit.similarity for c in found), default=0.0)
    first_units = {c.hit.chunk.chunk_id: c.unit.start for c in reversed(found)}
    rows = []
    for c in found:
        stems = set(tokenize(c.text))
        heading = set(tokenize(f"{c.hit.document.meta.title} {c.hit.chunk.section}"))
        holds = unit_kinds(c.text, wanted)
        values = {
            "similarity": c.unit.similarity,
            "similarity_gap": c.unit.similarity - best,
            "passage_dense": c.hit.dense_score,
            "passage_rank": 1 / c.hit.rank,
            "passage_score": c.hit.score,
            "rare_word_overlap": _weighted_share(wanted, stems, terms.weights),
            "word_overlap": len(wanted & stems) / len(wanted) if wanted else 0.0,
            "heading_overlap": _weighted_share(wanted, heading, terms.weights),
            "new_words": len(stems - wanted) / len(stems) if stems else 0.0,
            "first_in_passage": float(first_units[c.hit.chunk.chunk_id] == c.unit.start),
            "is_list": float(c.unit.is_list),
            "log_words": math.log(1 + len(c.text.split())),
        }
        for kind in KINDS:
            values[f"has_{kind}"] = float(kind in asked and kind in holds)
            values[f"lacks_{kind}"] = float(kind in asked and kind not in holds)
        rows.append([values[name] for name in UNIT_FEATURES])
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(UNIT_FEATURES))


def question_features(question: str, hits: Sequence[Hit], terms: QueryTerms) -> np.ndarray:
    """One row of QUESTION_FEATURES."""
    top = hits[:PASSAGES_CONSIDERED]
    wanted = _wanted(question, terms)
    coverage = max(
        (
            _weighted_share(
                wanted,
                set(tokenize(f"{h.document.meta.title} {h.chunk.section} {h.chunk.text}")),
                terms.weights,
            )
            for h in top
        ),
        default=0.0,
    )
    values = {
        "best_sentence": max((score for h in top for _, _, score in h.sentences), default=0.0),
        "coverage": coverage,
    }
    return np.array([[values[name] for name in QUESTION_FEATURES]], dtype=np.float64)

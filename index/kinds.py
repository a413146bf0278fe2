"""What a question asks for (a duration, a time, a number, an amount, an actor, a way, a
reason, a list, a finding) and what a text holds of those. The answer composer and the reranker
both ask: an answer must hold what its question needs, and a passage that holds it is likelier
to answer."""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from functools import lru_cache

from index.lexical import tokenize

TEXT_CACHE = 8192  # texts whose kinds are kept: a few thousand chunks with their sentences

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
ALL_KINDS = frozenset({*UNIT_KINDS, "finding"})


def question_kinds(question: str) -> set[str]:
    lowered = question.lower()
    return {kind for kind, pattern in QUESTION_KINDS.items() if pattern.search(lowered)}


@lru_cache(maxsize=4 * TEXT_CACHE)
def _holds(text: str, kind: str) -> bool:
    """Whether the text holds a kind other than an actor."""
    pattern = _FINDING_UNIT if kind == "finding" else UNIT_KINDS[kind]
    return bool(pattern.search(text.lower()))


@lru_cache(maxsize=TEXT_CACHE)
def _names(text: str) -> tuple[frozenset[str], ...]:
    """The stems of each name in the text. "HelseID-pålogging" is about HelseID: a compound
    is judged by its first part."""
    return tuple(
        _name_stems(found.group().split("-")[0]) for found in UNIT_KINDS["who"].finditer(text)
    )


@lru_cache(maxsize=TEXT_CACHE)
def _name_stems(name: str) -> frozenset[str]:
    """A name's stems; the same names come back in text after text."""
    return frozenset(tokenize(name))


def unit_kinds(
    text: str, asked_about: Set[str] = frozenset(), among: Set[str] = ALL_KINDS
) -> set[str]:
    """The kinds of thing the text holds, of those `among` (looking for the others costs
    time). A name the question itself uses (its stems in `asked_about`) is no actor: "HelseID"
    does not answer "Hvem drifter HelseID?"."""
    kinds = {kind for kind in among if kind != "who" and _holds(text, kind)}
    if "who" in among and any(not name <= asked_about for name in _names(text)):
        kinds.add("who")
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

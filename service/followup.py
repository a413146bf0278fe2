"""Follow-up questions made self-contained: "Hvem drifter den?" after a question about HelseID
becomes "Hvem drifter HelseID?", so that search and answer see what the user refers to.

No language model. The referent is the main subject of the previous user question, chosen by
documented rules, and a word is taken as referring back only when simple rules say it is a
pronoun and not an article or a formal subject. When unsure, the question is left as typed:
a missed follow-up costs less than a substitution that changes the question."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from index.glossary import Glossary
from index.lexical import STOPWORDS, tokenize
from service.schemas import Turn

# BM25 idf of word stems in the corpus: `Searcher.term_weights`, or a ready mapping.
TermWeights = Callable[[str], Mapping[str, float]] | Mapping[str, float]

_WORD = re.compile(r"\w+(?:-\w+)*")  # as the lexical index reads words: "e-resept" is one
_PRONOUNS = frozenset("den det de denne dette disse han hun ham henne dem deres dens".split())
_POSSESSIVES = frozenset({"deres", "dens"})
_QUESTION_WORDS = frozenset("hva hvem hvordan hvorfor når hvor hvilken hvilket hvilke".split())
# A question word after which a noun, not the verb, comes next: "Hvilke krav stilles …".
_BEFORE_A_NOUN = frozenset({"hvilken", "hvilket", "hvilke", "slags", "mange"})
# Finite verbs that, opening a question or following its question word, have the subject
# right after them: "Kan de …", "Hvordan er det …". Only the modals take an infinitive.
_MODALS = frozenset("kan må skal vil bør får kunne skulle ville måtte burde".split())
_FRONTED_VERBS = _MODALS | {"er", "var", "blir", "ble", "har", "hadde"}
_DEGREE = frozenset("lenge ofte mye lang langt stor store raskt fort".split())  # "Hvor lenge …"
_ADVERBS_IN_E = frozenset({"ofte", "gjerne", "lenge", "alene"})  # not adjectives, though in -e
# Verbs with "det" as formal subject: "Finnes det …", "Går det an å …", "Holder det med …",
# "Hvor lang tid tar det …".
_FORMAL_SUBJECT_VERBS = frozenset({"finnes", "fins", "gis", "går", "tar", "holder"})
_PRO_VERB = frozenset({"gjør", "gjøre", "gjorde", "gjort"})  # "gjør det" stands for an action
_CLAUSE_WORDS = frozenset({"å", "at", "som"})
_SUBJUNCTIONS = frozenset("før da når hvis dersom fordi mens at som siden".split())
# The end of a sentence or of a heading-like opening ("IPLOS skår 9 – hva betyr det?"): a
# pronoun after it refers to what was said before it.
_BOUNDARY = re.compile(r"\w\W*?(?:[.!?:;](?=\s)|\s[–—-]\s)")
_INDEFINITES = frozenset("en et ei noen noe mange flere få ingen nok mye lite".split())
# The definite form of a noun, by the gender and number a demonstrative agrees with.
_DEFINITE_ENDINGS = {
    "den": ("en", "a"),
    "denne": ("en", "a"),
    "det": ("et",),
    "dette": ("et",),
    "de": ("ene", "ne"),
    "disse": ("ene", "ne"),
}
_PREPOSITIONS = frozenset("for i på til med hos ved uten etter under om fra blant mot av".split())
# A fragment starting with one of these adds a condition to the previous question.
_CONDITIONS = _PREPOSITIONS | {"hvis", "når", "dersom"}
_CONTINUATION = re.compile(
    r"\s*(?:(?:og|men)\s+)?(?:hva\s+(?:så\s+|da\s+)?med|enn)\s+|\s*(?:og|men)\s+", re.IGNORECASE
)
MAX_FRAGMENT_WORDS = 4  # "Og ID-porten?"; a longer continuation is a question of its own
MAX_SHORT_WORDS = 2  # "Hvem drifter?", "Pris?"
NO_GLOSSARY = Glossary()


@dataclass(frozen=True)
class Subject:
    """What a question is about: its name, and the span of the words that say it."""

    name: str
    start: int
    end: int


def standalone_question(
    question: str,
    history: Sequence[Turn],
    term_weights: TermWeights,
    glossary: Glossary = NO_GLOSSARY,
) -> str:
    """The question made self-contained from the conversation's earlier user questions, or the
    question unchanged when it is not a follow-up. Earlier questions are raw text, so a chain
    of follow-ups is resolved from the first user turn on."""
    previous = None
    for turn in history:
        if turn.role == "user":
            previous = _resolve(turn.content, previous, term_weights, glossary)
    return _resolve(question, previous, term_weights, glossary)


def _resolve(
    question: str, previous: str | None, term_weights: TermWeights, glossary: Glossary
) -> str:
    if previous is None:
        return question
    subject = main_subject(previous, term_weights, glossary)
    if subject is None:
        return question
    matches = list(_WORD.finditer(question))
    words = [m.group().lower() for m in matches]
    reference = _reference(question, matches)
    if reference is not None:
        first, last, possessive = reference
        name = subject.name
        if possessive:
            name += "'" if name[-1].lower() in "sxz" else "s"
        start, end = matches[first].start(), matches[last].end()
        if start == 0:
            name = name[0].upper() + name[1:]
        return question[:start] + name + question[end:]
    continued = _continuation(question, previous, subject, glossary)
    if continued is not None:
        return continued
    is_question = question.rstrip().endswith("?") or (bool(words) and words[0] in _QUESTION_WORDS)
    short = 0 < len(words) <= MAX_SHORT_WORDS
    if short and is_question and not _has_topic(question, glossary, opens_sentence=True):
        return f"{question.rstrip().rstrip('?.!').rstrip()} {subject.name}?"
    return question


def main_subject(question: str, term_weights: TermWeights, glossary: Glossary) -> Subject | None:
    """The question's most telling term. A glossary term or a name (an acronym like "NHN", a
    word with capitals inside like "HelseID", a capitalised word inside the sentence like
    "Helsenorge") is preferred to other words; among equals the highest sum of idf, then the
    first. A glossary term inside a hyphenated word names it ("HelseID-innlogging" is about
    HelseID), as the glossary's own groups do ("HelseID-pålogging" with "HelseID"). Question
    words, stop words and the question's verb are never the subject."""
    matches = list(_WORD.finditer(question))
    weights = term_weights(question) if callable(term_weights) else term_weights

    def idf(text: str) -> float:
        return sum(weights.get(stem, 0.0) for stem in set(tokenize(text)))

    ranked: list[tuple[int, float, int, Subject]] = []
    covered: set[int] = set()
    for subject, first, last in _glossary_terms(question, matches, glossary):
        multi_word = last > first or any(c.isupper() for c in subject.name)
        ranked.append((1 if multi_word else 0, idf(subject.name), -subject.start, subject))
        covered.update(range(first, last + 1))
    verb = _verb_index([m.group().lower() for m in matches])
    names: list[Subject] = []
    plain: list[Subject] = []
    for i, match in enumerate(matches):
        word = match.group()
        lower = word.lower()
        if i in covered or lower in STOPWORDS or lower in _QUESTION_WORDS or lower in _PRONOUNS:
            continue
        if word.isdigit() or len(word) < 2:
            continue
        if not _is_name(word, first_in_sentence=i == 0):
            if i != verb:
                plain.append(Subject(word, *match.span()))
        elif names and _continues_name(question, names[-1], match):
            names[-1] = Subject(
                question[names[-1].start : match.end()], names[-1].start, match.end()
            )
        else:
            names.append(Subject(word, *match.span()))
    ranked += [(1, idf(s.name), -s.start, s) for s in names]
    ranked += [(0, idf(s.name), -s.start, s) for s in plain]
    return max(ranked, key=lambda r: r[:3])[3] if ranked else None


def _continues_name(question: str, name: Subject, match: re.Match[str]) -> bool:
    """Capitalised words in a row are one name ("Ola Nordmann", "Nordre Åsen"); acronyms in a
    row are not ("Bruker NHN HelseID?")."""
    plain_capitals = all(w[1:].islower() for w in (name.name.split()[-1], match.group()))
    return plain_capitals and question[name.end : match.start()] == " "


def _glossary_terms(
    question: str, matches: list[re.Match[str]], glossary: Glossary
) -> list[tuple[Subject, int, int]]:
    """The glossary terms in the question, each with the first and last word it spans. A term
    that is only part of a hyphenated word is named as the glossary spells it; otherwise as
    the question does. Of terms on the same words, the one covering more stems is kept."""
    stems = [(stem, i) for i, m in enumerate(matches) for stem in tokenize(m.group())]
    stems_per_word = Counter(i for _, i in stems)
    starts: dict[str, list[int]] = {}  # where each stem occurs: a long text is read once
    for at, (stem, _) in enumerate(stems):
        starts.setdefault(stem, []).append(at)
    found: dict[tuple[int, int], tuple[int, Subject]] = {}
    for term, wanted in _stemmed_terms(glossary):
        width = len(wanted)
        for at in starts.get(wanted[0], ()):
            if tuple(stem for stem, _ in stems[at : at + width]) != wanted:
                continue
            first, last = stems[at][1], stems[at + width - 1][1]
            whole = width == sum(stems_per_word[w] for w in range(first, last + 1))
            start, end = matches[first].start(), matches[last].end()
            name = question[start:end] if whole else term
            if width > found.get((first, last), (0, None))[0]:
                found[(first, last)] = (width, Subject(name, start, end))
    return [(subject, first, last) for (first, last), (_, subject) in found.items()]


@lru_cache(maxsize=4)
def _stemmed_terms(glossary: Glossary) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every glossary term with its stems, worked out once per glossary, not per question."""
    terms = ((term, tuple(tokenize(term))) for group in glossary.groups for term in group)
    return tuple((term, stems) for term, stems in terms if stems)


def _is_name(word: str, first_in_sentence: bool) -> bool:
    inner_capital = any(c.isupper() for part in word.split("-") for c in part[1:])
    return inner_capital or (word[0].isupper() and not first_in_sentence)


def _verb_index(words: list[str]) -> int | None:
    """Where the finite verb of a question is: first in a yes/no question ("Må kommunen …"),
    after the question word otherwise ("Hvordan fungerer …", "Hvor lenge varer …"), unknown
    after a question word a noun follows ("Hvilke krav stilles …")."""
    if not words or words[0] not in _QUESTION_WORDS:
        return 0
    if words[0] in _BEFORE_A_NOUN or words[1:2] in (["slags"], ["mange"]):
        return None
    return 2 if words[0] == "hvor" and words[1:2] and words[1] in _DEGREE else 1


def _reference(question: str, matches: list[re.Match[str]]) -> tuple[int, int, bool] | None:
    """The first words that refer back to the previous question, as (first word, last word,
    possessive): a pronoun, or a demonstrative with its noun ("denne løsningen"). None when
    there is none, or when the first pronoun has its antecedent in the question itself."""
    words = [m.group().lower() for m in matches]
    for i, word in enumerate(words):
        second_question = i >= 2 and words[i + 1 : i + 2] and words[i + 1] in _QUESTION_WORDS
        if word in {"og", "men"} and second_question:
            return None  # "Hva er HelseID, og hvem drifter den?"
        if word not in _PRONOUNS or _is_article(words, i):
            continue
        if word == "det" and _is_formal_det(words, i):
            continue
        if _BOUNDARY.search(question[: matches[i].start()]) or _in_subordinate_clause(words, i):
            return None
        return i, _noun_phrase_end(words, i), word in _POSSESSIVES
    return None


def _in_subordinate_clause(words: list[str], i: int) -> bool:
    """Whether the pronoun follows a subjunction that follows a noun, which is then its
    antecedent: "Hvor lenge venter dispenseren før den låser dosen?", "… samtykke hver gang
    hun slår opp". ("Hva skjer når den feiler?" has only the verb before "når": it refers
    back.)"""
    verb = _verb_index(words)
    for j in range(i):
        if words[j] in _SUBJUNCTIONS or (j > 0 and words[j - 1 : j + 1] == ["hver", "gang"]):
            before = (w for k, w in enumerate(words[:j]) if k != verb)
            if any(w not in STOPWORDS and w not in _QUESTION_WORDS for w in before):
                return True
    return False


def _is_article(words: list[str], i: int) -> bool:
    """Den, det and de before an adjective and a noun in definite form that agrees, or before
    a word in -e (an adjective) or a number, are articles: "den felles anskaffelsen", "de nye
    kravene", "det samme", "den 1. mars". After a modal verb ("Kan de sende …?") a word in -e
    is as often an infinitive, so there it counts as an adjective only when a noun in definite
    form follows ("Kan de nye kravene …?")."""
    if words[i] not in {"den", "det", "de"} or i + 1 >= len(words):
        return False
    following = words[i + 1]
    if following.isdigit() or following == "samme":
        return True
    after_modal = i > 0 and words[i - 1] in _MODALS
    adjective = following not in STOPWORDS and following not in _PREPOSITIONS
    if not after_modal and adjective and _is_definite_noun(words, i, i + 2):
        return True
    if not following.endswith("e") or following in STOPWORDS or following in _ADVERBS_IN_E:
        return False
    if after_modal:
        return _is_definite_noun(words, i, i + 2)
    return True


def _is_formal_det(words: list[str], i: int) -> bool:
    """Whether "det" is a formal subject or stands for an action, not for a thing:
    - it opens the sentence: "Det er …";
    - it follows a verb that takes a formal subject: "Finnes det …", "Går det an å …";
    - it follows a form of gjøre, or gjøre and its subject: "Hvordan gjør man det?" stands
      for an action;
    - a clause follows it: "Er det mulig å …", "Hva koster det å …", "Er det riktig at …",
      "Hva er det som …";
    - an indefinite word follows it: "Er det noen krav …", "Finnes det en veileder";
    - it follows "er/var/blir/ble" opening a yes/no question, or after "hvilke", "hvor mange",
      "hva slags", and more than one word follows: "Er det krav om logging?",
      "Hvilke krav er det til logging?". ("Er det gratis?" refers back.)"""
    before = words[i - 1] if i > 0 else None
    after = words[i + 1 :]
    if (
        before is None
        or before in _FORMAL_SUBJECT_VERBS
        or _PRO_VERB & set(words[max(i - 2, 0) : i])
    ):
        return True
    if _CLAUSE_WORDS & set(after) or (after[:1] and after[0] in _INDEFINITES):
        return True
    existential = i == 1 or any(w in _BEFORE_A_NOUN for w in words[:2])
    return before in {"er", "var", "blir", "ble"} and existential and len(after) > 1


def _noun_phrase_end(words: list[str], i: int) -> int:
    """The last word of the phrase a pronoun starts: a demonstrative before a noun in definite
    form that agrees with it, after an optional adjective ("denne løsningen", "disse nye
    kravene"), is one phrase; otherwise the pronoun stands alone."""
    if words[i] not in _DEFINITE_ENDINGS:
        return i
    noun = i + 1
    if noun < len(words) and words[noun].endswith("e") and words[noun] not in STOPWORDS:
        noun += 1  # an adjective
    return noun if _is_definite_noun(words, i, noun) else i


def _is_definite_noun(words: list[str], determiner: int, at: int) -> bool:
    """Whether words[at] is a noun in the definite form that words[determiner] agrees with.
    After a fronted verb a word in -et that ends the question or is followed by a stop word
    is a participle: "Er denne testet?", "Er den endret i år?"."""
    if at >= len(words):
        return False
    word = words[at]
    if not word.endswith(_DEFINITE_ENDINGS.get(words[determiner], ())):
        return False
    if word.endswith("et") and determiner > 0 and words[determiner - 1] in _FRONTED_VERBS:
        return at + 1 < len(words) and words[at + 1] not in STOPWORDS
    return True


def _continuation(question: str, previous: str, subject: Subject, glossary: Glossary) -> str | None:
    """The previous question asked about something else it names ("Og ID-porten?", "Hva med
    e-resept?"), or with something added ("Og for sykehjem?", "Og hvis kommunen er liten?",
    "Hva med de ansatte?"). None when the question does not continue the previous one."""
    opening = _CONTINUATION.match(question)
    if opening is None:
        return None
    fragment = question[opening.end() :].strip().rstrip("?.!").strip()
    words = [w.lower() for w in _WORD.findall(fragment)]
    if not words or len(words) > MAX_FRAGMENT_WORDS or words[0] in _QUESTION_WORDS:
        return None
    if all(w in STOPWORDS for w in words):
        return None
    if words[0] not in _CONDITIONS and _has_topic(fragment, glossary, opens_sentence=False):
        return previous[: subject.start] + fragment + previous[subject.end :]
    return f"{previous.strip().rstrip('?.!').rstrip()} {fragment}?"


def _has_topic(text: str, glossary: Glossary, opens_sentence: bool) -> bool:
    """Whether a text names something itself: a glossary term or a name."""
    matches = list(_WORD.finditer(text))
    return bool(_glossary_terms(text, matches, glossary)) or any(
        _is_name(m.group(), first_in_sentence=opens_sentence and i == 0)
        for i, m in enumerate(matches)
    )

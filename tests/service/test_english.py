"""English questions are answered in the corpus's own words: glossary terms replaced by the
term the corpus uses most, and the opening question words in Norwegian."""

from index.glossary import Glossary
from service.english import in_corpus_words

GLOSSARY = Glossary(
    (
        ("dokumentdeling", "pasientens journaldokumenter", "document sharing"),
        ("KJ", "Kjernejournal", "nasjonal kjernejournal", "summary care record"),
        ("ukjent begrep", "unknown term"),
    )
)
CORPUS_COUNTS = {"dokumentdeling": 40, "kj": 3, "kjernejournal": 90, "nasjonal": 12}


def uses(term: str) -> int:
    return min(CORPUS_COUNTS.get(word, 0) for word in term.lower().split())


def test_an_english_question_is_asked_with_the_corpus_term_and_a_norwegian_opening():
    assert in_corpus_words("what is document sharing?", GLOSSARY, uses) == "hva er dokumentdeling?"
    assert (
        in_corpus_words("What is the Summary Care Record?", GLOSSARY, uses)
        == "hva er Kjernejournal?"
    )
    assert (
        in_corpus_words("Who can see documents shared through document sharing?", GLOSSARY, uses)
        == "hvem can see documents shared through dokumentdeling?"
    )


def test_a_norwegian_question_is_left_as_asked():
    for question in ("Hva er document sharing?", "Hvem har tilgang til KJ?"):
        assert in_corpus_words(question, GLOSSARY, uses) == question


def test_a_term_the_corpus_never_uses_in_any_form_is_left_alone():
    assert in_corpus_words("what is an unknown term?", GLOSSARY, uses) == "hva er unknown term?"

"""Norwegian tokenization, stemming, highlights and glossary expansion."""

from index.glossary import Glossary
from index.highlight import highlight_spans
from index.lexical import LexicalIndex, tokenize


def test_tokens_are_stemmed_lowercased_and_keep_norwegian_letters():
    assert tokenize("Kommunene sender meldingene til sykehjemmet på Værøy") == [
        "kommun",
        "send",
        "melding",
        "sykehjemm",
        "værøy",
    ]


def test_hyphenated_compounds_count_whole_and_by_their_parts():
    assert tokenize("PLO-meldinger") == ["plomelding", "plo", "melding"]
    assert tokenize("HER-id") == ["herid", "id"]  # "her" alone is a stopword, "HER-id" is not


def test_inflected_forms_find_each_other():
    index = LexicalIndex.build(["Meldingene sendes til fastlegen.", "Kjernejournal i legevakt."])
    scores = index.scores("melding fastleger")
    assert scores[0] > 0 and scores[1] == 0


def test_a_query_with_only_unknown_words_scores_nothing():
    assert not LexicalIndex.build(["HelseID"]).scores("zyxwv").any()


def test_highlights_mark_words_sharing_a_stem_with_the_query():
    text = "Kommunen sender meldinger via Norsk helsenett."
    spans = highlight_spans(text, "Hvordan sendes en melding?")
    assert [text[a:b] for a, b in spans] == ["sender", "meldinger"]


def test_glossary_expands_an_acronym_to_its_equivalents_and_back():
    glossary = Glossary(
        (("PLO", "pleie- og omsorgsmeldinger", "care messages"), ("KJ", "kjernejournal"))
    )
    assert glossary.expand("Hva er PLO?") == "Hva er PLO? pleie- og omsorgsmeldinger care messages"
    assert glossary.expand("tilgang til kjernejournal") == "tilgang til kjernejournal KJ"
    assert glossary.expand("helt annet") == "helt annet"

"""Norwegian tokenization, stemming, highlights and glossary expansion."""

from pathlib import Path

import numpy as np
import pytest

from index.build import build_index
from index.glossary import Glossary
from index.highlight import highlight_spans
from index.lexical import Decompounder, LexicalIndex, stems_by_offset, tokenize


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
    matches = index.matches("melding fastleger")
    assert list(matches.rows) == [0] and matches.scores[0] > 0


def test_compounds_match_their_parts_when_the_corpus_uses_the_parts_alone(tmp_path):
    index = LexicalIndex.build(
        [
            "Legemiddellisten oppdateres ved innkomst.",
            "Listen over legemidler finnes i kjernejournal.",
            "Legemiddel og liste er egne ord her.",
            "Kostnadsanslaget ble justert.",
            "Et anslag over tid.",
            "Kostnaden er kjent, og kostnaden er betalt.",
            "Anslaget holdt.",
        ]
    )
    index.save(tmp_path)
    reloaded = LexicalIndex.load(tmp_path)
    for searched in (index, reloaded):
        assert 0 in searched.matches("liste").rows  # the compound in the first text: its tail
        assert 2 in searched.matches("legemiddellister").rows  # the query's compound is split too
        assert 3 in searched.matches("anslag").rows


def test_a_compound_more_common_than_its_parts_is_left_whole():
    splitter = Decompounder({"helsenett": 9, "hels": 1, "nett": 1})
    assert splitter.parts("helsenett") == ()
    assert Decompounder({"helsenett": 1, "hels": 5, "nett": 5}).parts("helsenett") == (
        "hels",
        "nett",
    )
    assert Decompounder({"kostnadsanslag": 1, "kostnad": 4, "anslag": 2}).parts(
        "kostnadsanslag"
    ) == ("kostnad", "anslag")


def test_a_query_with_only_unknown_words_scores_nothing():
    assert len(LexicalIndex.build(["HelseID"]).matches("zyxwv").rows) == 0


def test_matches_hold_only_the_rows_with_a_query_term_and_rank_the_best_first():
    index = LexicalIndex.build(
        ["Fastlegen får meldingen.", "Kjernejournal.", "Fastlege.", "Meldingen om fastlegen."]
    )
    matches = index.matches("melding fastlege")
    assert list(matches.rows) == [0, 2, 3]
    assert matches.best(3)[-1] == 2  # one query term scores below two
    assert list(matches.best(5, allowed=np.array([False, True, True, False]))) == [2]
    assert list(matches.of(np.array([1, 2]))) == [0.0, matches.scores[1]]


def test_highlights_mark_words_sharing_a_stem_with_the_query():
    text = "Kommunen sender meldinger via Norsk helsenett."
    spans = highlight_spans(text, "Hvordan sendes en melding?")
    assert [text[a:b] for a, b in spans] == ["sender", "meldinger"]


def test_highlights_find_the_stem_in_any_case_inflection_and_word_part_of_the_text():
    text = "MELDINGEN om Kjernejournal; kjernejournalen og kjerne-journal, ikke «omsorg»."
    spans = highlight_spans(text, "kjernejournal melding")
    # a word starting like a stem but stemming to another ("kjerne") is not marked
    assert [text[a:b] for a, b in spans] == ["MELDINGEN", "Kjernejournal", "kjernejournalen"]
    assert highlight_spans(text, "og om ikke") == []  # stopwords only: nothing to mark


def test_glossary_expands_an_acronym_to_its_equivalents_and_back():
    glossary = Glossary(
        (("PLO", "pleie- og omsorgsmeldinger", "care messages"), ("KJ", "kjernejournal"))
    )
    assert glossary.expand("Hva er PLO?") == "Hva er PLO? pleie- og omsorgsmeldinger care messages"
    assert glossary.expand("tilgang til kjernejournal") == "tilgang til kjernejournal KJ"
    assert glossary.expand("helt annet") == "helt annet"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("- &a [x, x, x, x, x, x, x, x, x]\n- &b [*a, *a, *a, *a, *a, *a, *a, *a]\n", "alias"),
        ("- [PLO, pleie- og omsorgsmeldinger\n", "ugyldig YAML"),
        ("PLO: pleie- og omsorgsmeldinger\n", "forventet en liste av lister"),
    ],
)
def test_a_broken_glossary_fails_alone_and_never_stops_the_ingest(
    small_corpus: Path, tmp_path: Path, embedder, content: str, reason: str
):
    (small_corpus / "ordliste.yaml").write_text(content, encoding="utf-8")
    report = build_index(small_corpus, tmp_path / "index", embedder)
    assert report.published and report.document_count == 4
    assert reason in report.failed["ordliste.yaml"]


def test_a_glossary_linked_from_outside_the_corpus_is_not_read(
    small_corpus: Path, tmp_path: Path, embedder
):
    outside = tmp_path / "hemmelig.yaml"
    outside.write_text("- [hemmelig, passord123]\n", encoding="utf-8")
    (small_corpus / "ordliste.yaml").symlink_to(outside)
    report = build_index(small_corpus, tmp_path / "index", embedder)
    assert "lenke ut av korpusmappen" in report.failed["ordliste.yaml"]
    assert "passord123" not in (tmp_path / "index" / "current" / "glossary.json").read_text()


@pytest.mark.parametrize(
    "text",
    [
        "PLO-meldinger sendes til tildelingskontoret. Svar innen fire timer.",
        "Oﬃsielle HER-id-er: ﬁre ½ timer",  # ligatures and fractions change length under NFKC
    ],
)
def test_stems_by_offset_are_the_tokenized_stems_at_their_words(text: str):
    found = stems_by_offset(text)
    assert [stem for _, stem in found] == tokenize(text)
    second = text.index(".") + 2 if "." in text else len(text)
    late = [stem for at, stem in found if at >= second]
    assert late == tokenize(text[second:])

"""Sentence splitting: one rule for chunking, the sentence index and extractive answers."""

from __future__ import annotations

from ingest.sentences import sentence_spans


def pieces(text: str, min_words: int = 1) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text, min_words)]


def test_sentences_split_at_end_punctuation_before_a_capital_or_digit():
    text = "PLO-meldinger sendes over helsenettet. Apprec kommer tilbake! 3 timer er fristen."
    assert pieces(text) == [
        "PLO-meldinger sendes over helsenettet.",
        "Apprec kommer tilbake!",
        "3 timer er fristen.",
    ]


def test_abbreviations_followed_by_lower_case_do_not_end_a_sentence():
    assert pieces("Meldinger, f.eks. henvisninger, sendes kryptert.") == [
        "Meldinger, f.eks. henvisninger, sendes kryptert."
    ]


def test_each_line_of_a_list_or_table_is_its_own_piece_without_its_marker():
    text = "- Legemiddelliste fra reseptformidleren\n2. Kritisk informasjon\nLege | Full tilgang"
    assert pieces(text) == [
        "Legemiddelliste fra reseptformidleren",
        "Kritisk informasjon",
        "Lege | Full tilgang",
    ]


def test_short_pieces_are_left_out_when_a_minimum_is_asked_for():
    text = "Se figur 2. Kommunen sender meldingen til fastlegen."
    assert pieces(text, min_words=4) == ["Kommunen sender meldingen til fastlegen."]


def test_offsets_point_into_the_original_text():
    text = "  Første setning.   Andre setning her.\n\n•  Punkt"
    for start, end in sentence_spans(text):
        assert text[start:end] == text[start:end].strip()
        assert not text[start:end].startswith("•")

"""Misspelled queries: a word the index does not know is replaced by the most common corpus
word one edit away (two for words of eight letters or more); everything else stays as typed."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from index.build import build_index
from index.generation import Generation, current_generation
from index.search import Mode, Searcher
from index.spelling import (
    LEGACY_COUNTS_FILE,
    LONG_WORD,
    Correction,
    Vocabulary,
    edit_distance,
    write_vocabulary,
)

CORPUS_WORDS = {
    "hvordan": 12,
    "fungerer": 17,
    "fungere": 2,
    "helseid": 227,
    "innlogging": 23,
    "ansatte": 32,
    "dokument": 40,
    "deling": 9,
    "kjernejournal": 50,
    "resept": 8,
}


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary(CORPUS_WORDS)


def vocabulary_of(tmp_path: Path, *texts: str) -> Vocabulary:
    """A vocabulary as ingest writes it, from chunk texts and glossary terms."""
    path = tmp_path / "vocabulary"
    write_vocabulary(path, texts)
    return Vocabulary.load(path)


def test_unknown_words_are_replaced_and_the_rest_of_the_query_is_kept_as_typed(vocabulary):
    correction = vocabulary.correct("Hvordan fungerr  Helsid-innlogging for ansatte?")
    assert correction == Correction(
        "Hvordan fungerer  Helseid-innlogging for ansatte?",
        (("fungerr", "fungerer"), ("Helsid", "Helseid")),
    )


def test_a_query_the_index_knows_is_left_alone(vocabulary):
    query = "hvordan fungerer helseid innlogging for ansatte"
    assert vocabulary.correct(query) == Correction(query)


def test_words_of_five_to_seven_letters_are_corrected_within_one_edit_only(vocabulary):
    assert vocabulary.correct("helsid").text == "helseid"  # one letter missing
    assert vocabulary.correct("hlsid").text == "hlsid"  # two: too far for five letters
    assert vocabulary.correct("ansate").text == "ansatte"


def test_words_of_eight_letters_or_more_are_corrected_within_two_edits(vocabulary):
    assert vocabulary.correct("kjernjournl").text == "kjernejournal"
    assert vocabulary.correct("kjrnjournl").text == "kjrnjournl"  # three edits


def test_words_shorter_than_five_letters_are_never_corrected():
    vocabulary = Vocabulary({"resept": 8, "helse": 5})
    assert vocabulary.correct("hels respt").text == "hels resept"


def test_a_swap_of_neighbouring_letters_counts_as_one_edit(vocabulary):
    assert vocabulary.correct("hesleid").text == "helseid"
    assert edit_distance("hesleid", "helseid", 1) == 1
    assert edit_distance("abc", "ca", 3) == 3  # no edits inside a swap (restricted Damerau)


def test_of_equally_close_words_the_most_frequent_is_chosen():
    assert Vocabulary({"fungerer": 17, "fungere": 2}).correct("fungerr").text == "fungerer"
    assert Vocabulary({"fungerer": 2, "fungere": 17}).correct("fungerr").text == "fungere"


def test_a_closer_word_wins_over_a_more_frequent_one():
    vocabulary = Vocabulary({"tilgangsstyring": 1, "tilgangsstyrer": 60})
    # one edit from the rare word, two from the common one
    assert vocabulary.correct("tilgangsstyreng").text == "tilgangsstyring"


def test_an_inflection_of_a_corpus_word_is_known_and_not_corrected(vocabulary):
    # "innloggingen" is not in the corpus, but its stem is: the lexical leg finds it.
    assert vocabulary.correct("innloggingen for ansattes").changes == ()


def test_english_glossary_terms_are_known_words(tmp_path: Path):
    corpus = "Dokument for deling av dokumenter mellom virksomheter."
    without = vocabulary_of(tmp_path, corpus)
    assert without.correct("document sharing").text == "dokument sharing"
    glossary = vocabulary_of(tmp_path, corpus, "dokumentdeling", "document sharing")
    assert glossary.correct("document sharing") == Correction("document sharing")


def test_a_word_with_no_close_corpus_word_stays_as_typed(vocabulary):
    assert vocabulary.correct("onboarding workflow") == Correction("onboarding workflow")


def test_numbers_and_words_with_digits_are_never_corrected(tmp_path: Path):
    vocabulary = vocabulary_of(tmp_path, "Versjon 2024 av standarden, release 12345 og kapittel")
    assert vocabulary.correct("versjn 12346 releas5 kapitel4 fhir_r4") == Correction(
        "versjon 12346 releas5 kapitel4 fhir_r4", (("versjn", "versjon"),)
    )


def test_a_vocabulary_file_missing_from_an_old_generation_corrects_nothing(tmp_path: Path):
    vocabulary = Vocabulary.load(tmp_path / "vocabulary")
    assert vocabulary.correct("hvordan fungerr helsid") == Correction("hvordan fungerr helsid")


def test_a_saved_vocabulary_reads_back_suggesting_what_the_built_one_does(tmp_path: Path):
    built = Vocabulary(CORPUS_WORDS | {"tilgangsstyring": 1, "æøåblåbær": 3})
    built.save(tmp_path / "vocabulary")
    loaded = Vocabulary.load(tmp_path / "vocabulary")
    assert loaded.counts == built.counts
    for typed in ("fungerr helsid", "innloggingene", "tilgangstyring", "æøåblåbr", "xyzzy"):
        assert loaded.correct(typed) == built.correct(typed), typed
    Vocabulary({}).save(tmp_path / "empty")  # a corpus without words: empty arrays, mapped
    assert Vocabulary.load(tmp_path / "empty").correct("fungerr") == Correction("fungerr")


def test_a_generation_holding_only_word_counts_builds_its_lookup_when_opened(tmp_path: Path):
    """Generations written before the lookup was saved have vocabulary.json: word -> count."""
    (tmp_path / LEGACY_COUNTS_FILE).write_text(json.dumps(CORPUS_WORDS), encoding="utf-8")
    vocabulary = Vocabulary.load(tmp_path / "vocabulary")
    assert vocabulary.correct("fungerr helsid").text == "fungerer helseid"


def test_correction_finds_the_closest_word_in_a_large_vocabulary():
    """100,000 words: the lookup narrows to a few candidates and still finds the right one (its
    speed is measured by hand, not asserted: about 0.2 ms a query, see the resolution note)."""
    syllables = ["hel", "se", "mel", "ding", "jour", "nal", "kom", "mu", "ne", "tje", "nes", "te"]
    counts = {}
    for a in syllables:
        for b in syllables:
            for c in syllables:
                for d in syllables:
                    for e in ("", "en", "er", "ene", "et"):
                        counts[a + b + c + d + e] = len(counts) % 97 + 1
    vocabulary = Vocabulary(counts | {"helseid": 5})
    assert len(counts) > 100_000
    corrected = vocabulary.correct("hvordan virker helsid i meldingsjournalen")
    assert corrected.text == "hvordan virker helseid i meldingjournalen"


def test_the_lookup_suggests_what_comparing_every_word_would():
    """The deletion index (prefixes of up to PREFIX letters, short ones padded) misses no word
    within the distance: for random typos of words of 4 to 12 letters, the suggestion equals
    the closest, most frequent word found by computing the distance to every word."""
    rng = random.Random(7)
    letters = "abdefghiklmnoprstuvyæøå"
    counts = {
        "".join(rng.choice(letters) for _ in range(rng.randint(4, 12))): rng.randint(1, 50)
        for _ in range(1500)
    }
    vocabulary = Vocabulary(counts)
    for word in rng.sample(sorted(counts), 150):
        typo = list(word)
        for _ in range(rng.randint(1, 2)):
            at = rng.randrange(len(typo))
            edit = rng.choice(("delete", "insert", "replace"))
            if edit == "delete" and len(typo) > 4:
                del typo[at]
            elif edit == "insert":
                typo.insert(at, rng.choice(letters))
            else:
                typo[at] = rng.choice(letters)
        typed = "".join(typo)
        limit = 1 if len(typed) < LONG_WORD else 2
        within = [
            (edit_distance(typed, w, limit), -n, w)
            for w, n in counts.items()
            if edit_distance(typed, w, limit) <= limit
        ]
        assert vocabulary.suggestion(typed) == (min(within)[2] if within else None), typed


@pytest.mark.slow
def test_a_misspelled_question_over_the_sample_corpus_finds_the_helseid_document(
    sample_index: Path, embedder
):
    searcher = Searcher(current_generation(sample_index), embedder)
    correction = searcher.correct("hvordan fungerr helsid innlogging for ansatte")
    assert correction.text == "hvordan fungerer helseid innlogging for ansatte"
    assert "HelseID" in searcher.search(correction.text)[0].document.meta.title
    # the corrected words count again in the lexical leg, which alone was led astray by them
    assert "HelseID" in searcher.search(correction.text, mode=Mode.LEXICAL)[0].document.meta.title


@pytest.mark.slow
def test_a_generation_written_before_spelling_correction_serves_uncorrected(
    sample_index: Path, embedder, tmp_path: Path
):
    old = Generation(tmp_path / "gen-1")
    shutil.copytree(current_generation(sample_index), old.directory)
    shutil.rmtree(old.vocabulary_path)
    searcher = Searcher(old.directory, embedder)
    assert searcher.correct("fungerr helsid") == Correction("fungerr helsid")
    assert searcher.search("fungerr helsid")  # still answers


@pytest.mark.slow
def test_an_index_built_before_spelling_correction_gains_a_vocabulary_without_embedding(
    small_corpus: Path, tmp_path: Path, embedder
):
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, embedder)
    old = Generation(current_generation(index_dir))
    shutil.rmtree(old.vocabulary_path)
    manifest = old.read_manifest()
    manifest.vocabulary_version = ""
    old.seal(manifest)

    rebuilt = build_index(small_corpus, index_dir, embedder)
    assert rebuilt.published and rebuilt.chunks_embedded == 0
    assert Generation(current_generation(index_dir)).vocabulary_path.is_dir()
    assert not build_index(small_corpus, index_dir, embedder).published  # then nothing changed

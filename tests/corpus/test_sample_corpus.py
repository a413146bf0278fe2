"""The bundled sample corpus and its question set: complete, labelled and consistent."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from ingest.discover import discover
from ingest.load import load_document
from ingest.models import DOC_TYPES
from tests.conftest import SAMPLE_CORPUS

QUESTIONS = SAMPLE_CORPUS / "eval" / "questions.jsonl"


@pytest.fixture(scope="module")
def documents():
    return {f.source: load_document(f) for f in discover(SAMPLE_CORPUS)}


def test_corpus_has_forty_documents_in_every_format(documents):
    formats = Counter(d.file_format for d in documents.values())
    assert len(documents) >= 40
    assert formats["pdf"] >= 10 and formats["docx"] >= 5 and formats["html"] >= 5


def test_corpus_holds_over_150_pages_of_text(documents):
    words = sum(len(d.text.split()) for d in documents.values())
    assert words / 450 >= 150  # a printed page holds about 450 words


def test_every_document_has_full_metadata_and_is_labelled_illustrative(documents):
    for source, document in documents.items():
        meta = document.meta
        assert meta.title and meta.publisher and meta.date, source
        assert meta.doc_type in DOC_TYPES and meta.doc_type != "annet", source
        assert "Illustrativt eksempeldokument" in document.text, source


def test_several_pdfs_have_five_pages_or_more(documents):
    long_pdfs = [d for d in documents.values() if d.file_format == "pdf" and d.page_count >= 5]
    assert len(long_pdfs) >= 5


def read_questions() -> list[dict]:
    return [
        json.loads(line)
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_question_set_has_80_questions_and_10_unanswerable():
    questions = read_questions()
    assert len(questions) >= 80
    assert len({q["id"] for q in questions}) == len(questions)
    assert sum(1 for q in questions if q["relevant"] == []) == 10


def test_every_quote_is_an_exact_substring_of_its_documents_extracted_text(documents):
    for question in read_questions():
        for relevant in question["relevant"]:
            document = documents.get(relevant["doc"])
            assert document is not None, f"{question['id']}: no document {relevant['doc']}"
            assert relevant["quote"] in document.text, f"{question['id']}: quote not found"

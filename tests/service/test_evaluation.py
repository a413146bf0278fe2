"""Retrieval metrics and the relevance rule of `refark eval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.build import build_index
from index.generation import current_generation
from index.search import Mode, Searcher
from ingest.models import Chunk
from service.evaluation import (
    EvalFileError,
    evaluate,
    is_relevant,
    quote_share,
    read_questions,
)


def chunk(text: str, start: int) -> Chunk:
    return Chunk(
        chunk_id="c",
        doc_id="d",
        ordinal=0,
        text=text,
        headings=(),
        page=None,
        char_start=start,
        char_end=start + len(text),
    )


def test_a_chunk_is_relevant_when_it_holds_the_quote_or_most_of_its_span():
    doc = "Første setning her. Andre setning om kvitteringer og status. Tredje setning."
    quote = "Andre setning om kvitteringer og status."
    assert is_relevant(chunk(doc[20:62], 20), doc, quote)
    assert is_relevant(chunk(doc[20:50], 20), doc, quote)  # most of the quote's span
    assert not is_relevant(chunk(doc[0:25], 0), doc, quote)


def test_quote_share_is_the_part_of_the_quotes_words_the_answer_carries():
    quote = "besvares innen fire timer på dagtid"
    assert quote_share("Forespørsler besvares innen fire timer på dagtid. [1]", quote) == 1.0
    assert quote_share("Svar innen fire timer. [1]", quote) == 0.5
    assert quote_share("Se kapittel 3. [1]", quote) == 0.0


def test_a_question_line_may_carry_the_conversation_before_it(tmp_path: Path):
    path = tmp_path / "q.jsonl"
    row = {
        "id": "q1",
        "question": "Hvem drifter den?",
        "history": [{"role": "user", "content": "Hva er HelseID?"}],
        "relevant": [],
    }
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, "history": [{"role": "x"}]}))
    with pytest.raises(EvalFileError, match=r"q\.jsonl:2"):
        read_questions(path)
    path.write_text(json.dumps(row))
    [question] = read_questions(path)
    assert [(t.role, t.content) for t in question.history] == [("user", "Hva er HelseID?")]


def test_malformed_question_file_names_the_line(tmp_path: Path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "q1", "question": "a", "relevant": []}\n{"id": "q2"}\n')
    with pytest.raises(EvalFileError, match=r"q\.jsonl:2"):
        read_questions(path)


@pytest.mark.slow
def test_eval_scores_a_question_whose_passage_ranks_first(
    small_corpus: Path, tmp_path: Path, embedder
):
    build_index(small_corpus, tmp_path / "index", embedder)
    questions = tmp_path / "q.jsonl"
    rows = [
        {
            "id": "q1",
            "question": "Når sendes utskrivningsrapporten?",
            "relevant": [
                {
                    "doc": "standarder/meldinger.md",
                    "quote": "Utskrivningsrapporten sendes fra sykehuset",
                }
            ],
        },
        {"id": "q2", "question": "Hvem vant sjakk-VM i 1972?", "relevant": []},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    searcher = Searcher(current_generation(tmp_path / "index"), embedder)
    report = evaluate(searcher, read_questions(questions), modes=(Mode.LEXICAL, Mode.HYBRID))
    lexical = report.modes[0]
    assert lexical.questions == 1
    assert lexical.recall_at_1 == lexical.mrr_at_10 == lexical.ndcg_at_10 == 1.0
    assert report.unanswerable == 1 and report.declined == 1.0
    assert report.answered == 1.0 and report.hit == 1.0 and report.misses == []
    assert report.missing_quotes == []


@pytest.mark.slow
def test_answer_rate_counts_each_question_even_when_ids_repeat(
    small_corpus: Path, tmp_path: Path, embedder
):
    build_index(small_corpus, tmp_path / "index", embedder)
    relevant = [{"doc": "standarder/meldinger.md", "quote": "Utskrivningsrapporten sendes"}]
    rows = [
        {"id": "q1", "question": "Når sendes utskrivningsrapporten?", "relevant": relevant},
        {"id": "q1", "question": "Hvem vant sjakk-VM i 1972?", "relevant": relevant},
    ]
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    searcher = Searcher(current_generation(tmp_path / "index"), embedder)
    report = evaluate(searcher, read_questions(questions), modes=(Mode.HYBRID,))
    assert report.answered == 0.5
    assert report.hit == 0.5 and report.misses == ["q1"]  # the chess question is not hit

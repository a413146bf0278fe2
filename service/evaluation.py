"""`refark eval`: retrieval metrics per search mode on a JSON Lines question file, and how
well `ask` answers: how often it answers, declines what the corpus cannot answer, and hits
(quotes what the question's relevant passage says)."""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import ValidationError

from index.search import Mode, Searcher
from ingest.models import Chunk
from service.asking import Asked, ask, searched_question
from service.schemas import Turn

CUTOFF = 10
# An answer hits when a cited passage is relevant and the answer text carries at least this
# share of a relevant quote's words: it says what the passage says, not only points at it.
HIT_QUOTE_SHARE = 0.4


class EvalFileError(ValueError):
    """The question file is malformed; the message names the line."""


@dataclass(frozen=True)
class Relevant:
    doc: str
    quote: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    relevant: tuple[Relevant, ...]
    # earlier turns of the conversation, for a follow-up question ("Hvem drifter den?")
    history: tuple[Turn, ...] = ()


@dataclass
class ModeScores:
    mode: str
    questions: int
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr_at_10: float
    ndcg_at_10: float
    median_ms: float


@dataclass
class EvalReport:
    modes: list[ModeScores] = field(default_factory=list)
    unanswerable: int = 0
    declined: float | None = None  # share of unanswerable questions declined
    answered: float | None = None  # share of answerable questions answered
    hit: float | None = None  # share of answerable questions whose answer hits
    ask_median_ms: float | None = None
    misses: list[str] = field(default_factory=list)  # answerable questions not hit
    missing_quotes: list[str] = field(default_factory=list)


def read_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            relevant = tuple(Relevant(r["doc"], r["quote"]) for r in data.get("relevant", []))
            history = tuple(Turn(**turn) for turn in data.get("history", []))
            questions.append(Question(str(data["id"]), data["question"], relevant, history))
        except (json.JSONDecodeError, KeyError, TypeError, ValidationError) as error:
            raise EvalFileError(f"{path}:{number}: ugyldig linje ({error})") from error
    return questions


def _normalize(text: str) -> str:
    return " ".join(text.split())


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def is_relevant(chunk: Chunk, doc_text: str, quote: str) -> bool:
    """The chunk holds the quote, or most of the quote's span in the document text."""
    if _normalize(quote) in _normalize(chunk.text):
        return True
    start = doc_text.find(quote)
    if start >= 0:
        overlap = min(chunk.char_end, start + len(quote)) - max(chunk.char_start, start)
        return overlap >= 0.5 * len(quote)
    quote_words = _words(quote)
    if len(quote_words) < 5:
        return False
    chunk_words = set(_words(chunk.text))
    return sum(w in chunk_words for w in quote_words) / len(quote_words) >= 0.8


class RelevanceJudge:
    """Which chunks answer a question; caches documents' text and chunks by source path."""

    def __init__(self, searcher: Searcher) -> None:
        self._searcher = searcher
        self._by_source = {d.source: d.doc_id for d in searcher.documents.values()}
        self._texts: dict[str, str] = {}
        self._chunks: dict[str, list[Chunk]] = {}

    def _load(self, doc_id: str) -> None:
        if doc_id not in self._texts:
            document = self._searcher.store.document(doc_id)
            self._texts[doc_id] = document.text if document else ""
            self._chunks[doc_id] = self._searcher.store.document_chunks(doc_id)

    def relevant_chunk_ids(self, question: Question) -> set[str]:
        found = set()
        for relevant in question.relevant:
            doc_id = self._by_source.get(relevant.doc)
            if doc_id is None:
                continue
            self._load(doc_id)
            found |= {
                c.chunk_id
                for c in self._chunks[doc_id]
                if is_relevant(c, self._texts[doc_id], relevant.quote)
            }
        return found


def _ndcg(ranked_relevance: list[bool], relevant_count: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, rel in enumerate(ranked_relevance) if rel)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(relevant_count, CUTOFF)))
    return dcg / ideal if ideal else 0.0


def quote_share(answer: str, quote: str) -> float:
    """The share of the quote's words that the answer text carries."""
    wanted = _words(quote)
    if not wanted:
        return 0.0
    present = set(_words(answer))
    return sum(w in present for w in wanted) / len(wanted)


def is_hit(asked: Asked, question: Question, relevant_ids: set[str], share: float) -> bool:
    if not asked.answer.found:
        return False
    if not any(hit.chunk.chunk_id in relevant_ids for _, hit in asked.answer.citations):
        return False
    return any(quote_share(asked.answer.text, r.quote) >= share for r in question.relevant)


def _timed_ask(searcher: Searcher, question: Question, timings: list[float]) -> Asked:
    started = time.perf_counter()
    asked = ask(searcher, question.question, question.history)
    timings.append((time.perf_counter() - started) * 1000)
    return asked


def evaluate(
    searcher: Searcher,
    questions: list[Question],
    modes: tuple[Mode, ...] = (Mode.DENSE, Mode.LEXICAL, Mode.HYBRID),
    hit_share: float = HIT_QUOTE_SHARE,
) -> EvalReport:
    """`hit_share` is the share of a quote's words an answer must carry to hit; 1.0 asks for
    every word, as for NorQuAD's short answer spans."""
    judge = RelevanceJudge(searcher)
    answerable = [(q, judge.relevant_chunk_ids(q)) for q in questions if q.relevant]
    report = EvalReport(missing_quotes=[q.id for q, ids in answerable if not ids])
    # Searched as `ask` searches them: spelling corrected, follow-ups made self-contained.
    searched_questions = [searched_question(searcher, q.question, q.history) for q, _ in answerable]
    for mode in modes:
        firsts, ndcgs, timings = [], [], []
        for (_, relevant_ids), searched in zip(answerable, searched_questions, strict=True):
            started = time.perf_counter()
            hits = searcher.search(searched, k=CUTOFF, mode=mode)
            timings.append((time.perf_counter() - started) * 1000)
            flags = [h.chunk.chunk_id in relevant_ids for h in hits]
            firsts.append(flags.index(True) + 1 if True in flags else None)
            ndcgs.append(_ndcg(flags, len(relevant_ids)))
        count = len(answerable) or 1
        report.modes.append(
            ModeScores(
                mode=mode.value,
                questions=len(answerable),
                recall_at_1=sum(1 for f in firsts if f == 1) / count,
                recall_at_5=sum(1 for f in firsts if f and f <= 5) / count,
                recall_at_10=sum(1 for f in firsts if f) / count,
                mrr_at_10=sum(1 / f for f in firsts if f) / count,
                ndcg_at_10=sum(ndcgs) / count,
                median_ms=statistics.median(timings) if timings else 0.0,
            )
        )
    timings: list[float] = []
    unanswerable = [q for q in questions if not q.relevant]
    report.unanswerable = len(unanswerable)
    if unanswerable:
        report.declined = sum(
            not _timed_ask(searcher, q, timings).answer.found for q in unanswerable
        ) / len(unanswerable)
    if answerable:
        answered = 0
        for question, relevant_ids in answerable:
            asked = _timed_ask(searcher, question, timings)
            answered += asked.answer.found
            if not is_hit(asked, question, relevant_ids, hit_share):
                report.misses.append(question.id)
        report.answered = answered / len(answerable)
        report.hit = 1 - len(report.misses) / len(answerable)
    report.ask_median_ms = statistics.median(timings) if timings else None
    return report


def report_json(report: EvalReport) -> str:
    return json.dumps(asdict(report), indent=1, ensure_ascii=False)


def report_table(report: EvalReport) -> str:
    lines = [
        "| modus | spørsmål | recall@1 | recall@5 | recall@10 | MRR@10 | nDCG@10 | median ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in report.modes:
        lines.append(
            f"| {m.mode} | {m.questions} | {m.recall_at_1:.3f} | {m.recall_at_5:.3f} | "
            f"{m.recall_at_10:.3f} | {m.mrr_at_10:.3f} | {m.ndcg_at_10:.3f} | {m.median_ms:.1f} |"
        )
    if report.declined is not None:
        lines.append(
            f"\nUbesvarbare spørsmål avvist: {report.declined:.1%} av {report.unanswerable}"
        )
    if report.answered is not None and report.hit is not None:
        lines.append(f"Besvarbare spørsmål besvart: {report.answered:.1%}")
        lines.append(
            f"Treff (svaret siterer det relevante avsnittet): {report.hit:.1%}"
            + (f"; bommet: {', '.join(report.misses[:20])}" if report.misses else "")
        )
    if report.ask_median_ms is not None:
        lines.append(f"Median svartid for spørsmål (ask): {report.ask_median_ms:.1f} ms")
    if report.missing_quotes:
        lines.append(
            f"Advarsel: fant ikke sitatet i noen tekstbit for {len(report.missing_quotes)} "
            f"spørsmål: {', '.join(report.missing_quotes[:10])}"
        )
    return "\n".join(lines)

"""`refark eval`: retrieval metrics per search mode on a JSON Lines question file, and how
well the answer policy declines questions the corpus cannot answer."""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.search import Hit, Mode, Searcher
from ingest.models import Chunk
from service.answer import ASK_HITS, Evidence, EvidencePolicy, evidence_of

CUTOFF = 10


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
    missing_quotes: list[str] = field(default_factory=list)


def read_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            relevant = tuple(Relevant(r["doc"], r["quote"]) for r in data.get("relevant", []))
            questions.append(Question(str(data["id"]), data["question"], relevant))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
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


def _evidence(searcher: Searcher, question: str, hits: list[Hit] | None = None) -> Evidence:
    """The evidence `ask` would weigh: from the hybrid hits if the caller already has them."""
    hits = hits if hits is not None else searcher.search(question, k=ASK_HITS)
    return evidence_of(question, hits[:ASK_HITS], searcher.term_weights(question))


def evaluate(
    searcher: Searcher,
    questions: list[Question],
    modes: tuple[Mode, ...] = (Mode.DENSE, Mode.LEXICAL, Mode.HYBRID),
    policy: EvidencePolicy | None = None,
) -> EvalReport:
    policy = policy or EvidencePolicy()
    judge = RelevanceJudge(searcher)
    answerable = [(q, judge.relevant_chunk_ids(q)) for q in questions if q.relevant]
    report = EvalReport(missing_quotes=[q.id for q, ids in answerable if not ids])
    # Reused for the answer rate, since `ask` ranks the same way; by position, as question ids
    # need not be unique.
    hybrid_hits: list[list[Hit] | None] = [None] * len(answerable)
    for mode in modes:
        firsts, ndcgs, timings = [], [], []
        for position, (question, relevant_ids) in enumerate(answerable):
            started = time.perf_counter()
            hits = searcher.search(question.question, k=CUTOFF, mode=mode)
            timings.append((time.perf_counter() - started) * 1000)
            if mode is Mode.HYBRID:
                hybrid_hits[position] = hits
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
    unanswerable = [q for q in questions if not q.relevant]
    report.unanswerable = len(unanswerable)
    if unanswerable:
        report.declined = sum(
            not policy.admits(_evidence(searcher, q.question)) for q in unanswerable
        ) / len(unanswerable)
    if answerable:
        report.answered = sum(
            policy.admits(_evidence(searcher, q.question, hits))
            for (q, _), hits in zip(answerable, hybrid_hits, strict=True)
        ) / len(answerable)
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
    if report.answered is not None:
        lines.append(f"Besvarbare spørsmål besvart: {report.answered:.1%}")
    if report.missing_quotes:
        lines.append(
            f"Advarsel: fant ikke sitatet i noen tekstbit for {len(report.missing_quotes)} "
            f"spørsmål: {', '.join(report.missing_quotes[:10])}"
        )
    return "\n".join(lines)

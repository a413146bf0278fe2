"""The HTTP presenter: the core's search and ask results as the JSON of the public API (which
`refark search --json` and `refark ask --json` print too), with absolute links."""

from __future__ import annotations

from index.highlight import highlight_spans
from index.search import Hit
from ingest.models import Table
from service.asking import Asked
from service.links import hit_url
from service.schemas import AskResponse, Citation, SearchResponse, SearchResult, TableData
from service.searching import Searched


def search_result(hit: Hit, query: str, base_url: str) -> SearchResult:
    meta = hit.document.meta
    return SearchResult(
        rank=hit.rank,
        score=round(hit.ranking_score, 4),
        chunk_id=hit.chunk.chunk_id,
        doc_id=hit.document.doc_id,
        title=meta.title,
        source=hit.document.source,
        doc_type=meta.doc_type,
        publisher=meta.publisher,
        date=meta.date,
        page=hit.chunk.page,
        section=hit.chunk.section,
        text=hit.chunk.text,
        url=hit_url(base_url, hit),
        highlights=highlight_spans(hit.chunk.text, query),
        best_sentence=max(hit.sentences, key=lambda s: s[2])[:2] if hit.sentences else None,
        table=_table_data(hit.chunk.table),
    )


def _table_data(table: Table | None) -> TableData | None:
    if table is None:
        return None
    return TableData(header=list(table.header), rows=[list(row) for row in table.rows])


def _milliseconds(seconds: float) -> float:
    return round(seconds * 1000, 1)


def search_response(searched: Searched, base_url: str) -> SearchResponse:
    return SearchResponse(
        query=searched.query,
        mode=searched.mode.value,
        results=[search_result(h, searched.searched, base_url) for h in searched.hits],
        took_ms=_milliseconds(searched.seconds),
        corrected_query=searched.searched if searched.searched != searched.query else None,
        notices=list(searched.notices),
        no_match=searched.no_match,
        suggestions=list(searched.suggestions),
    )


def ask_response(asked: Asked, base_url: str) -> AskResponse:
    citations = [
        Citation(n=n, **search_result(hit, asked.question, base_url).model_dump())
        for n, hit in asked.answer.citations
    ]
    return AskResponse(
        question=asked.typed,
        answer=asked.answer.text,
        found=asked.answer.found,
        citations=citations,
        mode="extractive",
        took_ms=_milliseconds(asked.seconds),
        corrected_query=asked.question if asked.question != asked.typed else None,
        notices=list(asked.notices),
    )

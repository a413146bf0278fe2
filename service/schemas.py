"""Response and request shapes of the public API (the CLI's --json prints the same)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

MAX_QUERY_CHARS = 2000


class SearchResult(BaseModel):
    rank: int
    score: float
    chunk_id: str
    doc_id: str
    title: str
    source: str = Field(description="Path relative to the corpus root.")
    doc_type: str
    publisher: str
    date: str
    page: int | None
    section: str
    text: str
    url: str = Field(description="Opens the source at this page (PDF) or section.")
    highlights: list[tuple[int, int]] = Field(
        description="Character spans in `text` that match the query's words."
    )
    best_sentence: tuple[int, int] | None = Field(
        None,
        description="Character span in `text` of the sentence closest in meaning to the query.",
    )


class SearchResponse(BaseModel):
    query: str
    mode: str
    took_ms: float
    results: list[SearchResult]


class Citation(SearchResult):
    n: int


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_QUERY_CHARS * 4)


class AskFilters(BaseModel):
    type: list[str] = Field(default_factory=list, description="Document types to search in.")
    publisher: list[str] = Field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    history: list[Turn] = Field(default_factory=list, max_length=20)
    filters: AskFilters = Field(default_factory=AskFilters)


class AskResponse(BaseModel):
    question: str
    answer: str
    found: bool = Field(description="False when the evidence was too weak to answer.")
    citations: list[Citation]
    mode: Literal["extractive", "llm"]
    took_ms: float


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    source: str
    doc_type: str
    publisher: str
    date: str
    language: str
    file_format: str
    page_count: int | None
    chunk_count: int
    url: str
    file_url: str


class DocumentSection(BaseModel):
    section: str
    anchor: str
    page: int | None
    text: str


class DocumentDetail(DocumentSummary):
    sections: list[DocumentSection]

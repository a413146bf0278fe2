"""Response and request shapes of the public API (the CLI's --json prints the same)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from index.ingest_log import IngestRecord
from service.experiences import MAX_REASON_CHARS
from service.feedback import Channel, Vote

MAX_QUERY_CHARS = 2000
MIN_YEAR, MAX_YEAR = 1900, 2100
# Published as the `pattern` of the query and the question: the routes refuse text that
# `str.strip()` empties, so the schema must not call it valid. The characters are spelled out
# because `\s` differs between Python, JavaScript and other regex engines.
NOT_BLANK = r"[^\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def _json_integer(value: object) -> object:
    """JSON Schema's integer, which pydantic's lax int is wider than: 2024 and 2024.0 pass, but
    `true` or `"2024"` are refused rather than read as 1 or 2024."""
    if isinstance(value, bool | str):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


# Field before the validator: after it, pydantic publishes the bounds as `ge`/`le`, which JSON
# Schema does not know, instead of `minimum`/`maximum`.
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR), BeforeValidator(_json_integer)]


class ErrorResponse(BaseModel):
    """The body of every error answer, whichever layer refuses: router, validation handler or
    the body and rate guards."""

    detail: str = Field(description="Hva som gikk galt, på norsk.")


# Every error status the service answers with, documented once; each router picks the ones its
# operations can give, so the published schema names every status a client may see.
ERROR_RESPONSES: dict[int, dict[str, Any]] = {
    400: {
        "model": ErrorResponse,
        "description": "Kroppen kan ikke leses (for eksempel ikke UTF-8).",
    },
    401: {
        "model": ErrorResponse,
        "description": "Mangler eller feil administrasjonsnøkkel.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    403: {"model": ErrorResponse, "description": "Administrasjon er slått av."},
    404: {"model": ErrorResponse, "description": "Fant ikke dokumentet eller originalfilen."},
    409: {"model": ErrorResponse, "description": "En innlesing pågår allerede."},
    413: {"model": ErrorResponse, "description": "Forespørselen er for stor."},
    415: {"model": ErrorResponse, "description": "Filtypen støttes ikke."},
    422: {"model": ErrorResponse, "description": "Ugyldig forespørsel."},
    429: {
        "model": ErrorResponse,
        "description": "For mange forespørsler fra samme klient.",
        "headers": {
            "Retry-After": {
                "description": "Sekunder til neste forespørsel kan sendes.",
                "schema": {"type": "integer"},
            }
        },
    },
    500: {"model": ErrorResponse, "description": "Uventet feil i Refark (feilen er logget)."},
    503: {"model": ErrorResponse, "description": "Ingen indeks kan svare ennå."},
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a router or route: the given statuses from ERROR_RESPONSES."""
    return {status: ERROR_RESPONSES[status] for status in statuses}


class TableData(BaseModel):
    header: list[str] = Field(description="Column headers (the table's first row).")
    rows: list[list[str]] = Field(description="The rows the passage holds, cell by cell.")


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
    table: TableData | None = Field(
        None,
        description="The table rows the passage holds, with the table's column headers (also "
        "when `text` starts after the header line); null when the passage holds no table.",
    )


CorrectedQuery = Annotated[
    str | None,
    Field(
        description="The text actually searched, when it differs from the one sent: misspelled "
        "words replaced by words the index knows, and for ask a follow-up question made "
        "self-contained from the history; null when nothing was changed."
    ),
]


Notices = Annotated[
    list[str],
    Field(
        description="Why the filters may match nothing, in Norwegian: a type or publisher no "
        "document has (it is kept, so it matches nothing), or years the wrong way round."
    ),
]


class SearchResponse(BaseModel):
    query: str
    mode: str
    took_ms: float
    results: list[SearchResult]
    corrected_query: CorrectedQuery = None
    notices: Notices = []
    no_match: bool = Field(
        False,
        description="True when nothing in the index resembles the query (no word of it occurs "
        "in the corpus and no passage is close in meaning); `results` is then empty.",
    )
    suggestions: list[str] = Field(
        default_factory=list, description="Glossary terms to search for instead, when no_match."
    )


class Citation(SearchResult):
    n: int


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_QUERY_CHARS * 4)


class AskFilters(BaseModel):
    type: list[str] = Field(default_factory=list, description="Document types to search in.")
    publisher: list[str] = Field(default_factory=list)
    year_from: Year | None = None
    year_to: Year | None = None


class AskRequest(BaseModel):
    question: str = Field(
        min_length=1, max_length=MAX_QUERY_CHARS, json_schema_extra={"pattern": NOT_BLANK}
    )
    history: list[Turn] = Field(default_factory=list, max_length=20)
    filters: AskFilters = Field(default_factory=AskFilters)


class AskResponse(BaseModel):
    question: str
    answer: str
    found: bool = Field(description="False when the evidence was too weak to answer.")
    citations: list[Citation]
    mode: Literal["extractive", "llm"]
    took_ms: float
    corrected_query: CorrectedQuery = None
    notices: Notices = []


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


MAX_ANSWER_CHARS = 20_000
MAX_FEEDBACK_CHUNKS = 50
MAX_CHUNK_ID_CHARS = 200
MAX_COMMENT_CHARS = 2000
MAX_SOURCE_DOC_CHARS = 1000
MAX_SOURCE_QUOTE_CHARS = 5000


class FeedbackRequest(BaseModel):
    """A vote on an answer, from the web page or the Slack app."""

    question: str = Field(
        min_length=1, max_length=MAX_QUERY_CHARS, json_schema_extra={"pattern": NOT_BLANK}
    )
    answer: str = Field(max_length=MAX_ANSWER_CHARS)
    chunk_ids: list[Annotated[str, Field(max_length=MAX_CHUNK_ID_CHARS)]] = Field(
        max_length=MAX_FEEDBACK_CHUNKS, description="The chunks the answer cited, in order."
    )
    vote: Vote
    comment: str | None = Field(None, max_length=MAX_COMMENT_CHARS)
    channel: Channel


class FeedbackCreated(BaseModel):
    id: int


class FeedbackSource(BaseModel):
    """A passage that would have answered the question, as in the eval file's `relevant`."""

    doc: str = Field(
        min_length=1,
        max_length=MAX_SOURCE_DOC_CHARS,
        json_schema_extra={"pattern": NOT_BLANK},
        description="The document's path relative to the corpus root.",
    )
    quote: str = Field(
        min_length=1,
        max_length=MAX_SOURCE_QUOTE_CHARS,
        json_schema_extra={"pattern": NOT_BLANK},
        description="Exact text from the document.",
    )


class FeedbackEntry(BaseModel):
    id: int
    created_at: str = Field(description="ISO 8601, UTC.")
    question: str
    answer: str
    chunk_ids: list[str]
    vote: Vote
    channel: Channel
    comment: str | None
    user_hash: str | None = Field(description="A hash of the Slack user id; null on the web.")
    place: str | None = Field(description="The Slack channel id; null on the web.")
    sources: list[FeedbackSource] = Field(description="The right sources a maintainer marked.")


class FacetValue(BaseModel):
    value: str = Field(description="What a filter takes (`type=`, `publisher=`).")
    label: str = Field(description="What a user sees.")
    count: int = Field(description="Documents with this value.")


class Facets(BaseModel):
    types: list[FacetValue] = Field(description="Every document type, in the order offered.")
    publishers: list[FacetValue] = Field(description="Publishers, most documents first.")
    year_min: int | None = Field(description="The oldest document's year (null: no dates).")
    year_max: int | None


class GenerationInfo(BaseModel):
    name: str = Field(description="The generation's directory, e.g. `gen-3`.")
    number: int
    created: str = Field(description="When it was built; ISO 8601, UTC.")


class AdminStatus(BaseModel):
    generation: GenerationInfo | None = Field(description="The generation serving; null: none.")
    unavailable: str | None = Field(description="Why no generation serves; null when one does.")
    model: str = Field(description="The embedding model loaded.")
    documents: int = Field(description="Documents in the generation serving (0 without one).")
    chunks: int = Field(description="Chunks in the generation serving (0 without one).")
    ingest_running: bool = Field(description="An ingest started by this server is running.")
    ingests: list[IngestRecord] = Field(
        description="The last ingests, newest first (also those run with `refark ingest`)."
    )


class ExperienceReceipt(BaseModel):
    id: str = Field(description="The submission's id: the submitter's receipt.")
    status: Literal["pending"] = Field(description="Waits for review; not searchable yet.")


class ExperienceEntry(BaseModel):
    id: str
    status: Literal["pending", "approved", "rejected"]
    municipality: str
    contact: str
    topic: str
    date: str = Field(description="The report's date, YYYY-MM-DD.")
    filename: str = Field(description="The uploaded file's name, made safe.")
    size: int = Field(description="Bytes.")
    submitted_at: str = Field(description="ISO 8601, UTC.")
    reason: str | None = Field(description="Why it was rejected.")
    source: str | None = Field(description="Where approval filed it, relative to the corpus.")


class ExperienceApproved(BaseModel):
    id: str
    status: Literal["approved"]
    source: str = Field(description="The report's path relative to the corpus root.")
    ingest: Literal["started", "queued"] = Field(
        description="started: a re-ingest began; queued: it follows the ingest already running. "
        "Either way the report is searchable once it is done."
    )


class ExperienceRejection(BaseModel):
    reason: str = Field(
        min_length=1,
        max_length=MAX_REASON_CHARS,
        json_schema_extra={"pattern": NOT_BLANK},
        description="Why the report is not published (kept with the record).",
    )


class ExperienceRejected(BaseModel):
    id: str
    status: Literal["rejected"]

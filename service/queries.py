"""What every front end (HTTP, CLI, Slack) checks before it searches: the query text and the
document filters, parsed one way."""

from __future__ import annotations

from index.search import Filters
from service.schemas import MAX_QUERY_CHARS, AskFilters


class InvalidQuery(ValueError):
    """A query or question that cannot be searched; the message says why, in Norwegian."""


def checked_query(text: str, empty_message: str = "Spørringen er tom.") -> str:
    """The text to search, stripped; InvalidQuery when it is blank or too long."""
    if not text.strip():
        raise InvalidQuery(empty_message)
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"Spørringen er for lang (over {MAX_QUERY_CHARS} tegn).")
    return text.strip()


def parse_filters(filters: AskFilters) -> Filters:
    return Filters(
        doc_types=tuple(filters.type),
        publishers=tuple(filters.publisher),
        year_from=filters.year_from,
        year_to=filters.year_to,
    )

"""What every front end (HTTP, CLI, Slack) checks before it searches: the query text and the
document filters, parsed and matched to the catalog one way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from index.search import Filters
from ingest.models import DOC_TYPE_LABELS, Document
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


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _listed(values: Iterable[str]) -> str:
    return ", ".join(f"«{v}»" for v in sorted(values))


def resolve_doc_type(value: str) -> str | None:
    """A document type by its key or its label, in any case ("Erfaringsrapport" is
    "erfaringsrapport"); None when it names no type."""
    for key, label in DOC_TYPE_LABELS.items():
        if _fold(value) in (key, _fold(label)):
            return key
    return None


def resolve_publishers(value: str, publishers: Iterable[str]) -> tuple[str, ...]:
    """The catalog's publishers a filter value names: the whole name in any case, or else its
    first words ("KS" names "KS (illustrativt eksempel)")."""
    known = sorted(set(publishers))
    wanted = _fold(value)
    exact = tuple(p for p in known if _fold(p) == wanted)
    return exact or tuple(p for p in known if _fold(p).startswith(wanted + " "))


@dataclass(frozen=True)
class ResolvedFilters:
    filters: Filters
    # Why the filters can match nothing, in Norwegian, for the asker: a value that names no
    # type or publisher, or years the wrong way round. Such a search answers with no passages
    # and says why, rather than with an error for a request the API's schema allows.
    notices: tuple[str, ...] = ()


def resolve_filters(filters: Filters, documents: Iterable[Document]) -> ResolvedFilters:
    """The filters with their values as the catalog spells them, so that a label, another case
    or a short publisher name finds what it names. Blank values are no filter; a value that
    names nothing stays as written (it matches nothing) and gets a notice."""
    notices = []
    doc_types = []
    for value in (v for v in filters.doc_types if v.strip()):
        key = resolve_doc_type(value)
        if key is None:
            notices.append(
                f"Ukjent dokumenttype «{value}». Kjente typer: {_listed(DOC_TYPE_LABELS)}."
            )
        doc_types.append(key or value)
    publishers = []
    wanted = [v for v in filters.publishers if v.strip()]
    # the catalog is only read for a publisher filter: a plain query costs nothing per document
    catalog_publishers = (
        {d.meta.publisher for d in documents if d.meta.publisher} if wanted else set()
    )
    for value in wanted:
        named = resolve_publishers(value, catalog_publishers)
        if not named:
            notices.append(
                f"Ingen dokumenter fra utgiveren «{value}». "
                f"Utgivere: {_listed(catalog_publishers)}."
            )
        publishers.extend(named or (value,))
    years = filters.year_from, filters.year_to
    if None not in years and years[0] > years[1]:  # type: ignore[operator]
        notices.append(f"Fra-året ({years[0]}) er etter til-året ({years[1]}).")
    resolved = replace(
        filters,
        doc_types=tuple(dict.fromkeys(doc_types)),
        publishers=tuple(dict.fromkeys(publishers)),
    )
    return ResolvedFilters(resolved, tuple(notices))

"""Filter values as users write them are matched to the catalog: a label, another case or a
short publisher name finds what it names, and a value that names nothing says so."""

from __future__ import annotations

import pytest

from index.search import Filters
from ingest.models import Document, DocumentMeta
from service.queries import ResolvedFilters, resolve_filters


def document(publisher: str, doc_type: str = "standard") -> Document:
    meta = DocumentMeta(title="T", doc_type=doc_type, publisher=publisher, date="2024-01-01")
    return Document(
        doc_id=publisher, source="a.md", file_format="markdown", meta=meta, blocks=[], file_hash=""
    )


CATALOG = [
    document("KS (illustrativt eksempel)"),
    document("Fjordvik kommune (fiktiv)", "erfaringsrapport"),
    document("Norsk helsenett"),
]


@pytest.mark.parametrize("written", ["erfaringsrapport", "Erfaringsrapport", "ERFARINGSRAPPORT "])
def test_a_document_type_is_found_by_its_key_or_label_in_any_case(written: str):
    resolved = resolve_filters(Filters(doc_types=(written,)), CATALOG)
    assert resolved.filters.doc_types == ("erfaringsrapport",) and resolved.notices == ()


@pytest.mark.parametrize(
    ("written", "publishers"),
    [
        ("norsk HELSENETT", ("Norsk helsenett",)),
        ("KS", ("KS (illustrativt eksempel)",)),
        ("fjordvik kommune", ("Fjordvik kommune (fiktiv)",)),
    ],
)
def test_a_publisher_is_found_by_its_name_in_any_case_or_its_first_words(written, publishers):
    resolved = resolve_filters(Filters(publishers=(written,)), CATALOG)
    assert resolved.filters.publishers == publishers and resolved.notices == ()


def test_a_value_that_names_nothing_still_matches_nothing_and_says_why():
    resolved = resolve_filters(Filters(doc_types=("rapport",), publishers=("Helse",)), CATALOG)
    assert resolved.filters == Filters(doc_types=("rapport",), publishers=("Helse",))
    assert resolved.notices[0].startswith("Ukjent dokumenttype «rapport». Kjente typer: «annet»")
    assert resolved.notices[1].startswith("Ingen dokumenter fra utgiveren «Helse». Utgivere:")
    assert "«Norsk helsenett»" in resolved.notices[1]


def test_years_the_wrong_way_round_are_noticed():
    resolved = resolve_filters(Filters(year_from=2024, year_to=2020), CATALOG)
    assert resolved.notices == ("Fra-året (2024) er etter til-året (2020).",)


def test_blank_values_are_no_filter_and_other_filters_pass_unchanged():
    assert (
        resolve_filters(Filters(doc_types=("",), publishers=(" ",)), CATALOG).filters == Filters()
    )
    filters = Filters(year_from=2020)
    assert resolve_filters(filters, CATALOG) == ResolvedFilters(filters)

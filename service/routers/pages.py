"""The documents list (/dokumenter): every document of the current generation in the shared
page frame, narrowed to one type with `?type=` the way the search filters read a type."""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from index.generation import IndexMissing
from index.search import Filters
from index.store import CatalogEntry
from ingest.models import DOC_TYPE_LABELS
from service.dependencies import get_engine
from service.engine import Engine
from service.links import document_url
from service.pages import (
    counted,
    date_html,
    link_list,
    long_time,
    render,
    type_badge,
    type_label,
    unavailable,
)
from service.queries import resolve_filters

PATH = "/dokumenter"

# A page for people, not part of the API (like the search page at /).
router = APIRouter(include_in_schema=False)


def _type_links(catalog: list[CatalogEntry], chosen: tuple[str, ...]) -> str:
    """'Alle' and every type some document has, with counts; the one shown is marked."""
    counts = Counter(entry.document.meta.doc_type for entry in catalog)
    choices = [(PATH, f"Alle ({len(catalog)})", not chosen)]
    choices += [
        (f"{PATH}?type={key}", f"{type_label(key)} ({counts[key]})", chosen == (key,))
        for key in DOC_TYPE_LABELS
        if counts[key]
    ]
    return f'<nav class="type-links" aria-label="Dokumenttype">{link_list(choices)}</nav>'


def _row(entry: CatalogEntry) -> str:
    document, meta = entry.document, entry.document.meta
    pages = str(document.page_count) if document.page_count else "–"
    return (
        f'<tr><th scope="row"><a href="{escape(document_url("", document.doc_id))}">'
        f"{escape(meta.title)}</a></th>"
        f"<td>{type_badge(meta.doc_type)}</td><td>{escape(meta.publisher)}</td>"
        f'<td class="date">{date_html(meta.date)}</td>'
        f'<td class="number">{pages}</td><td class="number">{entry.chunk_count}</td></tr>'
    )


def _table(entries: list[CatalogEntry]) -> str:
    rows = "\n".join(_row(entry) for entry in entries)
    return f"""<div class="table-scroll" role="region" aria-labelledby="dokumentliste" tabindex="0">
<table class="document-table">
<caption id="dokumentliste" class="visually-hidden">Dokumentene i Refark</caption>
<thead><tr><th scope="col">Tittel</th><th scope="col">Type</th><th scope="col">Utgiver</th>
<th scope="col">Dato</th><th scope="col" class="number">Sider</th>
<th scope="col" class="number">Avsnitt</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</div>"""


@router.get(PATH)
def documents_page(
    engine: Annotated[Engine, Depends(get_engine)],
    doc_type: Annotated[str, Query(alias="type")] = "",
) -> HTMLResponse:
    try:
        searcher = engine.searcher()
    except IndexMissing as error:
        return unavailable(error, current=PATH)
    catalog = searcher.store.catalog()
    # The search filters' reading of a type: key or label in any case, blank is no filter, and
    # a value naming no type matches nothing and says why.
    resolved = resolve_filters(Filters(doc_types=(doc_type,)), (e.document for e in catalog))
    chosen = resolved.filters.doc_types
    shown = sorted(
        (e for e in catalog if resolved.filters.admits(e.document)),
        key=lambda e: e.document.meta.title.casefold(),
    )
    count = counted(len(shown), "dokument", "dokumenter")
    if chosen and not resolved.notices:
        count += f" av typen {type_label(chosen[0])}"
    notices = "".join(f'<p class="notice">{escape(notice)}</p>' for notice in resolved.notices)
    main = f"""<h1>Dokumenter</h1>
<p class="lead">Alle dokumentene Refark søker i. Velg en tittel for å lese dokumentet.</p>
{_type_links(catalog, chosen)}
{notices}
<p class="count">{escape(count)}</p>
{_table(shown) if shown else ""}
<p class="hint">Lest inn {escape(long_time(searcher.manifest.created))}.</p>"""
    return HTMLResponse(render("Dokumenter", main, current=PATH, body_class="documents"))

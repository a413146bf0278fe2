"""The document catalog, a reading view with section anchors, and the original files."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

from index.generation import IndexMissing
from index.search import Searcher
from ingest.models import HEADING_SEPARATOR, Document, section_anchor
from service.dependencies import get_app_settings, get_engine
from service.engine import Engine
from service.links import document_url, file_url
from service.pages import HTML_CONTENT, counted, date_html, render, type_badge, unavailable
from service.schemas import DocumentDetail, DocumentSection, DocumentSummary, error_responses
from service.settings import Settings
from service.table_html import table_html

router = APIRouter(tags=["dokumenter"], responses=error_responses(500, 503))
# Errors of the operations on one document; 429 is added only under /api/, where the rate
# limit applies.
_ONE_DOCUMENT_ERRORS = error_responses(404, 422)

_MEDIA_TYPES = {
    "pdf": "application/pdf",
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "text": "text/plain; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_FILE_CONTENT = {
    media_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
    for media_type in _MEDIA_TYPES.values()
}


def _summary(document: Document, chunk_count: int, base_url: str) -> DocumentSummary:
    meta = document.meta
    return DocumentSummary(
        doc_id=document.doc_id,
        title=meta.title,
        source=document.source,
        doc_type=meta.doc_type,
        publisher=meta.publisher,
        date=meta.date,
        language=meta.language,
        file_format=document.file_format,
        page_count=document.page_count,
        chunk_count=chunk_count,
        url=document_url(base_url, document.doc_id),
        file_url=file_url(base_url, document.doc_id),
    )


def _document(searcher: Searcher, doc_id: str) -> Document:
    document = searcher.store.document(doc_id)
    if document is None:
        raise HTTPException(status_code=404, detail=f"Fant ikke dokumentet {doc_id}.")
    return document


def _sections(document: Document) -> list[DocumentSection]:
    sections: list[DocumentSection] = []
    for block in document.blocks:
        if block.is_heading:
            sections.append(
                DocumentSection(
                    section=HEADING_SEPARATOR.join(block.headings),
                    anchor=section_anchor(block.headings),
                    page=block.page,
                    text="",
                )
            )
        elif sections and sections[-1].section == HEADING_SEPARATOR.join(block.headings):
            sections[-1].text += ("\n\n" if sections[-1].text else "") + block.text
        else:
            sections.append(
                DocumentSection(
                    section=HEADING_SEPARATOR.join(block.headings),
                    anchor=section_anchor(block.headings),
                    page=block.page,
                    text=block.text,
                )
            )
    return sections


@router.get("/api/documents", response_model=list[DocumentSummary], responses=error_responses(429))
def list_documents(engine: Annotated[Engine, Depends(get_engine)]) -> list[DocumentSummary]:
    base = engine.settings.base_url
    return [_summary(e.document, e.chunk_count, base) for e in engine.searcher().store.catalog()]


@router.get(
    "/api/documents/{doc_id}",
    response_model=DocumentDetail,
    responses={**_ONE_DOCUMENT_ERRORS, **error_responses(429)},
)
def get_document(doc_id: str, engine: Annotated[Engine, Depends(get_engine)]) -> DocumentDetail:
    searcher = engine.searcher()
    document = _document(searcher, doc_id)
    chunk_count = len(searcher.store.document_chunks(doc_id))
    summary = _summary(document, chunk_count, engine.settings.base_url)
    return DocumentDetail(**summary.model_dump(), sections=_sections(document))


@router.get(
    "/documents/{doc_id}/file",
    response_class=FileResponse,
    responses={
        200: {"description": "Originalfilen i sitt eget format.", "content": _FILE_CONTENT},
        **_ONE_DOCUMENT_ERRORS,
    },
)
def document_file(
    doc_id: str,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> FileResponse:
    searcher = engine.searcher()
    document = _document(searcher, doc_id)
    root = Path(searcher.manifest.corpus_dir).resolve()
    path = (root / document.source).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(status_code=404, detail="Originalfilen finnes ikke lenger.")
    disposition = "inline" if document.file_format in ("pdf", "text", "markdown") else "attachment"
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES[document.file_format],
        filename=path.name,
        content_disposition_type=disposition,
    )


# `response_class=Response` has no media type of its own, so FastAPI documents the errors as the
# JSON they are; with HTMLResponse it would list them as text/html. The page is declared here.
@router.get(
    "/documents/{doc_id}",
    response_class=Response,
    responses={
        200: {"description": "Lesevisningen.", "content": HTML_CONTENT},
        **_ONE_DOCUMENT_ERRORS,
        503: {"description": "Ingen indeks kan svare ennå (en side).", "content": HTML_CONTENT},
    },
)
def reading_view(doc_id: str, engine: Annotated[Engine, Depends(get_engine)]) -> HTMLResponse:
    """The extracted text with an anchor per section, so citations can link to a section."""
    try:
        searcher = engine.searcher()
    except IndexMissing as error:
        return unavailable(error)
    document = _document(searcher, doc_id)
    meta = document.meta
    parts = []
    for block in document.blocks:
        if block.is_heading:
            depth = min(len(block.headings) + 1, 6)
            anchor = section_anchor(block.headings)
            parts.append(f'<h{depth} id="{anchor}">{html.escape(block.text)}</h{depth}>')
        elif block.table:
            parts.append(table_html(block.table))
        else:
            lines = "<br>".join(html.escape(line) for line in block.text.split("\n"))
            parts.append(f"<p>{lines}</p>")
    body = "\n".join(parts)
    chunk_count = len(searcher.store.document_chunks(doc_id))
    facts = [
        type_badge(meta.doc_type),
        html.escape(meta.publisher),
        date_html(meta.date),
        counted(document.page_count, "side", "sider") if document.page_count else "",
        counted(chunk_count, "avsnitt", "avsnitt"),
    ]
    file_link = html.escape(file_url("", document.doc_id))
    main = f"""<nav class="breadcrumb" aria-label="Brødsmulesti"><a href="/">← Til søket</a></nav>
<article class="document">
<header class="document-head">
<h1>{html.escape(meta.title)}</h1>
<p class="facts">{" · ".join(fact for fact in facts if fact)}</p>
<p class="original"><a href="{file_link}">Åpne originalfilen</a>
<span class="source">{html.escape(document.source)}</span></p>
</header>
{_contents(document)}
<div class="document-body">
{body}
</div>
</article>"""
    return HTMLResponse(render(meta.title, main, body_class="reading"))


def _contents(document: Document) -> str:
    """The table of contents: a link to every heading's anchor, indented by its depth."""
    entries = "\n".join(
        f'<li class="toc-depth-{min(len(block.headings), 6)}">'
        f'<a href="#{section_anchor(block.headings)}">{html.escape(block.text)}</a></li>'
        for block in document.blocks
        if block.is_heading
    )
    if not entries:
        return ""
    return f"""<nav class="toc" aria-labelledby="innholdsfortegnelse">
<h2 id="innholdsfortegnelse">Innhold</h2>
<ol>
{entries}
</ol>
</nav>"""

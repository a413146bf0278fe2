"""The document catalog, a reading view with section anchors, and the original files."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

from index.search import Searcher
from ingest.models import HEADING_SEPARATOR, Document, section_anchor
from service.dependencies import get_app_settings, get_engine
from service.engine import Engine
from service.links import document_url, file_url
from service.schemas import DocumentDetail, DocumentSection, DocumentSummary, error_responses
from service.settings import Settings

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
        200: {
            "description": "Lesevisningen.",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        **_ONE_DOCUMENT_ERRORS,
    },
)
def reading_view(doc_id: str, engine: Annotated[Engine, Depends(get_engine)]) -> HTMLResponse:
    """The extracted text with an anchor per section, so citations can link to a section."""
    document = _document(engine.searcher(), doc_id)
    meta = document.meta
    parts = []
    for block in document.blocks:
        if block.is_heading:
            depth = min(len(block.headings) + 1, 6)
            anchor = section_anchor(block.headings)
            parts.append(f'<h{depth} id="{anchor}">{html.escape(block.text)}</h{depth}>')
        else:
            lines = "<br>".join(html.escape(line) for line in block.text.split("\n"))
            parts.append(f"<p>{lines}</p>")
    body = "\n".join(parts)
    facts = " · ".join(html.escape(x) for x in (meta.doc_type, meta.publisher, meta.date) if x)
    page = f"""<!doctype html>
<html lang="nb"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(meta.title)} – Refark</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/style.css"></head>
<body class="reading"><main>
<p><a href="/">← Til søket</a> · <a href="/documents/{doc_id}/file">Åpne originalfilen</a>
 ({html.escape(document.source)})</p>
<h1>{html.escape(meta.title)}</h1><p class="facts">{facts}</p>
{body}
</main></body></html>"""
    return HTMLResponse(page)

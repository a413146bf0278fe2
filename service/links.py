"""Absolute links into the web page, the base of every URL the service hands out (HTTP JSON,
Slack citations, "open in browser")."""

from __future__ import annotations

from urllib.parse import urlencode

from index.search import Hit
from ingest.models import section_anchor


def document_url(base_url: str, doc_id: str) -> str:
    return f"{base_url}/documents/{doc_id}"


def file_url(base_url: str, doc_id: str) -> str:
    return f"{base_url}/documents/{doc_id}/file"


def hit_url(base_url: str, hit: Hit) -> str:
    """PDFs open in the browser's viewer at the page; other formats in the reading view."""
    if hit.document.file_format == "pdf" and hit.chunk.page:
        return f"{file_url(base_url, hit.document.doc_id)}#page={hit.chunk.page}"
    anchor = section_anchor(hit.chunk.headings)
    suffix = f"#{anchor}" if anchor else ""
    return f"{document_url(base_url, hit.document.doc_id)}{suffix}"


def ask_url(base_url: str, question: str) -> str:
    """The web page asking the same question (its `?q=…&modus=spor` state)."""
    return f"{base_url}/?{urlencode({'q': question, 'modus': 'spor'})}"

"""Read one source file into a `Document`: extract, then resolve its metadata."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from ingest.discover import SourceFile
from ingest.extract import Extracted, ExtractionError
from ingest.extract.docx import extract_docx
from ingest.extract.html import extract_html
from ingest.extract.markdown import extract_markdown
from ingest.extract.pdf import extract_pdf
from ingest.extract.text import extract_text
from ingest.metadata import read_sidecar, resolve_meta
from ingest.models import Document

EXTRACTORS: dict[str, Callable[[Path], Extracted]] = {
    "pdf": extract_pdf,
    "markdown": extract_markdown,
    "html": extract_html,
    "docx": extract_docx,
    "text": extract_text,
}


def doc_id_for(source: str) -> str:
    """Readable and stable: the path as a slug, plus a short hash so two paths never collide."""
    slug = re.sub(r"[^a-z0-9]+", "-", source.lower()).strip("-")[:60]
    return f"{slug}-{hashlib.sha1(source.encode('utf-8')).hexdigest()[:6]}"


def load_document(file: SourceFile) -> Document:
    """Raises ExtractionError with a reason a maintainer can act on."""
    try:
        extracted = EXTRACTORS[file.file_format](file.path)
        sidecar = read_sidecar(file.path)
    except ExtractionError:
        raise
    except Exception as error:  # any parser bug must cost one file, not the whole ingest
        raise ExtractionError(
            f"uventet feil ved lesing: {type(error).__name__}: {error}"
        ) from error
    if not any(not block.is_heading for block in extracted.blocks):
        raise ExtractionError("fant ingen tekst i dokumentet")
    return Document(
        doc_id=doc_id_for(file.source),
        source=file.source,
        file_format=file.file_format,
        meta=resolve_meta(Path(file.source), extracted.meta, sidecar),
        blocks=extracted.blocks,
        file_hash=file.file_hash,
        page_count=extracted.page_count,
    )

"""Read one source file into a `Document`: extract, then resolve its metadata."""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable
from pathlib import Path

from ingest.discover import SourceFile, read_failure
from ingest.extract import Extracted, ExtractionError
from ingest.limits import DEFAULT_LIMITS, IngestLimits, grouped
from ingest.metadata import read_sidecar, resolve_meta
from ingest.models import BLOCK_SEPARATOR, Document

# Each format's extractor, imported when a file of that format is first read: pypdf,
# python-docx and BeautifulSoup took 0.24 s to import, which every server start paid although a
# server seldom ingests.
EXTRACTORS: dict[str, tuple[str, str]] = {
    "pdf": ("ingest.extract.pdf", "extract_pdf"),
    "markdown": ("ingest.extract.markdown", "extract_markdown"),
    "html": ("ingest.extract.html", "extract_html"),
    "docx": ("ingest.extract.docx", "extract_docx"),
    "text": ("ingest.extract.text", "extract_text"),
}


def extractor(file_format: str) -> Callable[[Path, IngestLimits], Extracted]:
    module, function = EXTRACTORS[file_format]
    return getattr(importlib.import_module(module), function)


def doc_id_for(source: str) -> str:
    """Readable and stable: the path as a slug, plus a short hash so two paths never collide."""
    slug = re.sub(r"[^a-z0-9]+", "-", source.lower()).strip("-")[:60]
    return f"{slug}-{hashlib.sha1(source.encode('utf-8')).hexdigest()[:6]}"


def _text_length(extracted: Extracted) -> int:
    blocks = extracted.blocks
    return sum(len(block.text) for block in blocks) + len(BLOCK_SEPARATOR) * (len(blocks) - 1)


def load_document(file: SourceFile, limits: IngestLimits = DEFAULT_LIMITS) -> Document:
    """Raises ExtractionError with a reason a maintainer can act on."""
    try:
        extracted = extractor(file.file_format)(file.path, limits)
        sidecar = read_sidecar(file.path, limits)
    except ExtractionError:
        raise
    except OSError as error:  # e.g. deleted between discovery and reading
        raise ExtractionError(read_failure(error)) from error
    except Exception as error:  # any parser bug must cost one file, not the whole ingest
        raise ExtractionError(
            f"uventet feil ved lesing: {type(error).__name__}: {error}"
        ) from error
    if not any(not block.is_heading for block in extracted.blocks):
        raise ExtractionError("fant ingen tekst i dokumentet")
    if (length := _text_length(extracted)) > limits.max_document_chars:
        raise ExtractionError(
            f"teksten er {grouped(length)} tegn, over grensen på "
            f"{grouped(limits.max_document_chars)} tegn"
        )
    return Document(
        doc_id=doc_id_for(file.source),
        source=file.source,
        file_format=file.file_format,
        meta=resolve_meta(Path(file.source), extracted.meta, sidecar, limits),
        blocks=extracted.blocks,
        file_hash=file.file_hash,
        page_count=extracted.page_count,
    )

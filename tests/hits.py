"""Search hits made by hand, for tests of what is done with them (answers, reranking)."""

from __future__ import annotations

from index.search import Hit
from ingest.models import Chunk, Document, DocumentMeta


def hit(rank: int, text: str, dense: float) -> Hit:
    document = Document(
        doc_id=f"d{rank}",
        source=f"d{rank}.md",
        file_format="markdown",
        meta=DocumentMeta(title=f"Dokument {rank}"),
        blocks=[],
        file_hash="",
    )
    chunk = Chunk(
        chunk_id=f"d{rank}:0",
        doc_id=f"d{rank}",
        ordinal=0,
        text=text,
        headings=("1 Del",),
        page=None,
        char_start=0,
        char_end=len(text),
    )
    return Hit(
        rank=rank,
        score=1 / rank,
        chunk=chunk,
        document=document,
        dense_score=dense,
        lexical_score=1.0,
    )

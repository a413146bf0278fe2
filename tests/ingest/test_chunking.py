"""Chunking: passages fit the model, never cross a section or page, and are reproducible."""

from itertools import pairwise

from ingest.chunking import ChunkingConfig, chunk_document
from ingest.models import Block, Document, DocumentMeta


def make_document(blocks: list[Block]) -> Document:
    return Document(
        doc_id="doc-1",
        source="a.md",
        file_format="markdown",
        meta=DocumentMeta(title="T"),
        blocks=blocks,
        file_hash="h",
    )


def sentences(count: int, prefix: str) -> str:
    return " ".join(f"{prefix} setning nummer {i} handler om meldinger." for i in range(count))


def test_a_chunk_never_spans_two_sections_or_two_pages():
    document = make_document(
        [
            Block("1 Første", headings=("1 Første",), is_heading=True, page=1),
            Block(sentences(3, "A"), headings=("1 Første",), page=1),
            Block(sentences(3, "B"), headings=("1 Første",), page=2),
            Block("2 Andre", headings=("2 Andre",), is_heading=True, page=2),
            Block(sentences(3, "C"), headings=("2 Andre",), page=2),
        ]
    )
    chunks = chunk_document(document, ChunkingConfig(max_words=500))
    assert [(c.headings, c.page, c.text[0]) for c in chunks] == [
        (("1 Første",), 1, "A"),
        (("1 Første",), 2, "B"),
        (("2 Andre",), 2, "C"),
    ]


def test_long_sections_are_split_below_the_word_limit_with_one_sentence_overlap():
    document = make_document([Block(sentences(40, "S"), headings=("1 Lang",))])
    chunks = chunk_document(document, ChunkingConfig(max_words=50, overlap_words=10))
    assert len(chunks) > 1
    assert all(len(c.text.split()) <= 50 for c in chunks)
    for first, second in pairwise(chunks):
        last_sentence = first.text.rsplit(". ", 1)[-1]
        assert second.text.startswith(last_sentence)


def test_chunk_offsets_point_into_the_document_text():
    document = make_document(
        [
            Block("Innledning.", headings=()),
            Block(sentences(5, "X"), headings=("1 Del",)),
        ]
    )
    for chunk in chunk_document(document, ChunkingConfig(max_words=20)):
        assert document.text[chunk.char_start : chunk.char_end] == chunk.text


def test_chunk_ids_are_deterministic_and_change_with_the_text():
    blocks = [Block(sentences(4, "D"), headings=("1",))]
    first = chunk_document(make_document(blocks), ChunkingConfig())
    again = chunk_document(make_document(blocks), ChunkingConfig())
    changed = chunk_document(
        make_document([Block(sentences(4, "E"), headings=("1",))]), ChunkingConfig()
    )
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert first[0].chunk_id != changed[0].chunk_id


def test_a_single_overlong_sentence_is_cut_by_words():
    document = make_document([Block(" ".join(["ord"] * 130), headings=())])
    chunks = chunk_document(document, ChunkingConfig(max_words=50, overlap_words=0))
    assert [len(c.text.split()) for c in chunks] == [50, 50, 30]


def test_dense_text_like_json_is_measured_by_characters_so_chunks_fit_the_model():
    json_line = '{"resourceType":"AuditEvent","agent":[{"who":{"identifier":"1234567"}}]} ' * 40
    document = make_document([Block(json_line.strip(), headings=("JSON",))])
    chunks = chunk_document(document, ChunkingConfig(max_words=100, overlap_words=0))
    assert len(chunks) > 1
    assert all(len(c.text) <= 100 * 7 for c in chunks)


def test_punctuation_heavy_text_is_measured_by_pieces_and_prose_by_words():
    pretty_json = "\n".join(['  "resourceType": "AuditEvent",'] * 60)  # 120 words, 600 pieces
    prose = sentences(9, "Denne")  # 72 words of ordinary prose
    document = make_document(
        [Block(pretty_json, headings=("JSON",)), Block(prose, headings=("Tekst",))]
    )
    chunks = chunk_document(document, ChunkingConfig(max_words=100, overlap_words=0))
    json_chunks = [c for c in chunks if c.headings == ("JSON",)]
    assert len(json_chunks) >= 5  # 600 pieces at 1.2 a word, 100 words a chunk
    assert [c.text for c in chunks if c.headings == ("Tekst",)] == [prose]

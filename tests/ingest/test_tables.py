"""Tables keep their rows and column headers from every format through chunking and the chunk
store, while the text that offsets and quotes refer to still reads one row a line."""

import sqlite3
from pathlib import Path

import docx

from index.store import ChunkStore, write_store
from ingest.chunking import ChunkingConfig, chunk_document
from ingest.extract.docx import extract_docx
from ingest.extract.html import extract_html
from ingest.extract.markdown import extract_markdown
from ingest.extract.pdf import extract_pdf
from ingest.models import Block, Document, DocumentMeta, Table
from ingest.sentences import sentence_spans
from tests.documents import write_pdf_with_table

DEADLINES = Table(
    header=("Hastegrad", "Frist for svar", "Merknad"),
    rows=(
        ("Bør besvares raskt", "Innen to virkedager", "Angis i emnefeltet"),
        ("Vanlig", "Innen fem virkedager", "Standard"),
    ),
)


def tables(extracted) -> list[Table]:
    return [block.table for block in extracted.blocks if block.table]


def test_a_table_block_reads_one_row_a_line_with_the_header_first():
    assert DEADLINES.text == (
        "Hastegrad | Frist for svar | Merknad\n"
        "Bør besvares raskt | Innen to virkedager | Angis i emnefeltet\n"
        "Vanlig | Innen fem virkedager | Standard"
    )


def test_markdown_pipe_table_keeps_header_and_rows(tmp_path: Path):
    path = tmp_path / "frister.md"
    path.write_text(
        "# Frister\n\nI Fjordvik gjelder:\n\n"
        "| Hastegrad | Frist for svar | Merknad |\n|---|:---:|---|\n"
        "| Bør besvares raskt | Innen **to** virkedager | Angis i emnefeltet |\n"
        "| Vanlig | Innen fem virkedager | Standard |\n| | | |\n\nEtter tabellen.\n",
        encoding="utf-8",
    )
    extracted = extract_markdown(path)
    assert tables(extracted) == [DEADLINES]
    block = next(b for b in extracted.blocks if b.table)
    assert block.text == DEADLINES.text
    assert [b.text for b in extracted.blocks if not b.table] == [
        "I Fjordvik gjelder:",
        "Etter tabellen.",
    ]


def test_html_table_takes_its_th_row_as_header(tmp_path: Path):
    path = tmp_path / "frister.html"
    path.write_text(
        "<html><body><main><h1>Frister</h1><p>I Fjordvik gjelder:</p><table>"
        "<thead><tr><th>Hastegrad</th><th>Frist for svar</th><th>Merknad</th></tr></thead>"
        "<tbody><tr><td>Bør besvares raskt</td><td>Innen to virkedager</td>"
        "<td>Angis i emnefeltet</td></tr>"
        "<tr><td>Vanlig</td><td>Innen fem virkedager</td><td>Standard</td></tr></tbody>"
        "</table></main></body></html>",
        encoding="utf-8",
    )
    assert tables(extract_html(path)) == [DEADLINES]


def test_docx_table_takes_its_first_row_as_header(tmp_path: Path):
    document = docx.Document()
    document.add_paragraph("I Fjordvik gjelder:")
    table = document.add_table(rows=0, cols=3)
    for cells in (DEADLINES.header, *DEADLINES.rows):
        row = table.add_row()
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.save(tmp_path / "frister.docx")
    assert tables(extract_docx(tmp_path / "frister.docx")) == [DEADLINES]


def test_pdf_table_drawn_in_columns_keeps_its_rows_and_first_row_as_header(tmp_path: Path):
    rows = [
        ("Parameter", "Betydning", "Verdi"),
        ("Retries", "Nye sendeforsøk", "3"),
        ("RetryInterval", "Tid mellom forsøk", "2 timer"),
    ]
    extracted = extract_pdf(write_pdf_with_table(tmp_path / "tabell.pdf", rows))
    [block] = [b for b in extracted.blocks if b.table]
    assert block.table == Table(rows[0], tuple(rows[1:]))
    assert block.page == 1
    assert block.text == block.table.text


def make_document(blocks: list[Block]) -> Document:
    return Document("doc-1", "a.md", "markdown", DocumentMeta(title="T"), blocks, "h")


def long_table(count: int) -> Table:
    return Table(
        ("Meldingstype", "Sender", "Frist"),
        tuple(
            (f"Melding nummer {i}", "Sykehuset eller kommunen", f"Innen {i} virkedager")
            for i in range(count)
        ),
    )


def test_every_chunk_of_a_long_table_carries_its_header_and_the_rows_its_text_holds():
    table = long_table(40)
    document = make_document([Block("Tabellen viser fristene:"), Block(table.text, table=table)])
    chunks = chunk_document(document, ChunkingConfig(max_words=80, overlap_words=0))
    assert len(chunks) > 2
    for chunk in chunks:
        assert chunk.table.header == table.header
        assert chunk.table.rows
        assert all(" | ".join(row) in chunk.text for row in chunk.table.rows)
    assert [row for chunk in chunks for row in chunk.table.rows] == list(table.rows)
    assert "Meldingstype | Sender" not in chunks[-1].text  # the header line is in the text once
    assert chunks[0].text.startswith("Tabellen viser fristene:")


def test_a_chunk_holds_rows_of_one_table_and_prose_has_no_table():
    first, second = long_table(2), Table(("Rolle", "Tilgang"), (("Lege", "Full tilgang"),))
    document = make_document(
        [
            Block("Fristene står i tabellen under."),
            Block(first.text, table=first),
            Block(second.text, table=second),
        ]
    )
    chunks = chunk_document(document, ChunkingConfig())
    assert [chunk.table for chunk in chunks] == [first, second]
    prose = chunk_document(make_document([Block("Bare tekst her.")]), ChunkingConfig())
    assert prose[0].table is None


def test_a_table_row_is_one_sentence_even_when_a_cell_holds_two():
    text = "Notat | Ingen svar. Fastlegen vurderer selv | Lokal rutine\nNeste linje. Og en til."
    pieces = [text[start:end] for start, end in sentence_spans(text)]
    assert pieces == [
        "Notat | Ingen svar. Fastlegen vurderer selv | Lokal rutine",
        "Neste linje.",
        "Og en til.",
    ]


def test_the_store_keeps_tables_of_blocks_and_chunks(tmp_path: Path):
    document = make_document([Block("Fristene:"), Block(DEADLINES.text, table=DEADLINES)])
    chunks = chunk_document(document, ChunkingConfig())
    write_store(tmp_path / "store.sqlite", [(document, chunks)])
    store = ChunkStore(tmp_path / "store.sqlite")
    assert store.document("doc-1").blocks == document.blocks
    assert store.document_chunks("doc-1") == chunks
    assert store.document_chunks("doc-1")[0].table == DEADLINES


def test_a_store_written_before_tables_had_structure_reads_without_them(tmp_path: Path):
    document = make_document([Block("Fristene:"), Block(DEADLINES.text, table=DEADLINES)])
    chunks = chunk_document(document, ChunkingConfig())
    path = tmp_path / "store.sqlite"
    write_store(path, [(document, chunks)])
    with sqlite3.connect(path) as db:  # the schema and block rows of the previous version
        db.execute("ALTER TABLE chunks DROP COLUMN table_json")
        db.execute(
            "UPDATE documents SET blocks = ?",
            ('[["Fristene:", null, [], false], ["Hastegrad | Frist", null, [], false]]',),
        )
    store = ChunkStore(path)
    [chunk] = store.document_chunks("doc-1")
    assert chunk.text == chunks[0].text
    assert chunk.table is None
    assert [b.table for b in store.document("doc-1").blocks] == [None, None]

"""Answers, Slack messages and the reading view quote table rows under their column headers,
never as cells joined with pipes. Passages are chunked from a real Markdown table; the
similarities a search would give are set by hand, and the shipped answer selector chooses."""

from __future__ import annotations

from dataclasses import replace

from bots.slack.blocks import answer_blocks
from index.lexical import QueryTerms, tokenize
from index.search import Hit
from index.sentences import chunk_sentences
from ingest.chunking import ChunkingConfig, chunk_document
from ingest.extract.markdown import parse_markdown
from ingest.models import Document, DocumentMeta, Table
from service.answer import compose_answer, quoted_text
from service.answer_features import candidates
from service.asking import Asked
from service.table_html import table_html

QUESTION = "Hvor lang tid har vi på å svare på en dialogmelding som bør besvares raskt?"
DEADLINES = """## 5.3 Svarfrister

Frister avtales i samarbeid med legekontorene. {intro}

| Hastegrad | Frist for svar | Merknad |
|---|---|---|
| Haster samme dag | Ikke dialogmelding – ring legekontoret | Ikke egnet for akutte situasjoner |
| Bør besvares raskt | Innen to virkedager | Angis i emnefeltet med «Haster» |
| Vanlig | Innen fem virkedager | Standard |
| Notat | Ingen svar forventet | Fastlegen vurderer selv behov for tiltak |
| Purring | Innen tre virkedager etter fristen | Sendes som ny forespørsel |
"""
INTRODUCING = "I Fjordvik gjelder følgende frister for svar:"
NOT_INTRODUCING = "Fjordvik har egne frister for svar."


def table_hit(similarities: dict[str, float], intro: str = INTRODUCING) -> Hit:
    """The deadline table's chunk as search returns it: each indexed sentence with the cosine
    of the first key it contains, else 0.6."""
    blocks, _ = parse_markdown(DEADLINES.format(intro=intro))
    document = Document(
        "dialog", "dialog.md", "markdown", DocumentMeta("Dialogmeldinger"), blocks, ""
    )
    [chunk] = chunk_document(document, ChunkingConfig())
    scored = []
    for start, end in chunk_sentences(chunk):
        sentence = chunk.text[start:end]
        score = next((s for key, s in similarities.items() if key in sentence), 0.6)
        scored.append((start, end, score))
    return Hit(1, 1.0, chunk, document, 0.9, 8.0, tuple(scored))


def terms(question: str) -> QueryTerms:
    return QueryTerms(dict.fromkeys(tokenize(question), 1.0))


def test_a_row_chosen_for_an_answer_shows_its_cells_under_their_column_headers():
    found = table_hit({"Bør besvares raskt": 0.93}, intro=NOT_INTRODUCING)
    composed = compose_answer(QUESTION, [found], terms(QUESTION))
    assert composed.found
    assert composed.text.startswith(
        "Hastegrad: Bør besvares raskt – Frist for svar: Innen to virkedager – "
        "Merknad: Angis i emnefeltet med «Haster» [1]"
    )
    assert " | " not in composed.text


def test_an_answer_from_an_introduced_table_shows_its_rows_under_their_headers():
    found = table_hit({"Bør besvares raskt": 0.93})
    composed = compose_answer(QUESTION, [found], terms(QUESTION))
    assert composed.text.startswith("I Fjordvik gjelder følgende frister for svar:\n- Hastegrad: ")
    assert "- Hastegrad: Bør besvares raskt – Frist for svar: Innen to virkedager" in composed.text
    assert " | " not in composed.text


def test_a_sentence_introducing_a_table_quotes_the_three_closest_rows_in_table_order():
    found = table_hit({"følgende frister": 0.9, "Vanlig": 0.85, "Notat": 0.8, "Purring": 0.82})
    [intro] = [c for c in candidates([found]) if c.text.startswith("I Fjordvik gjelder")]
    assert quoted_text(intro) == (
        "I Fjordvik gjelder følgende frister for svar:\n"
        "- Hastegrad: Vanlig – Frist for svar: Innen fem virkedager – Merknad: Standard\n"
        "- Hastegrad: Notat – Frist for svar: Ingen svar forventet – Merknad: Fastlegen "
        "vurderer selv behov for tiltak\n"
        "- Hastegrad: Purring – Frist for svar: Innen tre virkedager etter fristen – Merknad: "
        "Sendes som ny forespørsel\n"
        "… og 2 rader til i tabellen"
    )


def test_the_header_line_alone_is_never_an_answer():
    found = table_hit(
        {"Hastegrad | Frist for svar": 0.95, "Bør besvares raskt": 0.9}, intro=NOT_INTRODUCING
    )
    composed = compose_answer(QUESTION, [found], terms(QUESTION))
    assert not composed.text.startswith("Hastegrad | Frist for svar")
    assert "Merknad: Angis i emnefeltet med «Haster»" in composed.text


def test_slack_shows_an_answer_from_a_table_with_column_headers():
    found = table_hit({"Bør besvares raskt": 0.93}, intro=NOT_INTRODUCING)
    composed = compose_answer(QUESTION, [found], terms(QUESTION))
    asked = Asked(QUESTION, QUESTION, [found], composed, 0.01)
    blocks = answer_blocks(asked, "https://refark.kommune.no", answer_id=7)
    shown = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "Hastegrad: Bør besvares raskt – Frist for svar: Innen to virkedager" in shown
    assert "|" not in shown.split("*Kilder*")[0]
    assert "Dialogmeldinger" in shown.split("*Kilder*")[1]


def test_passages_without_tables_are_quoted_as_they_are():
    found = table_hit({})
    plain = replace(found, chunk=replace(found.chunk, table=None))
    [first, *_] = candidates([plain])
    assert quoted_text(first) == first.text


def test_table_html_has_column_headers_and_escapes_every_cell():
    html = table_html(Table(("Felt", "<Verdi>"), (("a & b", "<script>x</script>"), ("kort",))))
    assert html.count('<th scope="col">') == 2
    assert '<th scope="col">&lt;Verdi&gt;</th>' in html
    assert "<td>a &amp; b</td><td>&lt;script&gt;x&lt;/script&gt;</td>" in html
    assert "<tr><td>kort</td><td></td></tr>" in html  # a short row still fills its columns
    assert "<script>" not in html

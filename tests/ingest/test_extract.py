"""Extraction per format: text, headings, pages and metadata, and clear errors for bad files."""

from pathlib import Path

import pytest

from ingest.discover import SourceFile, discover, fingerprint
from ingest.extract import ExtractionError
from ingest.extract.docx import extract_docx
from ingest.extract.html import extract_html
from ingest.extract.markdown import extract_markdown
from ingest.extract.pdf import extract_pdf
from ingest.extract.text import extract_text
from ingest.load import load_document
from tests.documents import (
    HTML,
    MARKDOWN,
    PDF_PAGES,
    write_docx,
    write_encrypted_pdf,
    write_pdf,
    write_pdf_with_list,
    write_pdf_with_table,
)


def body_blocks(extracted):
    return [b for b in extracted.blocks if not b.is_heading]


def test_markdown_front_matter_becomes_metadata_and_headings_become_sections(tmp_path: Path):
    path = tmp_path / "doc.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    extracted = extract_markdown(path)
    assert extracted.meta["title"] == "Meldingsutveksling i kommunen"
    assert extracted.meta["doc_type"] == "standard"
    discharge = next(b for b in body_blocks(extracted) if "Utskrivningsrapporten" in b.text)
    assert discharge.headings == ("1 PLO-meldinger", "1.1 Utskrivningsrapport")
    dialog = next(b for b in body_blocks(extracted) if "Dialogmelding" in b.text)
    assert dialog.headings == ("2 Dialogmeldinger",)


def test_markdown_saved_with_windows_line_endings_reads_the_same(tmp_path: Path):
    path = tmp_path / "doc.md"
    path.write_bytes(MARKDOWN.replace("\n", "\r\n").encode("utf-8"))
    extracted = extract_markdown(path)
    assert extracted.meta["title"] == "Meldingsutveksling i kommunen"
    assert not any("---" in block.text or "\r" in block.text for block in extracted.blocks)


def test_text_saved_as_utf16_by_notepad_reads_the_same(tmp_path: Path):
    path = tmp_path / "notat.txt"
    path.write_bytes("Blåbærsyltetøy på brødskiva.".encode("utf-16"))  # with its BOM
    assert extract_text(path).blocks[0].text == "Blåbærsyltetøy på brødskiva."


def test_markdown_without_front_matter_takes_title_from_first_heading(tmp_path: Path):
    path = tmp_path / "notat.md"
    path.write_text("# Notat om HelseID\n\nHelseID er en felles påloggingstjeneste.\n")
    extracted = extract_markdown(path)
    assert extracted.meta == {"title": "Notat om HelseID"}
    assert body_blocks(extracted)[0].text == "HelseID er en felles påloggingstjeneste."


def test_markdown_inline_syntax_and_tables_become_plain_text(tmp_path: Path):
    path = tmp_path / "t.md"
    path.write_text(
        "## A\n\nSe **Adresseregisteret** og [HER-id](http://x).\n\n"
        "| Kode | Betydning |\n|---|---|\n| 1 | OK |\n"
    )
    texts = [b.text for b in body_blocks(extract_markdown(path))]
    assert texts == ["Se Adresseregisteret og HER-id.", "Kode | Betydning\n1 | OK"]


def test_markdown_code_is_kept_but_diagram_source_is_not(tmp_path: Path):
    path = tmp_path / "flyt.md"
    path.write_text(
        "## Flyt\n\n```mermaid\ngraph LR\n  A-->B\n```\n\n```json\n"
        '{"resourceType": "Patient"}\n```\n\n'
        '<div class="mermaid">\ngraph LR\n  C-->D\n</div>\n\n'
        "<div class='mermaid'>sequenceDiagram</div>\n\nMeldingen sendes.\n"
    )
    texts = [b.text for b in body_blocks(extract_markdown(path))]
    assert texts == ['{"resourceType": "Patient"}', "Meldingen sendes."]


def test_html_keeps_main_text_and_drops_navigation_chrome(tmp_path: Path):
    path = tmp_path / "side.html"
    path.write_text(HTML, encoding="utf-8")
    extracted = extract_html(path)
    text = "\n".join(b.text for b in extracted.blocks)
    assert extracted.meta["title"] == "Kjernejournal for legevakt"
    assert "oversikt over pasientens legemidler" in text
    assert "Lege | Full" in text
    for chrome in ("Hovedmeny", "Forside", "Informasjonskapsler", "Relaterte sider"):
        assert chrome not in text
    access = next(b for b in body_blocks(extracted) if "HelseID" in b.text)
    assert access.headings == ("Tilgang",)


def test_docx_heading_styles_become_sections_and_tables_are_kept(tmp_path: Path):
    extracted = extract_docx(write_docx(tmp_path / "vkp.docx"))
    assert extracted.meta["title"] == "Velferdsteknologisk knutepunkt"
    assert extracted.meta["publisher"] == "Testforlag"
    roles = next(b for b in body_blocks(extracted) if "Leverandøren" in b.text)
    assert roles.headings == ("1 Formål", "1.1 Roller")
    assert "- Kommunen eier dataene i journalen." in roles.text
    assert any(b.text == "Komponent | Eier\nKnutepunkt | Norsk helsenett" for b in extracted.blocks)


def test_pdf_keeps_page_numbers_and_headings_and_drops_running_footer(tmp_path: Path):
    extracted = extract_pdf(write_pdf(tmp_path / "e-resept.pdf", PDF_PAGES))
    assert extracted.page_count == 4
    assert extracted.meta["title"] == "E-resept i kommunen"
    responsibility = next(b for b in body_blocks(extracted) if "Fastlegen" in b.text)
    assert responsibility.page == 4
    assert responsibility.headings == ("4 Ansvar",)
    assert not any("Side " in b.text for b in extracted.blocks)


def test_pdf_table_rows_stay_rows_with_their_cells_apart(tmp_path: Path):
    rows = [
        ("Parameter", "Betydning", "Verdi"),
        ("Retries", "Nye sendeforsøk", "3"),
        ("RetryInterval", "Tid mellom forsøk", "2 timer"),
    ]
    extracted = extract_pdf(write_pdf_with_table(tmp_path / "tabell.pdf", rows))
    assert [b.text for b in extracted.blocks] == [
        "Tabellen viser innstillingene for meldingstjeneren.",
        "Parameter | Betydning | Verdi\nRetries | Nye sendeforsøk | 3\n"
        "RetryInterval | Tid mellom forsøk | 2 timer",
        "Avvik fra innstillingene avtales med Norsk helsenett.",
    ]


def test_pdf_paragraph_after_a_list_is_not_glued_to_the_last_item(tmp_path: Path):
    items = [
        "Meldingen er kommet frem til mottakers meldingstjener.",
        "meldingen er lagret hos mottaker og vil bli levert videre til fagsystemet når mottakeren"
        " henter den fra køen sin neste gang den ser etter nye meldinger i løpet av dagen",
    ]
    after = "Transportkvitteringen bekrefter ikke at meldingen er lest av helsepersonell."
    extracted = extract_pdf(write_pdf_with_list(tmp_path / "liste.pdf", items, after))
    assert [b.text for b in extracted.blocks] == [*(f"• {item}" for item in items), after]


def test_encrypted_pdf_is_reported_as_such(tmp_path: Path):
    plain = write_pdf(tmp_path / "plain.pdf", PDF_PAGES[:1])
    with pytest.raises(ExtractionError, match=r"passordbeskyttet|kryptert"):
        extract_pdf(write_encrypted_pdf(tmp_path / "locked.pdf", plain))


def test_corrupt_pdf_is_reported_with_a_reason(tmp_path: Path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not a pdf at all")
    with pytest.raises(ExtractionError) as raised:
        extract_pdf(path)
    assert str(raised.value)


def test_discover_skips_hidden_paths_and_unknown_formats_but_not_underscored_folders(
    tmp_path: Path,
):
    for name in ("a.md", "b.txt", "_docs/c.md", ".git/d.md", "e.jsonl", "f.md.meta.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("# x\n\ntekst\n")
    assert [f.source for f in discover(tmp_path)] == ["_docs/c.md", "a.md", "b.txt"]


def test_sidecar_metadata_beats_the_files_own_and_changes_the_fingerprint(tmp_path: Path):
    path = tmp_path / "standarder" / "vkp.docx"
    path.parent.mkdir()
    write_docx(path)
    before = fingerprint(path)
    (tmp_path / "standarder" / "vkp.docx.meta.yaml").write_text(
        "title: Knutepunktet\ndoc_type: veileder\ndate: 2023-09-01\n", encoding="utf-8"
    )
    assert fingerprint(path) != before
    document = load_document(SourceFile(path, "standarder/vkp.docx", "docx", fingerprint(path)))
    assert document.meta.title == "Knutepunktet"
    assert document.meta.doc_type == "veileder"
    assert document.meta.publisher == "Testforlag"
    assert document.meta.date == "2023-09-01"


def test_document_type_falls_back_to_the_folder_name_then_annet(tmp_path: Path):
    for folder in ("erfaringer", "diverse"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.txt").write_text("Noe tekst om velferdsteknologi.")
    types = {f.source: load_document(f).meta.doc_type for f in discover(tmp_path)}
    assert types == {"erfaringer/x.txt": "erfaringsrapport", "diverse/x.txt": "annet"}

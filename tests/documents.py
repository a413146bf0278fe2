"""Small documents in every supported format, written by the tests that need them."""

from __future__ import annotations

from pathlib import Path

import docx
import pypdf
from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

MARKDOWN = """---
title: Meldingsutveksling i kommunen
doc_type: standard
publisher: Testkommune
date: 2024-05-02
---
# Meldingsutveksling i kommunen

Innledende tekst om samhandling.

## 1 PLO-meldinger

Pleie- og omsorgsmeldinger (PLO-meldinger) sendes mellom kommunen og sykehuset over Norsk helsenett.
Innleggelsesrapporten sendes når pasienten legges inn.

### 1.1 Utskrivningsrapport

Utskrivningsrapporten sendes fra sykehuset når pasienten skrives ut til kommunen.

## 2 Dialogmeldinger

Dialogmelding brukes mellom hjemmetjenesten og fastlegen.
"""

HTML = """<!doctype html><html lang="nb"><head><title>Kjernejournal | Helsenettstedet</title>
<meta name="description" content="Om kjernejournal"></head>
<body><header><nav><a href="/">Forside</a> <a href="/tjenester">Tjenester</a>
Hovedmeny</nav></header>
<div class="breadcrumb">Forside › Tjenester › Kjernejournal</div>
<main><article><h1>Kjernejournal for legevakt</h1>
<p>Kjernejournal gir helsepersonell i legevakten oversikt over pasientens legemidler og kritisk
informasjon, også når pasienten ikke kan gjøre rede for seg selv. Oppslaget logges.</p>
<h2>Tilgang</h2><p>Tilgang krever innlogging med HelseID og at helsepersonellet har tjenstlig behov.
Kommunen må ha avtale med Norsk helsenett før legevakten tas i bruk.</p>
<ul><li>Legemiddelliste fra reseptformidleren</li><li>Kritisk informasjon om allergier</li></ul>
<table><tr><th>Rolle</th><th>Tilgang</th></tr><tr><td>Lege</td><td>Full</td></tr></table>
</article></main>
<aside>Relaterte sider: e-resept</aside>
<footer>Kontakt oss · Informasjonskapsler</footer></body></html>
"""


def write_docx(path: Path) -> Path:
    document = docx.Document()
    document.core_properties.title = "Velferdsteknologisk knutepunkt"
    document.core_properties.author = "Testforlag"
    document.add_paragraph("Velferdsteknologisk knutepunkt", style="Title")
    document.add_heading("1 Formål", level=1)
    document.add_paragraph("Knutepunktet tar imot data fra trygghetsalarmer og medisindispensere.")
    document.add_heading("1.1 Roller", level=2)
    document.add_paragraph("Leverandøren kobler løsningen til knutepunktet.", style="List Bullet")
    document.add_paragraph("Kommunen eier dataene i journalen.", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Komponent", "Eier"
    table.cell(1, 0).text, table.cell(1, 1).text = "Knutepunkt", "Norsk helsenett"
    document.save(path)
    return path


def write_pdf(path: Path, pages: list[tuple[str, str]], title: str = "E-resept i kommunen") -> Path:
    """One (heading, body) pair per page, with a running footer on every page."""
    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_author("Testforlag")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(False)
    for number, (heading, body) in enumerate(pages, start=1):
        pdf.add_page()
        if number == 1:
            pdf.set_font("DejaVu", "B", 20)
            pdf.multi_cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "B", 14)
        pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(-15)
        pdf.set_font("DejaVu", "", 8)
        pdf.cell(0, 5, f"Side {number} av {len(pages)}")
    pdf.output(str(path))
    return path


PDF_PAGES = [
    ("1 Innledning", "E-resept er elektroniske resepter som lagres i Reseptformidleren."),
    (
        "2 Multidose",
        "Multidose betyr at apoteket pakker legemidler i poser for hvert doseringstidspunkt.",
    ),
    (
        "3 Pasientens legemiddelliste",
        "Pasientens legemiddelliste samler legemiddelinformasjon på ett sted.",
    ),
    (
        "4 Ansvar",
        "Fastlegen har ansvaret for å holde legemiddellisten oppdatert for sine pasienter.",
    ),
]


def write_encrypted_pdf(path: Path, source: Path) -> Path:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(str(source)))
    writer.encrypt(user_password="hemmelig", owner_password="eier", algorithm="RC4-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_corpus(root: Path) -> Path:
    """A corpus of four small documents, one per format, in typed folders."""
    (root / "standarder").mkdir(parents=True, exist_ok=True)
    (root / "erfaringer").mkdir(parents=True, exist_ok=True)
    (root / "standarder" / "meldinger.md").write_text(MARKDOWN, encoding="utf-8")
    (root / "standarder" / "kjernejournal.html").write_text(HTML, encoding="utf-8")
    write_docx(root / "standarder" / "knutepunkt.docx")
    write_pdf(root / "erfaringer" / "e-resept.pdf", PDF_PAGES)
    return root


def write_pdf_with_table(path: Path, rows: list[tuple[str, ...]]) -> Path:
    """A page with a sentence, a table drawn cell by cell and another sentence."""
    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, "Tabellen viser innstillingene for meldingstjeneren.")
    pdf.ln(4)
    with pdf.table(col_widths=(30, 60, 30), first_row_as_headings=False) as table:
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(4)
    pdf.multi_cell(0, 6, "Avvik fra innstillingene avtales med Norsk helsenett.")
    pdf.output(str(path))
    return path


def write_pdf_with_list(path: Path, items: list[str], after: str) -> Path:
    """A bulleted list with hanging indents (wrapped lines start past the bullet), then a
    paragraph at the left margin."""
    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "", 11)
    with pdf.text_columns() as region:
        for item in items:
            with region.paragraph(indent=7, bullet_string="•", bullet_r_margin=2) as paragraph:
                paragraph.write(text=item)
        with region.paragraph() as paragraph:
            paragraph.write(text=after)
    pdf.output(str(path))
    return path

"""Render the sample corpus sources (see README.md) into PDF, DOCX and HTML documents.

Each `sources/*.md` becomes `corpus/<group>/<slug>.<format>` plus `<slug>.<format>.meta.yaml`.
Output is deterministic: every date comes from the front matter, never from the clock.
Usage: .venv/bin/python tools/sample_corpus/build.py [SOURCE.md ...]
"""

from __future__ import annotations

import html
import re
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import yaml
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph as DocxParagraph
from fpdf import FPDF
from fpdf.fonts import FontFace
from fpdf.text_region import Paragraph, TextColumns

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
META_KEYS = ("title", "doc_type", "publisher", "date", "language")
GROUPS = {
    "referansearkitektur": "Referansearkitektur",
    "standarder": "Standarder",
    "erfaringer": "Erfaringer",
}
# Heading sizes stay >= 1.12 x body (10.5 pt) and tables use 9.5 pt or less, so the PDF ingester
# can tell headings from body text by font size.
PDF_SIZES = {1: 19.0, 2: 15.0, 3: 13.0}
_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_ITEM = re.compile(r"^\s*(?:([-*+])|\d+[.)])\s+(.*)$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)")


@dataclass
class Block:
    kind: str  # heading | paragraph | bullets | numbers | table | pagebreak
    text: str = ""
    level: int = 0
    italic: bool = False  # a paragraph wholly in *...*, like the note under the title
    items: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def segments(text: str) -> list[tuple[str, bool]]:
    """Inline text as (text, bold) runs; any other inline markup is dropped."""
    parts = re.split(r"\*\*(.+?)\*\*", text)
    runs = [(_ITALIC.sub(r"\1", part).replace("`", ""), i % 2 == 1) for i, part in enumerate(parts)]
    return [run for run in runs if run[0]]


def plain(text: str) -> str:
    return "".join(part for part, _ in segments(text))


def parse_body(body: str) -> list[Block]:
    blocks: list[Block] = []
    current: Block | None = None  # the open paragraph, list or table that lines join
    for raw in body.splitlines():
        if raw.strip() == "<!-- pagebreak -->":
            blocks.append(current := Block("pagebreak"))
            continue
        line = re.sub(r"<!--.*?-->", "", raw).strip()
        heading, item = _HEADING.match(line), _ITEM.match(raw)
        if not line or heading:
            current = None
            if heading:
                blocks.append(Block("heading", plain(heading.group(2)), len(heading.group(1))))
        elif line.startswith("|"):
            if current is None or current.kind != "table":
                blocks.append(current := Block("table"))
            if not _TABLE_RULE.match(line):
                current.rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif item:
            kind = "bullets" if item.group(1) else "numbers"
            if current is None or current.kind != kind:
                blocks.append(current := Block(kind))
            current.items.append(item.group(2).strip())
        elif current and current.kind in ("bullets", "numbers") and raw[:1].isspace():
            current.items[-1] += " " + line
        elif current and current.kind == "paragraph":
            current.text += " " + line
        else:
            blocks.append(current := Block("paragraph", line))
    for block in blocks:
        width = max((len(row) for row in block.rows), default=0)
        block.rows = [row + [""] * (width - len(row)) for row in block.rows]
        if block.kind == "paragraph" and re.fullmatch(r"\*[^*].*[^*]\*", block.text):
            block.text, block.italic = block.text[1:-1], True
    return [block for block in blocks if block.kind != "table" or block.rows]


class Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.doc_title = title
        for style, suffix in (("", ""), ("B", "-Bold"), ("I", "-Oblique")):
            self.add_font("DejaVu", style, str(FONT_DIR / f"DejaVuSans{suffix}.ttf"))
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=20)

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font("DejaVu", "I", 8)
            self.set_text_color(90)
            self.cell(0, 5, self.doc_title, align="R")
            self.line(self.l_margin, 24, self.w - self.r_margin, 24)
            self.set_y(30)
            self.set_text_color(0)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 5, f"Side {self.page_no()} av {{nb}}", align="C")


def table_layout(pdf: FPDF, rows: list[list[str]]) -> tuple[float, list[float]]:
    """Font size and column widths (mm) for a table: every column is wide enough for its longest
    word (bold, as in the header row), and the rest of the width follows the average text length.
    Tables too wide for 9.5 pt get a smaller font instead of words broken inside."""
    cols = [[plain(cell) for cell in col] for col in zip(*rows, strict=True)]
    for size in (9.5, 8.5, 7.5):
        pdf.set_font("DejaVu", "B", size)
        width = pdf.get_string_width
        least = [
            max(width(word) for cell in col for word in [*cell.split(), ""]) + 4 for col in cols
        ]
        if sum(least) <= pdf.epw:
            break
    spare = max(pdf.epw - sum(least), 0)
    want = [max(sum(map(width, col)) / len(col), least[i]) for i, col in enumerate(cols)]
    extra = [w - m for w, m in zip(want, least, strict=True)]
    share = [e / sum(extra) if sum(extra) else 1 / len(cols) for e in extra]
    return size, [m + spare * s for m, s in zip(least, share, strict=True)]


def render_pdf(meta: dict, blocks: list[Block], out: Path) -> None:
    pdf = Pdf(meta["title"])
    pdf.set_title(meta["title"])
    pdf.set_author(meta["publisher"])
    pdf.set_lang(meta["language"])
    pdf.set_creation_date(datetime.combine(meta["date"], datetime.min.time(), tzinfo=UTC))
    pdf.add_page()
    ncols = 2 if meta.get("layout") == "two-column" else 1
    region: TextColumns | None = None  # body text flows here; headings and tables span it

    def write(par: Paragraph, text: str, style: str = "") -> None:
        for part, bold in segments(text):
            pdf.set_font("DejaVu", "B" if bold else style, 10.5)
            par.write(part)

    for block in [*blocks, Block("end")]:
        in_column = ncols > 1 and block.kind == "heading" and block.level >= 3
        if in_column or (block.kind in ("paragraph", "bullets", "numbers") and not block.italic):
            if region is None:
                region = pdf.text_columns(ncols=ncols, gutter=8, balance=ncols > 1, line_height=1.4)
            if in_column:  # with two columns only the larger headings span the page
                with region.paragraph(top_margin=2.5, bottom_margin=1.5) as par:
                    pdf.set_font("DejaVu", "B", PDF_SIZES.get(block.level, 12.0))
                    par.write(block.text)
            if block.kind == "paragraph":
                with region.paragraph(bottom_margin=2.6) as par:
                    write(par, block.text)
            for n, item in enumerate(block.items, start=1):
                mark = "•" if block.kind == "bullets" else f"{n}."
                with region.paragraph(
                    indent=7,
                    bullet_string=mark,
                    bullet_r_margin=2,
                    bottom_margin=2.6 if n == len(block.items) else 1,
                ) as par:
                    write(par, item)
            continue
        if region is not None:
            region.render()
            region = None
            pdf.set_x(pdf.l_margin)
        if block.kind == "pagebreak":
            pdf.add_page()
        elif block.kind == "heading":
            size = PDF_SIZES.get(block.level, 12.0)
            if pdf.y > pdf.h - 50:  # keep a heading together with what follows it
                pdf.add_page()
            pdf.ln(1 if pdf.y < 35 else size * 0.35)
            pdf.set_font("DejaVu", "B", size)
            pdf.multi_cell(0, size * 0.5, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(size * 0.2)
        elif block.kind == "paragraph":  # an italic note spans the full width
            pdf.set_font("DejaVu", "I", 10.5)
            pdf.multi_cell(0, 6, plain(block.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        elif block.kind == "table":
            size, widths = table_layout(pdf, block.rows)
            pdf.set_font("DejaVu", "", size)
            style = FontFace(emphasis="BOLD", fill_color=(226, 232, 240))
            with pdf.table(
                col_widths=widths,
                line_height=size * 0.53,
                padding=1.4,
                text_align="LEFT",
                headings_style=style,
            ) as table:
                for row in block.rows:
                    cells = table.row()
                    for cell in row:
                        cells.cell(plain(cell))
            pdf.ln(4)
    pdf.output(str(out))


def render_docx(meta: dict, blocks: list[Block], out: Path) -> None:
    document = docx.Document()
    created = datetime.combine(meta["date"], datetime.min.time())
    props = document.core_properties
    props.title, props.author, props.language = meta["title"], meta["publisher"], meta["language"]
    props.created, props.modified, props.last_modified_by, props.revision = created, created, "", 1

    def runs(paragraph: DocxParagraph, text: str, italic: bool = False) -> None:
        for part, bold in segments(text):
            run = paragraph.add_run(part)
            run.bold, run.italic = bold or None, italic or None

    titled = False  # the first level-1 heading is the document title
    for block in blocks:
        if block.kind == "heading":
            level = 0 if block.level == 1 and not titled else min(max(block.level - 1, 1), 4)
            titled = titled or level == 0
            document.add_heading(block.text, level)
        elif block.kind == "paragraph":
            runs(document.add_paragraph(), block.text, block.italic)
        elif block.kind in ("bullets", "numbers"):
            style = "List Bullet" if block.kind == "bullets" else "List Number"
            for item in block.items:
                runs(document.add_paragraph(style=style), item)
        elif block.kind == "table":
            table = document.add_table(rows=0, cols=len(block.rows[0]))
            table.style = "Table Grid"
            for index, row in enumerate(block.rows):
                added = table.add_row()
                for cell, text in zip(added.cells, row, strict=True):
                    cell.paragraphs[0].add_run(plain(text)).bold = index == 0 or None
                if index == 0:  # mark as header row: repeated on each page, read as headings
                    flag = OxmlElement("w:tblHeader")
                    flag.set(qn("w:val"), "true")
                    added._tr.get_or_add_trPr().append(flag)
        elif block.kind == "pagebreak":
            document.add_page_break()
    document.save(str(out))
    with zipfile.ZipFile(out) as source:  # fixed zip timestamps: byte-identical re-runs
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            target.writestr(zipfile.ZipInfo(name, created.timetuple()[:6]), data)


def inline_html(text: str) -> str:
    return "".join(
        f"<strong>{html.escape(part)}</strong>" if bold else html.escape(part)
        for part, bold in segments(text)
    )


def _links(*pairs: tuple[str, str]) -> str:
    return "".join(f'<li><a href="/{href}">{label}</a></li>' for href, label in pairs)


MENU = _links(
    ("", "Forsiden"),
    ("referansearkitektur/", "Referansearkitektur"),
    ("standarder/", "Standarder"),
    ("erfaringer/", "Erfaringer"),
    ("om-oss/", "Om oss"),
)
RELATED = _links(
    ("referansearkitektur/", "Oversikt over referansearkitekturen"),
    ("standarder/", "Nasjonale standarder for e-helse"),
    ("erfaringer/", "Erfaringer fra kommunene"),
    ("ordliste/", "Ordliste for e-helse"),
)
# Site chrome around the article is deliberate: the HTML ingester has to strip it.
PAGE = """<!DOCTYPE html>
<html lang="{language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | E-helse i kommunene</title>
<meta name="description" content="{description}"><meta name="author" content="{publisher}">
<meta name="date" content="{date}"><link rel="stylesheet" href="/assets/site.css"></head>
<body><a class="skip-link" href="#innhold">Gå til hovedinnhold</a>
<header class="site-header"><p class="site-name"><a href="/">E-helse i kommunene</a></p>
<nav class="main-menu" aria-label="Hovedmeny"><ul>{menu}</ul></nav></header>
<main id="innhold"><nav class="breadcrumb" aria-label="Brødsmulesti"><ol><li><a href="/">Forsiden\
</a></li><li><a href="/{group}/">{label}</a></li><li aria-current="page">{title}</li></ol></nav>
<article>
{body}
<p class="updated">Sist oppdatert {updated}</p></article>
<aside class="sidebar"><h2>Relaterte sider</h2><ul>{related}</ul></aside></main>
<footer class="site-footer"><p>{publisher} · Kontakt: postmottak@ehelse-eksempel.no</p>
<p class="cookie-notice">Vi bruker informasjonskapsler (cookies) for å måle trafikk og forbedre \
nettstedet. <a href="/personvern/">Les mer om personvern og cookies</a>.</p></footer>
</body></html>
"""


def render_html(meta: dict, blocks: list[Block], out: Path) -> None:
    body: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif block.kind == "paragraph":
            text = inline_html(block.text)
            body.append(f"<p><em>{text}</em></p>" if block.italic else f"<p>{text}</p>")
        elif block.kind in ("bullets", "numbers"):
            tag = "ul" if block.kind == "bullets" else "ol"
            items = "\n".join(f"<li>{inline_html(item)}</li>" for item in block.items)
            body.append(f"<{tag}>\n{items}\n</{tag}>")
        elif block.kind == "table":
            head = "".join(f'<th scope="col">{inline_html(cell)}</th>' for cell in block.rows[0])
            rows = "".join(
                "\n<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in row) + "</tr>"
                for row in block.rows[1:]
            )
            body.append(f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>{rows}\n</tbody></table>")
    lead = next((plain(b.text) for b in blocks if b.kind == "paragraph" and not b.italic), "")
    description = lead if len(lead) <= 160 else lead[:157].rsplit(" ", 1)[0] + " …"
    escaped = {key: html.escape(str(value)) for key, value in meta.items()}
    out.write_text(
        PAGE.format(
            **escaped,
            description=html.escape(description),
            menu=MENU,
            label=GROUPS[meta["group"]],
            body="\n".join(body),
            related=RELATED,
            updated=meta["date"].strftime("%d.%m.%Y"),
        ),
        encoding="utf-8",
    )


def build(source: Path) -> Path:
    text = source.read_text(encoding="utf-8")
    match = _FRONT.match(text)
    meta = yaml.safe_load(match.group(1)) if match else None
    if not isinstance(meta, dict):
        raise ValueError("mangler front matter")
    missing = [key for key in (*META_KEYS, "group", "format") if not meta.get(key)]
    if missing:
        raise ValueError(f"front matter mangler {', '.join(missing)}")
    render = {"pdf": render_pdf, "docx": render_docx, "html": render_html}.get(meta["format"])
    if render is None or meta["group"] not in GROUPS:
        raise ValueError(f"ukjent format eller gruppe: {meta['format']}, {meta['group']}")
    meta = {key: value if key == "date" else str(value) for key, value in meta.items()}
    if isinstance(meta["date"], datetime) or not isinstance(meta["date"], date):
        meta["date"] = date.fromisoformat(str(meta["date"])[:10])
    out = ROOT / "corpus" / meta["group"] / f"{source.stem}.{meta['format']}"
    out.parent.mkdir(parents=True, exist_ok=True)
    render(meta, parse_body(text[match.end() :]), out)  # type: ignore[union-attr]
    Path(f"{out}.meta.yaml").write_text(
        yaml.safe_dump({key: meta[key] for key in META_KEYS}, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return out


def main(argv: list[str]) -> int:
    failures = 0
    for source in [Path(arg) for arg in argv] or sorted((HERE / "sources").glob("*.md")):
        try:
            out = build(source)
        except Exception as error:  # report each broken source and keep building the others
            failures += 1
            print(f"FEIL {source}: {error}", file=sys.stderr)
        else:
            print(f"{source.name} -> {out.relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

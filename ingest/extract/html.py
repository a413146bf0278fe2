"""HTML pages: the main content with its headings, without navigation, banners and footers."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, Tag

from ingest.extract import Extracted
from ingest.extract.headings import HeadingTrail
from ingest.extract.text import read_text_file
from ingest.limits import DEFAULT_LIMITS, IngestLimits
from ingest.models import Block, Table, table_of

_CHROME_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "svg",
    "iframe",
)
# Class/id words that mark site chrome in common generators (Antora, Jekyll, CMS themes).
_CHROME_MARKERS = re.compile(
    r"(^|[-_ ])(nav|navbar|navigation|menu|breadcrumbs?|toolbar|cookie|banner|footer|sidebar|"
    r"toc|skip|pagination|edit-this-page|page-versions|explore)([-_ ]|$)",
    re.IGNORECASE,
)
_BLOCK_TAGS = (
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "li",
    "pre",
    "table",
    "blockquote",
    "dt",
    "dd",
    "figcaption",
)
_MAIN_SELECTORS = ("main", "[role=main]", "article", "#content", "#main", ".content", ".doc")


def _is_chrome(tag: Tag) -> bool:
    if tag.attrs is None:
        return False
    if tag.get("role") in ("navigation", "banner", "contentinfo", "search"):
        return True
    markers = " ".join([tag.get("id") or "", *tag.get("class", [])])
    return bool(markers and _CHROME_MARKERS.search(markers))


def _clean(text: str) -> str:
    return " ".join(text.split())


def _table(table: Tag) -> Table | None:
    """The rows of a table, in document order; the first is its header whether or not it is
    marked with <th> or <thead> (a <th> row in <thead> comes first in any case)."""
    return table_of(
        [
            [_clean(cell.get_text(" ")) for cell in row.find_all(["th", "td"])]
            for row in table.find_all("tr")
        ]
    )


def _main_content(soup: BeautifulSoup) -> Tag:
    for selector in _MAIN_SELECTORS:
        found = soup.select_one(selector)
        if found and len(found.get_text(strip=True)) > 200:
            return found
    return soup.body or soup


def extract_html(path: Path, limits: IngestLimits = DEFAULT_LIMITS) -> Extracted:
    soup = BeautifulSoup(read_text_file(path, limits), "lxml")
    meta: dict[str, str] = {}
    if soup.title and soup.title.string:
        meta["title"] = _clean(soup.title.string)
    for name in ("description", "author", "date", "dcterms.date", "language"):
        tag = soup.find("meta", attrs={"name": name})
        if tag and tag.get("content"):
            key = {"author": "publisher", "dcterms.date": "date"}.get(name, name)
            meta[key] = _clean(tag["content"])
    if soup.html and soup.html.get("lang"):
        meta.setdefault("language", soup.html["lang"])

    root = _main_content(soup)
    for tag in root.find_all(_CHROME_TAGS):
        tag.decompose()
    for tag in root.find_all(True):
        if not tag.decomposed and _is_chrome(tag):
            tag.decompose()

    blocks: list[Block] = []
    trail = HeadingTrail()
    seen_h1 = False
    for tag in root.find_all(_BLOCK_TAGS):
        if tag.find_parent(["table", "li", "pre", "blockquote"]) not in (
            None,
            root,
        ) and tag.name not in ("h1", "h2", "h3", "h4", "h5", "h6"):
            continue
        if tag.name == "table":
            table = _table(tag)
            if table:
                blocks.append(Block(text=table.text, headings=trail.path, table=table))
            continue
        text = ("- " if tag.name == "li" else "") + _clean(tag.get_text(" "))
        if not text:
            continue
        if tag.name[0] == "h" and tag.name[1:].isdigit():
            level = int(tag.name[1])
            if level == 1 and not seen_h1 and not blocks:
                seen_h1 = True
                # The page heading beats <title>, which often carries the site name.
                meta["title"] = text
                continue
            trail.enter(level, text)
            blocks.append(Block(text=text, headings=trail.path, is_heading=True))
        else:
            blocks.append(Block(text=text, headings=trail.path))
    return Extracted(blocks=blocks, meta=meta)

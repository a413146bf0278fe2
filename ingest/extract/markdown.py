"""Markdown with optional YAML front matter: headings become the section path of each block."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.extract import Extracted
from ingest.extract.headings import HeadingTrail
from ingest.extract.text import read_text_file
from ingest.limits import DEFAULT_LIMITS, IngestLimits
from ingest.metadata import load_yaml, scalar_fields
from ingest.models import Block, table_of

# Every expression here runs on lines of any length that anyone may write, so none may take
# more than linear time: no two adjacent quantifiers that can trade characters, and no scan
# from each of many openers to the end of a line that has no closer.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
# The closing #s are cut in Python (see _heading_text): `(.*?)\s*#*\s*$` is cubic on spaces.
_ATX_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_DIAGRAM_FENCE = re.compile(r"^\s*(```|~~~)\s*(mermaid|plantuml|puml|dot|graphviz)\b", re.I)
# Jekyll sites draw diagrams from raw HTML: <div class="mermaid">graph LR ...</div>
_DIAGRAM_HTML = re.compile(r"^\s*<(div|pre)\b[^>]*\bclass=[\"'][^\"']*\b(mermaid|plantuml)\b", re.I)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*(?:\|\s*)?:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*(?:\|\s*)?$")
_NOISE_LINE = re.compile(r"^\s*(\{:.*\}|\{%.*%\}|\[\^?[^\]]+\]:\s+\S+.*)\s*$")


# `<!--.*?-->` alone tries every `<!--` of a line against the rest of it. An opener with no
# closer after it means no later opener has one either, so the second branch takes the rest
# (of the line, or with DOTALL of the text) as it is: same result, linear time.
_COMMENT = re.compile(r"(?P<comment><!--.*?-->)|<!--.*")
_COMMENT_BLOCK = re.compile(_COMMENT.pattern, re.DOTALL)
# The same for emphasis: an opening * with no closing * after it on the line has none later.
_EMPHASIS = re.compile(r"(?<![\w*])\*(?!\s)(?:(?P<inner>.+?)(?<!\s)\*(?!\w)|.*)")
# Link text, image text and URLs stop at the next `[`, and template tags at the next opener of
# their kind: each scan ends where the next one starts. Only nested or unclosed brackets read
# differently from a scan to the first closer (`[a [b](u)` keeps `[a `).
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\([^)\[]*\)")
_LINK = re.compile(r"\[([^\[\]]+)\]\([^)\[]*\)")
_REFERENCE_LINK = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
_TEMPLATE = re.compile(r"\{%(?:(?!\{%).)*?%\}|\{\{(?:(?!\{\{).)*?\}\}|\{:[^{}]*\}")
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
# Linear as it is: a ** with no closing ** after it on its line is the last one there.
_STRONG = re.compile(r"(\*\*|__)(.+?)\1")
_CODE = re.compile(r"`([^`]*)`")


def _without_comments(text: str, pattern: re.Pattern[str] = _COMMENT) -> str:
    return pattern.sub(lambda m: "" if m["comment"] else m[0], text)


def strip_inline(text: str) -> str:
    """Markdown inline syntax to the plain words a reader sees."""
    text = _without_comments(text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REFERENCE_LINK.sub(r"\1", text)
    text = _TEMPLATE.sub("", text)
    text = _TAG.sub(" ", text)
    text = _STRONG.sub(r"\2", text)
    text = _EMPHASIS.sub(lambda m: m[0] if m["inner"] is None else m["inner"], text)
    text = _CODE.sub(r"\1", text)
    return " ".join(text.split())


def _heading_text(rest: str) -> str:
    """A heading's text without its optional closing #s: `## Tittel ##` → `Tittel`."""
    return rest.rstrip().rstrip("#").rstrip()


def split_front_matter(
    source: str, limits: IngestLimits = DEFAULT_LIMITS
) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(source)
    if not match:
        return {}, source
    data = load_yaml(match.group(1), "front matter", limits)
    # Not a mapping: a thematic break (---) that opens the text, not front matter.
    return (scalar_fields(data) if isinstance(data, dict) else {}), source[match.end() :]


def _table_row(line: str) -> list[str]:
    return [strip_inline(cell) for cell in line.strip().strip("|").split("|")]


def parse_markdown(body: str) -> tuple[list[Block], str | None]:
    """Blocks in reading order and the document title taken from a leading level-1 heading."""
    blocks: list[Block] = []
    trail = HeadingTrail()
    title: str | None = None
    pending: list[str] = []
    pending_rows: list[list[str]] = []  # the cells of the table being read
    pending_kind = "paragraph"
    in_fence = skip_fence = False
    diagram_end: str | None = None  # the closing tag of the raw HTML diagram being skipped

    def flush() -> None:
        nonlocal pending
        table = table_of(pending_rows)
        pending_rows.clear()
        if table:
            blocks.append(Block(text=table.text, headings=trail.path, table=table))
        if pending:
            separator = " " if pending_kind == "paragraph" else "\n"
            text = separator.join(part for part in pending if part)
            if text.strip():
                blocks.append(Block(text=text.strip(), headings=trail.path))
        pending = []

    body = _without_comments(body, _COMMENT_BLOCK)
    for line in body.splitlines():
        if diagram_end is not None:
            if diagram_end in line.lower():
                diagram_end = None
            continue
        diagram = _DIAGRAM_HTML.match(line)
        if diagram:
            flush()
            closing = f"</{diagram.group(1).lower()}>"
            diagram_end = None if closing in line.lower() else closing
            continue
        if _FENCE.match(line):
            flush()
            if not in_fence:
                pending_kind = "code"
                # Diagram source (Mermaid, PlantUML) is drawing instructions, not text to find.
                skip_fence = bool(_DIAGRAM_FENCE.match(line))
            in_fence = not in_fence
            continue
        if in_fence:
            if not skip_fence:
                pending.append(line.rstrip())
            continue
        heading = _ATX_HEADING.match(line)
        if heading:
            flush()
            level, text = len(heading.group(1)), strip_inline(_heading_text(heading.group(2)))
            if level == 1 and title is None and not blocks and not trail.path:
                title = text
                continue
            trail.enter(level, text)
            blocks.append(Block(text=text, headings=trail.path, is_heading=True))
            continue
        if not line.strip() or _NOISE_LINE.match(line):
            if pending_kind != "list" or not line.strip():
                flush()
                pending_kind = "paragraph"
            continue
        if "|" in line and line.strip().startswith("|"):
            if pending_kind != "table":
                flush()
                pending_kind = "table"
            if not _TABLE_RULE.match(line):
                pending_rows.append(_table_row(line))
            continue
        if _LIST_ITEM.match(line):
            if pending_kind != "list":
                flush()
                pending_kind = "list"
            pending.append(strip_inline(line.strip()))
            continue
        if pending_kind == "list" and pending and line.startswith((" ", "\t")):
            pending[-1] = f"{pending[-1]} {strip_inline(line)}"
            continue
        if pending_kind != "paragraph":
            flush()
            pending_kind = "paragraph"
        pending.append(strip_inline(line))
    flush()
    return blocks, title


def extract_markdown(path: Path, limits: IngestLimits = DEFAULT_LIMITS) -> Extracted:
    meta, body = split_front_matter(read_text_file(path, limits), limits)
    blocks, title = parse_markdown(body)
    if title and "title" not in meta:
        meta["title"] = title
    return Extracted(blocks=blocks, meta=meta)

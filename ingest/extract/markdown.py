"""Markdown with optional YAML front matter: headings become the section path of each block."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ingest.extract import Extracted, ExtractionError
from ingest.extract.headings import HeadingTrail
from ingest.extract.text import read_text_file
from ingest.models import Block

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_ATX_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_DIAGRAM_FENCE = re.compile(r"^\s*(```|~~~)\s*(mermaid|plantuml|puml|dot|graphviz)\b", re.I)
# Jekyll sites draw diagrams from raw HTML: <div class="mermaid">graph LR ...</div>
_DIAGRAM_HTML = re.compile(r"^\s*<(div|pre)\b[^>]*\bclass=[\"'][^\"']*\b(mermaid|plantuml)\b", re.I)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_NOISE_LINE = re.compile(r"^\s*(\{:.*\}|\{%.*%\}|\[\^?[^\]]+\]:\s+\S+.*)\s*$")


def strip_inline(text: str) -> str:
    """Markdown inline syntax to the plain words a reader sees."""
    text = re.sub(r"<!--.*?-->", "", text)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|\{:[^}]*\}", "", text)
    text = re.sub(r"</?[a-zA-Z][^>]*>", " ", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    return " ".join(text.split())


def split_front_matter(source: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(source)
    if not match:
        return {}, source
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        raise ExtractionError(f"ugyldig YAML i front matter: {error}") from error
    if not isinstance(data, dict):
        return {}, source[match.end() :]
    meta = {
        str(k): str(v) for k, v in data.items() if v is not None and not isinstance(v, dict | list)
    }
    return meta, source[match.end() :]


def _table_row(line: str) -> str:
    cells = [strip_inline(cell) for cell in line.strip().strip("|").split("|")]
    return " | ".join(cells)


def parse_markdown(body: str) -> tuple[list[Block], str | None]:
    """Blocks in reading order and the document title taken from a leading level-1 heading."""
    blocks: list[Block] = []
    trail = HeadingTrail()
    title: str | None = None
    pending: list[str] = []
    pending_kind = "paragraph"
    in_fence = skip_fence = False
    diagram_end: str | None = None  # the closing tag of the raw HTML diagram being skipped

    def flush() -> None:
        nonlocal pending
        if pending:
            separator = " " if pending_kind == "paragraph" else "\n"
            text = separator.join(part for part in pending if part)
            if text.strip():
                blocks.append(Block(text=text.strip(), headings=trail.path))
        pending = []

    body = re.sub(r"<!--.*?-->", "", body, flags=re.DOTALL)
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
            level, text = len(heading.group(1)), strip_inline(heading.group(2))
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
                pending.append(_table_row(line))
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


def extract_markdown(path: Path) -> Extracted:
    meta, body = split_front_matter(read_text_file(path))
    blocks, title = parse_markdown(body)
    if title and "title" not in meta:
        meta["title"] = title
    return Extracted(blocks=blocks, meta=meta)

"""A table as HTML for the reading view: a header row of column headers and the body rows,
every cell escaped."""

from __future__ import annotations

import html

from ingest.models import Table


def _cells(tag: str, cells: tuple[str, ...], width: int, scope: str = "") -> str:
    """One row's cells, padded to the table's width so every column lines up."""
    padded = (*cells, *("" for _ in range(width - len(cells))))
    return "".join(f"<{tag}{scope}>{html.escape(cell)}</{tag}>" for cell in padded)


def table_html(table: Table) -> str:
    width = max(len(row) for row in (table.header, *table.rows))
    head = _cells("th", table.header, width, ' scope="col"')
    body = "".join(f"<tr>{_cells('td', row, width)}</tr>" for row in table.rows)
    return (
        '<div class="table-wrap"><table class="doc-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )

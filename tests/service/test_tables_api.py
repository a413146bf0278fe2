"""Tables over the bundled corpus, through a real server with the real model: search results
carry the rows with their column headers, answers never quote pipe-joined cells, and the
reading view draws the table as a table."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.slow

DEADLINE_HEADER = ["Hastegrad", "Frist for svar", "Merknad"]


def test_the_deadline_table_reaches_search_answers_and_the_reading_view_as_a_table(
    live_server: str,
):
    search = httpx.get(
        f"{live_server}/api/search",
        params={"q": "Hastegrad og frist for svar på dialogmelding til fastlegen", "k": 10},
        timeout=60,
    ).json()
    tabled = [
        r for r in search["results"] if r["table"] and r["table"]["header"] == DEADLINE_HEADER
    ]
    assert tabled, [r["source"] for r in search["results"]]
    deadline = tabled[0]
    assert deadline["source"] == "standarder/dialogmeldinger.md"
    assert ["Vanlig", "Innen fem virkedager", "Standard"] in deadline["table"]["rows"]
    assert all(r["table"] is None or r["table"]["header"] for r in search["results"])

    ask = httpx.post(
        f"{live_server}/api/ask",
        json={"question": "Hvor lang tid har vi på å svare på en PLO-melding?"},
        timeout=60,
    ).json()
    assert ask["found"], ask["answer"]
    assert " | " not in ask["answer"]
    assert all("table" in citation for citation in ask["citations"])

    page = httpx.get(f"{live_server}/documents/{deadline['doc_id']}", timeout=60).text
    tables = {
        tuple(re.findall(r'<th scope="col">([^<]*)</th>', table)): table
        for table in re.findall(r"<table.*?</table>", page, re.DOTALL)
    }
    assert tuple(DEADLINE_HEADER) in tables, list(tables)
    assert "<td>Innen fem virkedager</td>" in tables[tuple(DEADLINE_HEADER)]
    assert "Hastegrad | Frist for svar" not in page

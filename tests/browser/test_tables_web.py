"""Tables from the documents are shown as tables — in search results, in answers and in the
reading view — never as cells joined with " | ". Screenshots of the main views are saved to
var/screenshots/ for a person to look at."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from test_web_page import ask, open_page, result_items, search, switch_to_ask

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
TABLE_QUERY = "Hastegrad Frist for svar"  # the reply deadlines table of dialogmeldinger.md
TABLE_QUESTION = "Hvilke svarfrister gjelder for dialogmeldinger?"


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_result_from_a_table_shows_a_table_with_its_column_headers(
    page, live_server: str, api: httpx.Client
) -> None:
    results = api.get("/api/search", params={"q": TABLE_QUERY, "k": 30}).json()["results"]
    first = results[0]
    assert first["table"], "the best hit should be the deadlines table"
    open_page(page, live_server)

    search(page, TABLE_QUERY)

    passage = result_items(page).first.locator(".passage")
    headers = passage.locator("table thead th")
    expect(headers).to_have_text(first["table"]["header"])
    assert " | " not in passage.inner_text()
    screenshot(page, "sok-tabell")
    assert page.console.errors == []


def test_an_answer_quoting_table_rows_shows_them_with_headers_and_the_table_beside(
    page, live_server: str, api: httpx.Client
) -> None:
    reply = api.post("/api/ask", json={"question": TABLE_QUESTION}).json()
    assert reply["found"]
    cited = [c for c in reply["citations"] if c["table"]]
    assert cited, "the answer should cite the deadlines table"
    open_page(page, live_server)
    switch_to_ask(page)

    ask(page, TABLE_QUESTION)

    answer = page.locator("#panel-spor .turn.latest .answer")
    assert " | " not in answer.locator(".answer-text").inner_text()
    expect(answer.locator(".answer-text")).to_contain_text("Hastegrad:")
    expect(answer.locator(".answer-table table thead th").first).to_have_text(
        cited[0]["table"]["header"][0]
    )
    screenshot(page, "svar-tabell")
    assert page.console.errors == []


def test_the_reading_view_renders_the_table_with_column_headers(
    page, live_server: str, api: httpx.Client
) -> None:
    first = api.get("/api/search", params={"q": TABLE_QUERY, "k": 1}).json()["results"][0]
    page.goto(f"{live_server}/documents/{first['doc_id']}")

    table = page.locator("main table").filter(has_text=first["table"]["header"][0]).first
    expect(table.locator("thead th")).to_have_text(first["table"]["header"])
    expect(table.locator("tbody tr")).not_to_have_count(0)
    assert page.console.errors == []


def test_screenshots_of_grouped_results_and_of_no_match(page, live_server: str) -> None:
    open_page(page, live_server)
    search(page, "Hvordan sender kommunen PLO-meldinger?")
    expect(result_items(page).first).to_be_visible()
    screenshot(page, "sok-gruppert")

    search(page, "xqzv plorf")
    expect(page.locator("#sok-innhold")).to_contain_text("Ingen treff som ligner")
    screenshot(page, "ingen-treff")

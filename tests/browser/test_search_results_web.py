"""How the page presents search results: grouped by document, honest when nothing matches,
and reachable from the keyboard."""

from __future__ import annotations

import re
from collections import Counter

import httpx
import pytest
from test_web_page import (
    PAGE_SIZE,
    PER_DOCUMENT,
    api_search,
    open_page,
    result_items,
    search,
    shown_first,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

# One document (the PLO guide) holds most passages about this: the case grouping is for.
CROWDED_QUERY = "Hvordan sender kommunen PLO-meldinger?"


def shown_documents(page) -> list[str]:
    items = result_items(page)
    return [items.nth(i).get_by_role("link").first.inner_text() for i in range(items.count())]


def test_one_document_shows_at_most_two_passages_and_the_rest_on_request(
    page, live_server: str, api: httpx.Client
) -> None:
    pool = api_search(api, CROWDED_QUERY)["results"]
    per_document = Counter(result["doc_id"] for result in pool)
    # the first document in result order with passages beyond PER_DOCUMENT
    count = next(
        per_document[r["doc_id"]] for r in pool if per_document[r["doc_id"]] > PER_DOCUMENT
    )
    open_page(page, live_server)

    search(page, CROWDED_QUERY)

    expected = shown_first(pool)
    expect(result_items(page)).to_have_count(len(expected))
    titles = Counter(shown_documents(page))
    assert max(titles.values()) <= PER_DOCUMENT
    assert len(titles) > 1, "grouping should make room for other documents"
    more = page.get_by_role("button", name=re.compile(r"treff til i dette dokumentet"))
    first_more = more.first
    hidden = count - PER_DOCUMENT
    expect(first_more).to_have_text(f"{hidden} treff til i dette dokumentet")

    first_more.click()

    expect(result_items(page)).to_have_count(len(expected) + hidden)
    assert page.console.errors == []


def test_more_results_add_a_page_and_keep_the_grouping(page, live_server: str) -> None:
    open_page(page, live_server)
    search(page, CROWDED_QUERY)
    before = result_items(page).count()
    assert before == PAGE_SIZE

    page.get_by_role("button", name="Vis flere treff").click()

    expect(result_items(page)).not_to_have_count(before)
    assert result_items(page).count() <= 2 * PAGE_SIZE
    assert max(Counter(shown_documents(page)).values()) <= PER_DOCUMENT


def test_gibberish_says_nothing_resembles_it_and_offers_words_to_try(
    page, live_server: str
) -> None:
    open_page(page, live_server)

    search(page, "xqzv plorf")

    expect(page.locator("#sok-innhold")).to_contain_text("Ingen treff som ligner")
    expect(result_items(page)).to_have_count(0)
    suggestion = page.locator("#sok-innhold .empty ul.examples a").first
    term = suggestion.inner_text()
    with page.expect_response(lambda r: "/api/search" in r.url):
        suggestion.click()
    expect(page.get_by_role("searchbox")).to_have_value(term)
    expect(result_items(page).first).to_be_visible()
    assert page.console.errors == []


def test_slash_takes_the_keyboard_to_the_search_box(page, live_server: str) -> None:
    open_page(page, live_server)
    page.get_by_role("tab", name=re.compile(r"^Søk")).focus()

    page.keyboard.press("/")

    expect(page.get_by_role("searchbox")).to_be_focused()
    expect(page.get_by_role("searchbox")).to_have_value("")

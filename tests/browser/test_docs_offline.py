"""The API documentation at /docs, in Debian's chromium with every request to another host
refused, as on a municipal network without internet: Swagger UI must come from the server."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

# A real server with the real model behind a real browser: slow as well as browser.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

SEARCH_QUERY = "applikasjonskvittering"


class OfflinePage:
    """A page that reaches only 127.0.0.1: requests elsewhere are aborted and listed in
    `refused`; console errors (a CSP refusal is one) and uncaught exceptions are in `errors`."""

    def __init__(self, page) -> None:
        self.page = page
        self.refused: list[str] = []
        self.errors = page.console.errors
        page.route("**/*", self._route)

    def _route(self, route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort()


@pytest.fixture
def docs(page, live_server: str) -> Iterator[OfflinePage]:
    """/docs opened offline, once its operations are shown."""
    offline = OfflinePage(page)
    page.goto(f"{live_server}/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    yield offline


def test_docs_shows_every_operation_of_the_openapi_document_without_internet(
    docs: OfflinePage, live_server: str
) -> None:
    for path in ("/api/search", "/api/ask"):
        expect(docs.page.locator(f'.opblock-summary-path[data-path="{path}"]')).to_be_visible()
    shown = docs.page.locator(".opblock").evaluate_all(
        """blocks => blocks.map(block => [
            block.querySelector('.opblock-summary-method').textContent,
            block.querySelector('.opblock-summary-path').dataset.path,
        ])"""
    )
    paths = httpx.get(f"{live_server}/openapi.json", timeout=30).json()["paths"]
    documented = [[method.upper(), path] for path, methods in paths.items() for method in methods]
    assert sorted(shown) == sorted(documented)
    assert docs.refused == []
    assert docs.errors == []


def test_try_it_out_on_docs_sends_the_request_and_shows_the_answer(
    docs: OfflinePage, live_server: str
) -> None:
    response = httpx.get(f"{live_server}/api/search", params={"q": SEARCH_QUERY}, timeout=60)
    first_title = response.json()["results"][0]["title"]
    search = docs.page.locator(".opblock", has=docs.page.locator('[data-path="/api/search"]'))

    search.locator(".opblock-summary").click()
    search.get_by_role("button", name="Try it out").click()
    search.locator('tr[data-param-name="q"] input').fill(SEARCH_QUERY)
    search.get_by_role("button", name="Execute").click()

    answer = search.locator(".live-responses-table")
    expect(answer.locator("tr.response .response-col_status")).to_have_text("200")
    expect(answer).to_contain_text(first_title)
    assert docs.refused == []
    assert docs.errors == []

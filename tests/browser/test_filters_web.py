"""The web page's filters: built from what GET /api/facets says (labels, counts, order), with a
publisher filter next to the document types, and the server's notices when filters match nothing.

Behaviour specs: what the user sees and clicks, checked against what the API of the same server
returns."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from test_web_page import (
    QUESTION,
    SEARCH_QUERY,
    api_search,
    ask,
    expect,
    open_page,
    result_items,
    search,
    shown_first,
    shown_links,
    switch_to_ask,
)

# A real server with the real model behind a real browser: slow as well as browser.
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def facets(api: httpx.Client) -> dict:
    response = api.get("/api/facets")
    response.raise_for_status()
    return response.json()


def shown_options(page, list_id: str) -> list[str]:
    return [text.strip() for text in page.locator(f"#{list_id} .check label").all_text_contents()]


def open_filters(page) -> None:
    panel = page.locator("#filtre")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    expect(panel).to_have_attribute("open", "")


def top_publisher_with_hits(api: httpx.Client, q: str) -> tuple[str, list[dict]]:
    """The publisher with most documents, and what a search for `q` from it alone finds."""
    top = facets(api)["publishers"][0]["value"]
    filtered = api_search(api, q, publisher=top)["results"]
    assert filtered, f"no hits for {q!r} from {top!r}"
    assert all(r["publisher"] == top for r in filtered)
    return top, filtered


def test_the_filters_show_the_labels_and_counts_the_server_gives_in_its_order(
    page, live_server: str, api: httpx.Client
) -> None:
    given = facets(api)
    assert given["types"] and given["publishers"]
    open_page(page, live_server)
    open_filters(page)

    expect(page.locator("#typer .check")).to_have_count(len(given["types"]))
    assert shown_options(page, "typer") == [f"{t['label']} ({t['count']})" for t in given["types"]]
    assert shown_options(page, "utgivere") == [
        f"{p['label']} ({p['count']})" for p in given["publishers"]
    ]
    first = given["types"][0]
    expect(
        page.get_by_role("checkbox", name=f"{first['label']} ({first['count']})", exact=True)
    ).to_be_visible()
    expect(page.locator("#aar-hint")).to_contain_text(str(given["year_min"]))
    assert page.console.errors == []


def test_choosing_a_publisher_limits_the_results_to_it_and_a_reload_keeps_it(
    page, live_server: str, api: httpx.Client
) -> None:
    top, pool = top_publisher_with_hits(api, SEARCH_QUERY)
    filtered = shown_first(pool)
    unfiltered = api_search(api, SEARCH_QUERY)["results"]
    assert {r["publisher"] for r in unfiltered} != {top}, "the filter would change nothing"
    open_page(page, live_server)
    search(page, SEARCH_QUERY)
    open_filters(page)

    box = page.get_by_role("checkbox", name=re.compile("^" + re.escape(top) + r" \(\d+\)$"))
    with page.expect_response(
        lambda r: "/api/search" in r.url and "publisher=" in r.url
    ) as response:
        box.check()
    assert parse_qs(urlsplit(response.value.url).query)["publisher"] == [top]
    expect(page.locator("#panel-sok")).to_have_attribute("aria-busy", "false")

    expect(result_items(page)).to_have_count(len(filtered))
    assert shown_links(page) == [r["url"] for r in filtered]
    for fact in page.locator("#panel-sok ol.results .facts").all_text_contents():
        assert fact.startswith(top)
    assert parse_qs(urlsplit(page.url).query)["utgiver"] == [top]
    expect(page.locator("#filter-antall")).to_have_text("(1 aktivt)")

    page.reload()
    page.wait_for_load_state("networkidle")
    expect(result_items(page)).to_have_count(len(filtered))
    open_filters(page)
    expect(box).to_be_checked()
    assert shown_links(page) == [r["url"] for r in filtered]
    expect(page.locator("#filter-antall")).to_have_text("(1 aktivt)")
    assert page.console.errors == []


def test_a_question_sends_the_chosen_publisher(page, live_server: str, api: httpx.Client) -> None:
    top = facets(api)["publishers"][0]["value"]
    open_page(page, live_server)
    switch_to_ask(page)
    open_filters(page)
    page.get_by_role("checkbox", name=re.compile("^" + re.escape(top) + r" \(\d+\)$")).check()

    request = ask(page, QUESTION)
    assert request.post_data_json["filters"]["publisher"] == [top]
    reply = request.response().json()
    assert all(c["publisher"] == top for c in reply["citations"])
    assert parse_qs(urlsplit(page.url).query)["utgiver"] == [top]
    assert page.console.errors == []


def test_a_link_with_a_publisher_no_document_has_shows_the_servers_notice(
    page, live_server: str, api: httpx.Client
) -> None:
    unknown = "Ingen slik utgiver"
    expected = api_search(api, SEARCH_QUERY, publisher=unknown)["notices"]
    assert expected
    open_page(page, live_server, f"?q={SEARCH_QUERY}&modus=sok&utgiver={unknown.replace(' ', '+')}")

    expect(page.locator("#panel-sok .filter-notice")).to_have_text(" ".join(expected))
    expect(result_items(page)).to_have_count(0)
    open_filters(page)
    expect(page.get_by_role("checkbox", name=unknown, exact=True)).to_be_checked()
    assert page.console.errors == []


def test_when_the_facets_cannot_be_had_yet_the_page_works_and_builds_the_filters_later(
    page, live_server: str, api: httpx.Client
) -> None:
    given = facets(api)
    refused = []

    def first_one_refused(route) -> None:
        if not refused:
            refused.append(route.request.url)
            route.fulfill(
                status=503,
                content_type="application/json",
                body='{"detail": "Indeksen bygges."}',
            )
        else:
            route.continue_()

    page.route("**/api/facets", first_one_refused)
    open_page(page, live_server)
    assert refused
    search(page, SEARCH_QUERY)
    expect(result_items(page).first).to_be_visible()

    open_filters(page)
    expect(page.locator("#typer .check")).to_have_count(len(given["types"]), timeout=15_000)
    assert shown_options(page, "typer") == [f"{t['label']} ({t['count']})" for t in given["types"]]
    expect(page.locator("#utgivere .check")).to_have_count(len(given["publishers"]))
    badges = page.locator("#panel-sok ol.results .badge").all_text_contents()
    labels = {t["label"] for t in given["types"]}
    assert badges and set(badges) <= labels
    # the failed request shows in the console as a failed resource, nothing else
    assert [e for e in page.console.errors if "503" not in e] == []


@pytest.mark.parametrize(("name", "width"), [("desktop", 1280), ("390", 390)])
def test_the_open_filter_panel_fits_the_screen(
    page, live_server: str, tmp_path, name: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 1000 if width > 500 else 844})
    open_page(page, live_server)
    search(page, SEARCH_QUERY)
    open_filters(page)
    publisher = page.locator("#utgivere .check input").first
    publisher.check()
    expect(page.locator("#panel-sok")).to_have_attribute("aria-busy", "false")

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    expect(publisher).to_be_visible()
    expect(page.locator("#typer .check input").first).to_be_visible()
    page.screenshot(path=str(tmp_path / f"filters-{name}.png"), full_page=True)
    assert page.console.errors == []

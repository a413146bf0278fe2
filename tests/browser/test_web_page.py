"""The web page at `/`, driven in Debian's chromium through Playwright.

Behaviour specs: what a user sees and can do, checked against what the API returns for the
same request on the same server."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

# A real server with the real model behind a real browser: slow as well as browser.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

SEARCH_QUERY = "applikasjonskvittering"
OTHER_QUERY = "PLO-meldinger"
QUESTION = "Hva er en transportkvittering?"
FOLLOW_UP = "Hva skjer hvis den ikke kommer?"
TYPE_LABELS = {
    "referansearkitektur": "Referansearkitektur",
    "standard": "Standard",
    "erfaringsrapport": "Erfaringsrapport",
    "veileder": "Veileder",
    "annet": "Annet",
}


# ------------------------------------------------------------------------------------------
# Fixtures and helpers


PAGE_SIZE = 10  # passages the page shows at first
POOL_SIZE = 30  # passages it fetches to fill them
PER_DOCUMENT = 2  # of one document, before "N treff til i dette dokumentet"


def api_search(api: httpx.Client, q: str, **params: object) -> dict:
    response = api.get("/api/search", params={"q": q, "k": POOL_SIZE, **params})
    response.raise_for_status()
    return response.json()


def shown_first(results: list[dict]) -> list[dict]:
    """The passages the page shows before any expanding: documents in the order of their best
    passage, at most PER_DOCUMENT of each, PAGE_SIZE in all."""
    by_document: dict[str, list[dict]] = {}
    for result in results:
        by_document.setdefault(result["doc_id"], []).append(result)
    shown: list[dict] = []
    for passages in by_document.values():
        shown.extend(passages[: min(PER_DOCUMENT, PAGE_SIZE - len(shown))])
        if len(shown) >= PAGE_SIZE:
            break
    return shown


def open_page(page, live_server: str, query: str = "") -> None:
    page.goto(f"{live_server}/{query}")
    page.wait_for_load_state("networkidle")


def search(page, q: str) -> None:
    """Type a query in the search box and press Enter; wait until the results are shown."""
    box = page.get_by_role("searchbox")
    box.fill(q)
    with page.expect_response(lambda r: "/api/search" in r.url):
        box.press("Enter")
    expect(page.locator("#panel-sok")).to_have_attribute("aria-busy", "false")


def ask(page, question: str):
    """Type a question in Spør mode and press Enter; return the request the page sent."""
    box = page.get_by_role("searchbox")
    box.fill(question)
    with page.expect_response(lambda r: "/api/ask" in r.url) as response:
        box.press("Enter")
    expect(page.locator("#panel-spor")).to_have_attribute("aria-busy", "false")
    return response.value.request


def words(text: str) -> list[str]:
    return text.replace("|", " ").split()


def result_items(page):
    """The passages shown in the result list (not those folded into their document)."""
    return page.locator("#panel-sok ol.results > li.result-item:not([hidden])")


def shown_links(page) -> list[str | None]:
    items = result_items(page)
    return [
        items.nth(i).get_by_role("link").first.get_attribute("href") for i in range(items.count())
    ]


def switch_to_ask(page) -> None:
    tab = page.get_by_role("tab", name=re.compile(r"^Spør"))
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")


# ------------------------------------------------------------------------------------------
# Specs


def test_the_page_loads_without_console_errors_and_offers_a_labelled_search_box(
    page, live_server: str
) -> None:
    open_page(page, live_server)

    box = page.get_by_role("searchbox")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("type", "search")
    expect(page.get_by_label("Søk i dokumentene")).to_have_attribute("type", "search")
    expect(page.get_by_role("tab", name=re.compile(r"^Søk"))).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.get_by_role("tab", name=re.compile(r"^Spør"))).to_be_visible()
    # the document-type filter is built from the catalog
    expect(page.get_by_role("checkbox").first).to_be_visible()
    assert page.locator('head link[rel="icon"]').count() == 1
    assert page.console.errors == []


def test_enter_in_the_search_box_lists_results_that_link_to_their_sources(
    page, live_server: str, api: httpx.Client
) -> None:
    pool = api_search(api, SEARCH_QUERY)["results"]
    expected = shown_first(pool)
    assert expected, "the sample index should have hits for the query"
    open_page(page, live_server)

    search(page, SEARCH_QUERY)

    items = result_items(page)
    expect(items).to_have_count(len(expected))
    expect(page.locator("#sok-status")).to_contain_text(f"{len(pool)} treff")
    for i, result in enumerate(expected):
        item = items.nth(i)
        link = item.get_by_role("link").first
        expect(link).to_contain_text(result["title"])
        assert link.get_attribute("href") == result["url"]
        assert link.get_attribute("target") == "_blank"
        assert "noopener" in (link.get_attribute("rel") or "")
        expect(item).to_contain_text(TYPE_LABELS.get(result["doc_type"], ""))
        if result["page"]:
            expect(item).to_contain_text(f"s. {result['page']}")
    assert page.console.errors == []


def test_query_words_are_highlighted_where_the_server_marked_them(
    page, live_server: str, api: httpx.Client
) -> None:
    expected = shown_first(api_search(api, SEARCH_QUERY)["results"])
    open_page(page, live_server)

    search(page, SEARCH_QUERY)

    marks = page.locator("#panel-sok mark")
    expect(marks.first).to_be_visible()
    for text in marks.all_text_contents():
        assert text.lower().startswith(SEARCH_QUERY[:-3])  # same stem as the query word
    items = result_items(page)
    for i, result in enumerate(expected):
        wanted = [result["text"][start:end] for start, end in result["highlights"]]
        assert items.nth(i).locator("mark").all_text_contents() == wanted
        start, end = result["best_sentence"]
        # a table row shows its cells in columns where the text joins them with " | "
        best = items.nth(i).locator(".best").inner_text()
        assert words(best) == words(result["text"][start:end])


def test_a_passage_opens_by_itself_when_its_closest_sentence_is_below_the_fold(
    page, live_server: str, api: httpx.Client
) -> None:
    # Its passages include long ones (tables among them) whose closest sentence or row lies
    # far below the five lines a passage shows at first.
    expected = shown_first(api_search(api, SEARCH_QUERY)["results"])
    open_page(page, live_server)

    search(page, SEARCH_QUERY)

    items = result_items(page)
    expect(items).to_have_count(len(expected))
    for i in range(len(expected)):
        passage = items.nth(i).locator(".passage")
        best_bottom = items.nth(i).locator(".best").bounding_box()
        box = passage.bounding_box()
        assert best_bottom["y"] + best_bottom["height"] <= box["y"] + box["height"] + 1
    toggles = [items.nth(i).locator(".more").text_content() for i in range(len(expected))]
    assert "Vis mindre" in toggles, "some passage should have opened to show its closest sentence"
    expect(items.nth(0).locator(".passage")).to_have_class(re.compile(r"\bclamped\b"))


def test_asking_shows_an_answer_whose_markers_lead_to_the_listed_citations(
    page, live_server: str, api: httpx.Client
) -> None:
    reply = api.post("/api/ask", json={"question": QUESTION}).json()
    assert reply["found"], "the sample index should answer the question"
    cited = {c["n"]: c for c in reply["citations"]}
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", reply["answer"])]
    assert markers
    open_page(page, live_server)

    switch_to_ask(page)
    ask(page, QUESTION)

    latest = page.locator("#panel-spor .turn.latest")
    expect(latest.locator(".answer-text")).to_have_text(reply["answer"])
    links = latest.locator(".answer-text a.ref")
    expect(links).to_have_count(len(markers))
    citations = latest.locator("ol.citations > li")
    expect(citations).to_have_count(len(reply["citations"]))
    for i, n in enumerate(markers):
        expect(links.nth(i)).to_have_text(f"[{n}]")
        citation = latest.locator(f'ol.citations > li[data-n="{n}"]')
        expect(citation).to_have_count(1)
        expect(citation).to_contain_text(cited[n]["title"])
        assert citation.get_by_role("link").first.get_attribute("href") == cited[n]["url"]

    last = links.nth(len(markers) - 1)
    n = markers[-1]
    last.click()
    target = latest.locator(f'ol.citations > li[data-n="{n}"]')
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()
    assert page.console.errors == []


def test_a_follow_up_question_sends_the_conversation_and_ny_samtale_forgets_it(
    page, live_server: str
) -> None:
    open_page(page, live_server)
    switch_to_ask(page)

    first = ask(page, QUESTION)
    assert json.loads(first.post_data)["history"] == []
    second = ask(page, FOLLOW_UP)
    history = json.loads(second.post_data)["history"]
    assert [turn["role"] for turn in history] == ["user", "assistant"]
    assert history[0]["content"] == QUESTION
    expect(page.locator("#panel-spor .turn-question").first).to_have_text(
        re.compile(re.escape(FOLLOW_UP))
    )
    expect(page.locator("#panel-spor .earlier")).to_contain_text(QUESTION)

    page.get_by_role("button", name="Ny samtale").click()
    expect(page.locator("#panel-spor .turn")).to_have_count(0)
    third = ask(page, QUESTION)
    assert json.loads(third.post_data)["history"] == []


def test_a_misspelled_search_and_a_follow_up_say_what_was_searched_for(
    page, live_server: str, api: httpx.Client
) -> None:
    corrected = api_search(api, "helsid innlogging")["corrected_query"]
    assert corrected == "helseid innlogging"
    open_page(page, live_server)

    search(page, "helsid innlogging")
    expect(page.locator("#sok-status")).to_contain_text(f"søkte etter «{corrected}»")

    switch_to_ask(page)
    ask(page, "Hva er HelseID?")
    ask(page, "Hvem drifter den?")
    expect(page.locator("#panel-spor .turn.latest .searched-as")).to_have_text(
        "Søkte etter «Hvem drifter HelseID?»"
    )
    assert page.console.errors == []


def test_a_document_type_filter_limits_results_to_that_type(
    page, live_server: str, api: httpx.Client
) -> None:
    # A type other than the best hit's, so the filter visibly changes the results.
    unfiltered = api_search(api, OTHER_QUERY)["results"]
    present = {d["doc_type"] for d in api.get("/api/documents").json()}
    candidates = [t for t in TYPE_LABELS if t in present and t != unfiltered[0]["doc_type"]]
    for wanted in candidates:
        filtered = api_search(api, OTHER_QUERY, type=wanted)["results"]
        if filtered:
            break
    else:
        pytest.fail(f"no other document type has hits for {OTHER_QUERY!r}")
    assert all(r["doc_type"] == wanted for r in filtered)
    open_page(page, live_server)
    search(page, OTHER_QUERY)

    box = page.get_by_role("checkbox", name=re.compile("^" + TYPE_LABELS[wanted]))
    with page.expect_response(lambda r: "/api/search" in r.url and f"type={wanted}" in r.url):
        box.check()
    expect(page.locator("#panel-sok")).to_have_attribute("aria-busy", "false")

    shown = shown_first(filtered)
    items = result_items(page)
    expect(items).to_have_count(len(shown))
    badges = page.locator("#panel-sok ol.results .badge")
    assert set(badges.all_text_contents()) == {TYPE_LABELS[wanted]}
    assert shown_links(page) == [r["url"] for r in shown]
    assert parse_qs(urlsplit(page.url).query)["type"] == [wanted]


@pytest.mark.parametrize("modus", ["sok", "spor"])
def test_an_over_long_query_shows_the_servers_error_detail(
    page, live_server: str, api: httpx.Client, modus: str
) -> None:
    too_long = ("kvittering " * 200)[:2001]
    if modus == "sok":
        response = api.get("/api/search", params={"q": too_long})
    else:
        response = api.post("/api/ask", json={"question": too_long})
    assert response.status_code == 422
    detail = response.json()["detail"]
    open_page(page, live_server)
    if modus == "spor":
        switch_to_ask(page)

    box = page.get_by_role("searchbox")
    box.fill(too_long)
    box.press("Enter")

    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(detail)
    expect(page.get_by_role("searchbox")).to_be_visible()
    assert not [e for e in page.console.errors if e.startswith("uncaught")]


def test_the_url_holds_the_query_and_a_reload_restores_the_results(page, live_server: str) -> None:
    open_page(page, live_server)
    search(page, OTHER_QUERY)
    links = shown_links(page)
    assert links

    params = parse_qs(urlsplit(page.url).query)
    assert params["q"] == [OTHER_QUERY]
    assert params["modus"] == ["sok"]

    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("searchbox")).to_have_value(OTHER_QUERY)
    expect(result_items(page)).to_have_count(len(links))
    assert shown_links(page) == links
    assert page.console.errors == []


def test_a_shared_link_in_spor_mode_shows_the_answer(page, live_server: str) -> None:
    with page.expect_response(lambda r: "/api/ask" in r.url):
        page.goto(f"{live_server}/?" + urlencode({"q": QUESTION, "modus": "spor"}))
    expect(page.get_by_role("tab", name=re.compile(r"^Spør"))).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.locator("#panel-spor .turn.latest .turn-question")).to_contain_text(QUESTION)
    expect(page.locator("#panel-spor .turn.latest ol.citations > li").first).to_be_visible()

    page.reload()
    expect(page.locator("#panel-spor .turn.latest .turn-question")).to_contain_text(QUESTION)
    assert parse_qs(urlsplit(page.url).query)["modus"] == ["spor"]


def test_browser_back_returns_to_the_previous_results(page, live_server: str) -> None:
    open_page(page, live_server)
    search(page, SEARCH_QUERY)
    first_links = shown_links(page)
    search(page, OTHER_QUERY)
    assert shown_links(page) != first_links

    page.go_back()
    expect(page.get_by_role("searchbox")).to_have_value(SEARCH_QUERY)
    expect(result_items(page).first).to_be_visible()
    assert shown_links(page) == first_links
    assert parse_qs(urlsplit(page.url).query)["q"] == [SEARCH_QUERY]


def test_at_360_pixels_wide_the_page_fits_and_filters_can_be_opened(page, live_server: str) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    open_page(page, live_server)
    search(page, SEARCH_QUERY)
    expect(result_items(page).first).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    checkbox = page.get_by_role("checkbox").first
    if not checkbox.is_visible():
        page.locator("#filtre summary").click()
    expect(checkbox).to_be_visible()
    assert page.console.errors == []


def test_the_page_can_be_used_with_the_keyboard(page, live_server: str) -> None:
    open_page(page, live_server)
    page.get_by_role("searchbox").focus()
    page.keyboard.type(SEARCH_QUERY)
    with page.expect_response(lambda r: "/api/search" in r.url):
        page.keyboard.press("Enter")
    expect(result_items(page).first).to_be_visible()

    # The tabs are reachable and switch with Enter; arrow keys move between them.
    search_tab = page.get_by_role("tab", name=re.compile(r"^Søk"))
    search_tab.focus()
    page.keyboard.press("ArrowRight")
    ask_tab = page.get_by_role("tab", name=re.compile(r"^Spør"))
    expect(ask_tab).to_be_focused()
    page.keyboard.press("Enter")
    expect(ask_tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("button", name=re.compile(r"^Spør"))).to_be_visible()


def test_when_no_answer_is_found_the_page_says_so_and_lists_the_closest_passages(
    page, live_server: str, api: httpx.Client
) -> None:
    question = "Hvem vant fotball-VM i 1998?"
    reply = api.post("/api/ask", json={"question": question}).json()
    assert not reply["found"], "an off-topic question should find no answer"
    open_page(page, live_server)
    switch_to_ask(page)

    ask(page, question)

    latest = page.locator("#panel-spor .turn.latest")
    notice = latest.locator(".notice")
    expect(notice).to_contain_text("Fant ikke noe sikkert svar")
    expect(notice).to_contain_text(reply["answer"])
    expect(latest.locator(".answer-text")).to_have_count(0)
    expect(latest.get_by_role("heading", name="Nærmeste avsnitt")).to_be_visible()
    citations = latest.locator("ol.citations > li")
    expect(citations).to_have_count(len(reply["citations"]))
    for i, citation in enumerate(reply["citations"]):
        link = citations.nth(i).get_by_role("link").first
        assert link.get_attribute("href") == citation["url"]


def test_typing_a_question_and_then_choosing_spor_asks_it(page, live_server: str) -> None:
    open_page(page, live_server)
    page.get_by_role("searchbox").fill(QUESTION)

    with page.expect_response(lambda r: "/api/ask" in r.url) as response:
        page.get_by_role("tab", name=re.compile(r"^Spør")).click()

    assert json.loads(response.value.request.post_data)["question"] == QUESTION
    expect(page.locator("#panel-spor")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#panel-spor .turn.latest .turn-question")).to_contain_text(QUESTION)


def test_switching_to_spor_after_a_search_does_not_ask_the_search_words(
    page, live_server: str
) -> None:
    open_page(page, live_server)
    search(page, SEARCH_QUERY)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/ask" in r.url else None)

    switch_to_ask(page)

    page.wait_for_timeout(300)
    assert asked == []
    first = ask(page, QUESTION)
    assert json.loads(first.post_data)["history"] == []
    page.get_by_role("tab", name=re.compile(r"^Søk")).click()
    expect(page.get_by_role("searchbox")).to_have_value(SEARCH_QUERY)
    expect(result_items(page).first).to_be_visible()


def test_on_a_first_start_the_page_searches_by_keyword_at_once_and_in_full_when_built(
    page, small_corpus: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import serve

    # Fault injection: embedding waits for a signal, standing in for a slow first ingest.
    release = threading.Event()
    real_embed = embedder.embed_passages
    monkeypatch.setattr(
        embedder, "embed_passages", lambda *a, **kw: release.wait(120) and real_embed(*a, **kw)
    )
    with serve(tmp_path / "index", embedder, corpus_dir=small_corpus) as running:
        building = running.engine.build_first_index()
        try:
            page.goto(f"{running.url}/?q=utskrivningsrapport")
            status = page.locator("#indeks-status")
            expect(status).to_contain_text(re.compile(r"Indeksen bygges \(\d+ %\)"))
            expect(status).to_contain_text("Søk på nøkkelord virker allerede")
            expect(status).to_have_attribute("role", "status")
            # keyword search answers while the embeddings are being built
            expect(result_items(page).first).to_contain_text("Utskrivningsrapport")
            expect(page.locator("#sok-innhold")).to_contain_text("bare på nøkkelord")
        finally:
            release.set()
            building.join(120)
        expect(status).to_be_hidden(timeout=30_000)
        # the page searched again, in full, by itself
        expect(page.locator("#sok-innhold")).not_to_contain_text("bare på nøkkelord")
        expect(result_items(page).first).to_contain_text("Utskrivningsrapport")
        # Until the files are read /readyz, which the page polls, rightly answers 503, and
        # Chromium logs each such answer; nothing else may go wrong.
        assert [e for e in page.console.errors if "status of 503" not in e] == []

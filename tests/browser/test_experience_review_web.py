"""From a municipality's upload to a search hit, all in the browser: a report sent on
/erfaringer cannot be found while it waits for review; once a maintainer approves it on /admin
it is filed in the corpus, ingested, and found as an experience report from that municipality.
The server runs over a copy of a small corpus, since approval writes into the corpus."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from test_experiences_web import fill_form, open_form
from test_web_page import open_page, result_items, search

from index.build import build_index
from index.embedder import Embedder
from tests.conftest import serve
from tests.documents import write_corpus

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

TOKEN = "review-token"
WORD = "kvasirulle"  # in no document until the report is approved
REPORT = f"# Erfaringer med {WORD}\n\nVi prøvde {WORD} i hjemmetjenesten i et halvt år.\n".encode()


@pytest.fixture(scope="module")
def review_server(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[str]:
    root = tmp_path_factory.mktemp("review")
    corpus = write_corpus(root / "corpus")
    build_index(corpus, root / "index", embedder)
    with serve(root / "index", embedder, corpus_dir=corpus, admin_token=TOKEN) as running:
        yield running.url


def found(server: str) -> list[dict]:
    return httpx.get(f"{server}/api/search", params={"q": WORD}, timeout=60).json()["results"]


def wait_until_found(server: str, seconds: float = 300) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        results = [r for r in found(server) if WORD in r["text"].lower()]
        if results:
            return results
        time.sleep(1)
    raise AssertionError(f"the approved report was not searchable within {seconds} s")


def test_a_report_is_invisible_until_approved_and_searchable_after(
    page, review_server: str
) -> None:
    open_form(page, review_server)
    fill_form(page, f"{WORD}.md", REPORT)
    with page.expect_response(lambda r: r.url.endswith("/api/experiences")) as sent:
        page.get_by_role("button", name="Send rapporten").click()
    assert sent.value.status == 202

    open_page(page, review_server)
    search(page, WORD)
    expect(result_items(page)).to_have_count(0)

    page.goto(f"{review_server}/admin")
    page.evaluate(f"() => sessionStorage.setItem('refark-admin-token', '{TOKEN}')")
    page.reload()
    card = page.locator("article.admin-card").filter(has_text="Kvasirulle i hjemmetjenesten")
    with page.expect_response(lambda r: r.url.endswith("/approve")) as approved:
        card.get_by_role("button", name="Godkjenn").click()
    assert approved.value.status == 200

    hits = wait_until_found(review_server)
    assert hits[0]["doc_type"] == "erfaringsrapport"
    assert hits[0]["publisher"] == "Nettvik kommune"
    open_page(page, review_server)
    search(page, WORD)
    expect(result_items(page).first).to_contain_text("Erfaringsrapport")
    assert page.console.errors == []

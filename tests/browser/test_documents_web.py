"""The documents list (/dokumenter) and the reading view in Debian's chromium: one site frame,
a list that opens every document, and a layout that holds at phone width.

Behaviour specs: what a reader sees and clicks, checked against GET /api/documents of the same
server. Screenshots for people land in var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

# A real server with the real model behind a real browser: slow as well as browser.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 375, "height": 812}
EXAMPLE_SOURCE = "standarder/dialogmeldinger.md"  # a standard dated 2024-10-21


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def example(api: httpx.Client) -> dict:
    documents = api.get("/api/documents").raise_for_status().json()
    return next(d for d in documents if d["source"] == EXAMPLE_SOURCE)


def open_path(page, live_server: str, path: str) -> None:
    page.goto(f"{live_server}{path}")
    page.wait_for_load_state("networkidle")


def expect_site_header(page) -> None:
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="Refark")).to_be_visible()
    navigation = header.get_by_role("navigation", name="Hovedmeny")
    for name in ("Søk", "Dokumenter", "Del en erfaring", "Administrasjon"):
        expect(navigation.get_by_role("link", name=name, exact=True)).to_be_visible()


def test_the_documents_list_opens_a_reading_view_in_the_same_frame(
    page, live_server: str, api: httpx.Client
) -> None:
    documents = api.get("/api/documents").raise_for_status().json()
    chosen = example(api)
    open_path(page, live_server, "/dokumenter")

    expect_site_header(page)
    expect(page.get_by_role("link", name="Dokumenter", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("table.document-table tbody tr")).to_have_count(len(documents))
    expect(page.get_by_text(f"{len(documents)} dokumenter", exact=True)).to_be_visible()
    screenshot(page, "dokumenter.png")

    page.get_by_role("link", name=chosen["title"], exact=True).click()
    page.wait_for_load_state("networkidle")

    assert page.url == chosen["url"]
    expect_site_header(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(chosen["title"])
    expect(page.get_by_role("link", name="← Til søket")).to_have_attribute("href", "/")
    facts = page.locator(".document-head .facts")
    expect(facts.locator(".badge")).to_have_text("Standard")
    expect(facts.locator("time")).to_have_text("21. oktober 2024")
    screenshot(page, "lesevisning.png")
    assert page.console.errors == []


def test_a_contents_entry_takes_the_reader_to_its_heading(
    page, live_server: str, api: httpx.Client
) -> None:
    open_path(page, live_server, f"/documents/{example(api)['doc_id']}")
    entry = page.locator("nav.toc li a").nth(1)
    target = entry.get_attribute("href")
    title = entry.inner_text()

    entry.click()

    assert page.url.endswith(target)
    heading = page.locator(f".document-body {target}")
    expect(heading).to_have_text(title)
    expect(heading).to_be_in_viewport()


def test_the_type_links_narrow_the_list_to_what_the_api_lists(
    page, live_server: str, api: httpx.Client
) -> None:
    documents = api.get("/api/documents").raise_for_status().json()
    standards = sorted(d["title"] for d in documents if d["doc_type"] == "standard")
    open_path(page, live_server, "/dokumenter")

    page.get_by_role("navigation", name="Dokumenttype").get_by_role(
        "link", name=f"Standard ({len(standards)})"
    ).click()
    page.wait_for_load_state("networkidle")

    assert page.url.endswith("/dokumenter?type=standard")
    shown = page.locator("table.document-table tbody th a").all_inner_texts()
    assert sorted(shown) == standards
    expect(page.locator(".document-table .badge")).to_have_text(["Standard"] * len(standards))


@pytest.mark.parametrize("which", ["dokumenter", "lesevisning"])
def test_at_phone_width_the_header_has_air_and_nothing_runs_off_the_side(
    page, live_server: str, api: httpx.Client, which: str
) -> None:
    page.set_viewport_size(PHONE)
    path = "/dokumenter" if which == "dokumenter" else f"/documents/{example(api)['doc_id']}"
    open_path(page, live_server, path)

    brand = page.get_by_role("banner").get_by_role("link", name="Refark").bounding_box()
    heading = page.get_by_role("heading", level=1).bounding_box()
    header = page.get_by_role("banner").bounding_box()
    assert brand["y"] > 0
    assert heading["y"] > header["y"] + header["height"]
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    if which == "dokumenter":
        # The table is wider than a phone: it scrolls inside its own box.
        region = page.locator(".table-scroll")
        assert region.evaluate("box => box.scrollWidth > box.clientWidth")
    else:
        screenshot(page, "lesevisning-mobil.png")
    assert page.console.errors == []

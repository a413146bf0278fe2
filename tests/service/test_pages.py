"""The server-rendered pages: the reading view and the documents list in one site frame, with
the search page's type labels and Norwegian dates, checked against the API of the same server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from index.embedder import Embedder
from service.pages import long_date, long_time, render
from tests.conftest import serve

NAVIGATION = {
    "Søk": "/",
    "Dokumenter": "/dokumenter",
    "Del en erfaring": "/erfaringer",
    "Administrasjon": "/admin",
}


def soup(response: httpx.Response) -> BeautifulSoup:
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def opened(server: str, href: str, **params: str) -> BeautifulSoup:
    # No `params` at all when none are given: httpx would drop the query `href` carries.
    return soup(httpx.get(f"{server}{href}", params=params or None, timeout=30))


def catalog(server: str) -> list[dict]:
    response = httpx.get(f"{server}/api/documents", timeout=30)
    response.raise_for_status()
    return response.json()


def listed(page: BeautifulSoup) -> dict[str, str]:
    """The documents list's rows: link target -> title."""
    return {a["href"]: a.get_text() for a in page.select("table.document-table tbody th a")}


def assert_site_frame(page: BeautifulSoup, current: str | None) -> None:
    assert page.html["lang"] == "nb"
    header = page.select_one("header.site-header")
    assert header.select_one("a.brand").get_text(strip=True) == "Refark"
    links = header.select("nav.site-nav a")
    assert {a.get_text(): a["href"] for a in links} == NAVIGATION
    assert [a["href"] for a in links if a.get("aria-current") == "page"] == (
        [current] if current else []
    )
    assert page.select_one("main#innhold") and page.select_one("footer.site-footer")
    sheets = [link["href"] for link in page.select('link[rel="stylesheet"]')]
    assert {"/static/style.css", "/static/tables.css", "/static/pages.css"} <= set(sheets)
    # The CSP allows no inline script or style.
    assert not page.select("script") and not page.select("style") and not page.select("[style]")


# ------------------------------------------------------------------------------------------
# Formatting, no server needed


def test_whole_dates_read_as_norwegian_long_dates_and_partial_dates_as_given():
    assert long_date("2024-10-21") == "21. oktober 2024"
    assert long_date("2024-03-08") == "8. mars 2024"
    assert long_date("2024") == "2024"
    assert long_date("2024-10") == "2024-10"
    assert long_date("2024-02-30") == "2024-02-30"
    assert long_date("") == ""


def test_the_ingest_time_is_shown_in_norwegian_time():
    assert long_time("2024-10-21T22:30:00+00:00") == "22. oktober 2024 kl. 00.30"
    assert long_time("2024-12-01T08:05:00+00:00") == "1. desember 2024 kl. 09.05"


def test_the_frame_escapes_its_title_and_marks_the_current_section():
    page = BeautifulSoup(render("<b>«Plan» & co</b>", "<p>x</p>", current="/dokumenter"), "lxml")
    assert page.title.get_text() == "<b>«Plan» & co</b> – Refark"
    assert_site_frame(page, current="/dokumenter")


# ------------------------------------------------------------------------------------------
# The reading view


def test_reading_view_has_the_site_header_the_type_label_and_a_long_date(live_server: str):
    entry = next(e for e in catalog(live_server) if e["source"] == "standarder/dialogmeldinger.md")
    assert (entry["doc_type"], entry["date"]) == ("standard", "2024-10-21")
    page = soup(httpx.get(entry["url"], timeout=30))
    assert_site_frame(page, current=None)
    assert page.h1.get_text() == entry["title"]
    facts = page.select_one(".document-head .facts")
    assert facts.select_one(".badge.badge-standard").get_text() == "Standard"
    assert facts.time.get_text() == "21. oktober 2024" and facts.time["datetime"] == "2024-10-21"
    assert entry["publisher"] in facts.get_text()
    assert f"{entry['chunk_count']} avsnitt" in facts.get_text()
    assert "standard ·" not in facts.get_text() and "2024-10-21" not in facts.get_text()


def test_reading_view_links_back_to_the_search_and_to_the_original_file(live_server: str):
    entry = next(e for e in catalog(live_server) if e["file_format"] == "pdf")
    page = soup(httpx.get(entry["url"], timeout=30))
    back = page.select_one("nav.breadcrumb a")
    assert (back.get_text(), back["href"]) == ("← Til søket", "/")
    original = page.find("a", string="Åpne originalfilen")
    assert live_server + original["href"] == entry["file_url"]
    assert httpx.get(entry["file_url"], timeout=30).headers["content-type"] == "application/pdf"
    assert f"{entry['page_count']} sider" in page.select_one(".facts").get_text()


def test_the_contents_link_to_every_heading_in_order(live_server: str):
    with_contents = 0
    for entry in catalog(live_server):
        page = soup(httpx.get(entry["url"], timeout=30))
        headings = page.select(".document-body :is(h2, h3, h4, h5, h6)")
        contents = page.select("nav.toc li a")
        assert [a["href"] for a in contents] == [f"#{h['id']}" for h in headings], entry["source"]
        assert [a.get_text() for a in contents] == [h.get_text() for h in headings]
        with_contents += bool(contents)
    assert with_contents >= len(catalog(live_server)) // 2


# ------------------------------------------------------------------------------------------
# The documents list


def test_the_documents_list_shows_every_document_with_a_link_that_opens(live_server: str):
    documents = catalog(live_server)
    page = opened(live_server, "/dokumenter")
    assert_site_frame(page, current="/dokumenter")
    rows = listed(page)
    assert rows == {f"/documents/{e['doc_id']}": e["title"] for e in documents}
    assert page.select_one(".count").get_text() == f"{len(documents)} dokumenter"
    for href, title in rows.items():
        assert opened(live_server, href).h1.get_text() == title


def test_a_row_shows_type_label_publisher_long_date_pages_and_passages(live_server: str):
    entry = next(e for e in catalog(live_server) if e["source"] == "standarder/dialogmeldinger.md")
    page = opened(live_server, "/dokumenter")
    link = page.select_one(f'tbody th a[href="/documents/{entry["doc_id"]}"]')
    cells = [cell.get_text(strip=True) for cell in link.find_parent("tr").find_all("td")]
    pages = str(entry["page_count"]) if entry["page_count"] else "–"
    expected = ["Standard", entry["publisher"], "21. oktober 2024", pages]
    assert cells == [*expected, str(entry["chunk_count"])]


@pytest.mark.parametrize("asked", ["standard", "STANDARD", "Erfaringsrapport"])
def test_a_type_narrows_the_list_by_key_or_label_in_any_case(live_server: str, asked: str):
    key = asked.lower()
    wanted = {f"/documents/{e['doc_id']}" for e in catalog(live_server) if e["doc_type"] == key}
    assert wanted
    page = opened(live_server, "/dokumenter", type=asked)
    assert set(listed(page)) == wanted
    label = asked.capitalize()
    assert page.select_one(".count").get_text() == f"{len(wanted)} dokumenter av typen {label}"
    current = page.select_one('nav.type-links a[aria-current="page"]')
    assert current["href"] == f"/dokumenter?type={key}"
    assert current.get_text() == f"{label} ({len(wanted)})"


def test_every_type_link_opens_that_type_and_all_opens_everything(live_server: str):
    documents = catalog(live_server)
    page = opened(live_server, "/dokumenter", type="veileder")
    for link in page.select("nav.type-links a"):
        shown = listed(opened(live_server, link["href"]))
        assert link.get_text().endswith(f"({len(shown)})")
    everything = page.find("a", string=f"Alle ({len(documents)})")
    assert len(listed(opened(live_server, everything["href"]))) == len(documents)


def test_an_unknown_type_lists_nothing_and_says_why(live_server: str):
    response = httpx.get(f"{live_server}/dokumenter?type=<oppskrift>", timeout=30)
    assert response.status_code == 200
    page = soup(response)
    assert "Ukjent dokumenttype «<oppskrift>»" in page.select_one(".notice").get_text()
    assert "<oppskrift>" not in response.text
    assert page.select_one(".count").get_text() == "0 dokumenter"
    assert not listed(page)


def test_the_pages_say_so_in_norwegian_while_no_index_is_ready(tmp_path: Path, embedder: Embedder):
    with serve(tmp_path / "tom-indeks", embedder) as running:
        for path in ("/dokumenter", "/documents/hva-som-helst"):
            response = httpx.get(f"{running.url}{path}", timeout=30)
            assert response.status_code == 503
            page = soup(response)
            assert page.h1.get_text() == "Dokumentene er ikke klare ennå"
            assert_site_frame(page, current="/dokumenter" if path == "/dokumenter" else None)
        api = httpx.get(f"{running.url}/api/documents", timeout=30)
        assert api.status_code == 503 and "detail" in api.json()

"""Every page a user can reach passes axe-core with no serious or critical violation, in each
state that matters (results, an answer, a table, the maintainers' page signed in), and loads
without console errors. Swagger UI at /docs is a third-party page and is not judged here."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import httpx
import pytest

from tests.browser.conftest import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

ADMIN_TOKEN = "test-admin-token"  # the live_server fixture's
TABLE_QUERY = "Hastegrad Frist for svar"


def settle(page) -> None:
    page.wait_for_load_state("networkidle")


def assert_accessible(page) -> None:
    assert serious_violations(page) == []
    assert page.console.errors == []


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("start", "/"),
        ("search results", "/?" + urlencode({"q": "PLO-meldinger", "modus": "sok"})),
        ("no match", "/?" + urlencode({"q": "xqzv plorf", "modus": "sok"})),
        ("answer", "/?" + urlencode({"q": "Hva er en transportkvittering?", "modus": "spor"})),
        ("documents", "/dokumenter"),
        ("experience form", "/erfaringer"),
        ("admin sign-in", "/admin"),
    ],
)
def test_the_page_has_no_serious_accessibility_violation(
    page, live_server: str, name: str, path: str
) -> None:
    page.goto(f"{live_server}{path}")
    settle(page)

    assert_accessible(page)


def test_a_reading_view_with_a_table_has_none(page, live_server: str, api: httpx.Client) -> None:
    hit = api.get("/api/search", params={"q": TABLE_QUERY, "k": 5}).json()["results"][0]
    page.goto(f"{live_server}/documents/{hit['doc_id']}")
    settle(page)
    expect(page.locator("main table th").first).to_be_visible()

    assert_accessible(page)


def test_the_signed_in_maintainers_page_has_none(page, live_server: str) -> None:
    page.goto(f"{live_server}/admin")
    page.evaluate(f"() => sessionStorage.setItem('refark-admin-token', '{ADMIN_TOKEN}')")
    page.reload()
    settle(page)
    expect(page.get_by_role("button", name=re.compile("Les inn på nytt"))).to_be_visible()

    assert_accessible(page)


def test_the_check_finds_a_serious_violation_when_there_is_one(page, live_server: str) -> None:
    page.goto(f"{live_server}/")
    settle(page)
    # a button with no accessible name: axe rates "button-name" critical
    page.evaluate("() => document.querySelector('main').append(document.createElement('button'))")

    assert any(line.startswith("button-name") for line in serious_violations(page))

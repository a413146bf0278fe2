"""The maintainers' page at /admin, driven in Debian's chromium through Playwright.

Behaviour specs: what a maintainer sees and can do, checked against what the admin API of the
same server returns. Screenshots go to var/screenshots/admin-*.png for a person to look at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from index.embedder import Embedder
from tests.conftest import REPO, serve
from tests.documents import MARKDOWN, write_corpus

# A real server with the real model behind a real browser: slow as well as browser.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

TOKEN = "admin-side-nokkel"
BROKEN = "erfaringer/ødelagt.pdf"
SCREENSHOTS = REPO / "var" / "screenshots"
NEW_DOCUMENT = "# Tolketjeneste\n\n" + "\n\n".join(
    f"Kommunen bestiller tolk nummer {n} til samtale {n * 7} gjennom den nasjonale portalen."
    for n in range(120)
)


@dataclass(frozen=True)
class AdminServer:
    url: str
    corpus: Path
    api: httpx.Client  # with the admin key


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[AdminServer]:
    """A server over the four-document corpus and a broken PDF, ingested by the server itself
    (so the ingest is in its log)."""
    root = tmp_path_factory.mktemp("admin-web")
    corpus = write_corpus(root / "corpus")
    (corpus / BROKEN).write_bytes(b"%PDF-1.4\n1 0 obj ikke en PDF\n%%EOF")
    with serve(root / "index", embedder, corpus_dir=corpus, admin_token=TOKEN) as running:
        running.engine.reingest()
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=running.url, headers=headers, timeout=60) as api:
            yield AdminServer(running.url, corpus, api)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"admin-{name}.png"), full_page=True)


def admin_status(server: AdminServer) -> dict:
    response = server.api.get("/api/admin/status")
    response.raise_for_status()
    return response.json()


def sign_in(page, server: AdminServer, token: str = TOKEN) -> None:
    page.goto(f"{server.url}/admin")
    key = page.get_by_label("Administrasjonsnøkkel")
    expect(key).to_be_focused()
    key.fill(token)
    page.get_by_role("button", name="Logg inn").click()


def signed_in(page, server: AdminServer) -> None:
    sign_in(page, server)
    expect(page.locator("#admin-innhold")).to_be_visible()
    expect(page.locator("#innlesingstabell")).to_be_visible()


def test_the_page_asks_for_the_key_and_refuses_a_wrong_one(page, server: AdminServer):
    sign_in(page, server, "feil-nokkel")
    expect(page.get_by_role("alert")).to_have_text(
        "Administrasjonsnøkkelen ble ikke godtatt. Skriv den inn på nytt."
    )
    expect(page.get_by_label("Administrasjonsnøkkel")).to_be_visible()
    expect(page.locator("#admin-innhold")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0  # a refused key is not kept
    screenshot(page, "nokkel-avvist")
    # the refused request is the only error the console shows
    assert len(page.console.errors) == 1 and "401" in page.console.errors[0]


def test_with_the_key_it_shows_the_generation_and_the_last_ingest_with_its_failed_file(
    page, server: AdminServer
):
    signed_in(page, server)
    status = admin_status(server)
    facts = page.locator("#indeks-fakta")
    expect(facts).to_contain_text(status["generation"]["name"])
    expect(facts).to_contain_text(status["model"])
    expect(facts.locator("dd").nth(3)).to_have_text(str(status["documents"]))
    expect(facts.locator("dd").nth(4)).to_have_text(str(status["chunks"]))

    rows = page.locator("#innlesingstabell tbody tr")
    expect(rows).to_have_count(len(status["ingests"]))
    newest = status["ingests"][0]
    reason = newest["failures"][BROKEN]
    expect(rows.first).to_contain_text(f"{BROKEN}: {reason}")
    expect(rows.first.locator("td").nth(3)).to_have_text(str(newest["added"]))
    screenshot(page, "status")

    # The key lasts as long as the tab: a reload keeps it, "Logg ut" forgets it.
    page.reload()
    expect(page.locator("#innlesingstabell")).to_be_visible()
    page.get_by_role("button", name="Logg ut").click()
    expect(page.get_by_label("Administrasjonsnøkkel")).to_be_visible()
    expect(page.locator("#admin-innhold")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    assert page.console.errors == []


def test_les_inn_pa_nytt_shows_the_progress_and_ends_with_the_new_status(page, server: AdminServer):
    before = admin_status(server)["generation"]["number"]
    (server.corpus / "standarder" / "tolk.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    signed_in(page, server)
    page.get_by_role("button", name="Les inn på nytt").click()
    progress = page.locator("#fremdrift")
    expect(progress).to_be_visible()
    screenshot(page, "innlesing")
    expect(page.locator("#fremdrift-tekst")).to_have_text("Ferdig (100 %)", timeout=300_000)
    expect(page.locator("#fremdrift-linje")).to_have_attribute("value", "100")
    expect(page.locator("#innlesing-status")).to_contain_text(
        "Innlesingen er ferdig: ny indeks tatt i bruk (lagt til 1,"
    )
    status = admin_status(server)
    assert status["generation"]["number"] == before + 1
    expect(page.locator("#indeks-fakta")).to_contain_text(status["generation"]["name"])
    expect(page.locator("#innlesingstabell tbody tr").first).to_contain_text(
        "Ny indeks tatt i bruk"
    )
    expect(page.get_by_role("button", name="Les inn på nytt")).to_be_enabled()
    screenshot(page, "innlest")
    assert page.console.errors == []


def test_the_feedback_log_lists_a_vote_and_downloads_the_thumbs_down_as_eval_questions(
    page, server: AdminServer
):
    vote = {
        "question": "Når sendes utskrivningsrapporten fra sykehuset?",
        "answer": "Når pasienten skrives ut [1].",
        "chunk_ids": [],
        "vote": "down",
        "comment": "Mangler hvem som sender den",
        "channel": "web",
    }
    assert httpx.post(f"{server.url}/api/feedback", json=vote, timeout=30).status_code == 201
    signed_in(page, server)
    row = page.locator("#tilbakemeldingstabell tbody tr").filter(has_text=vote["question"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Mangler hvem som sender den")
    expect(row).to_contain_text("Nettsiden")
    expect(row.get_by_role("img", name="Ikke nyttig")).to_have_text("👎")
    screenshot(page, "tilbakemeldinger")

    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("^Last ned 👎 som evalueringsspørsmål")).click()
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert saved == server.api.get("/api/admin/feedback/export").text
    assert vote["question"] in saved
    assert page.console.errors == []


def test_a_pending_experience_report_is_rejected_with_a_reason(page, server: AdminServer):
    fields = {
        "municipality": "Testkommune",
        "contact": "ola@testkommune.no",
        "topic": "Erfaringer med meldingsløftet",
        "date": "2026-10-01",
    }
    files = {"file": ("meldingsloftet.md", MARKDOWN.encode(), "text/markdown")}
    sent = httpx.post(f"{server.url}/api/experiences", data=fields, files=files, timeout=30)
    assert sent.status_code == 202, sent.text
    signed_in(page, server)
    report = page.get_by_role("article").filter(has_text=fields["topic"])
    expect(report).to_contain_text("Testkommune")
    expect(report).to_contain_text("meldingsloftet.md")
    screenshot(page, "erfaringer")

    report.get_by_role("button", name="Avvis").click()  # without a reason: asked for one
    expect(report).to_contain_text("Skriv en begrunnelse før du avviser rapporten.")
    report.get_by_label("Begrunnelse for avvisning").fill("Gjelder ikke e-helse")
    report.get_by_role("button", name="Avvis").click()
    expect(page.locator("#erfaringer-status")).to_have_text("«meldingsloftet.md» er avvist.")
    expect(report).to_have_count(0)
    stored = server.api.get("/api/admin/experiences").json()
    [entry] = [e for e in stored if e["id"] == sent.json()["id"]]
    assert (entry["status"], entry["reason"]) == ("rejected", "Gjelder ikke e-helse")
    assert page.console.errors == []


def test_without_an_admin_key_configured_the_page_says_admin_is_off(
    page, embedder: Embedder, tmp_path: Path
):
    with serve(tmp_path / "index", embedder, corpus_dir=tmp_path) as running:
        page.goto(f"{running.url}/admin")
        expect(page.get_by_role("alert")).to_have_text(
            "Administrasjon er slått av på denne tjeneren: REFARK_ADMIN_TOKEN er ikke satt."
        )
        expect(page.get_by_label("Administrasjonsnøkkel")).to_be_hidden()
    assert page.console.errors == []

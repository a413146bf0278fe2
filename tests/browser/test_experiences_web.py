"""The "Del en erfaring" page (/erfaringer): a municipality fills in the form and sends a report.

Behaviour specs: what the user does in the browser, checked against what the server queued
(read back through the admin API of the same server)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import REPO

# A real server with the real model behind a real browser: slow as well as browser.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

ADMIN = {"Authorization": "Bearer test-admin-token"}  # the token `live_server` runs with
SCREENSHOT = REPO / "var" / "screenshots" / "erfaringer.png"
REPORT = "# Erfaringer med kvasirulle\n\nVi prøvde kvasirulle i hjemmetjenesten.\n".encode()
RECEIPT = "Takk! Rapporten er mottatt og blir synlig i søket når den er godkjent."


def open_form(page, live_server: str) -> None:
    page.goto(f"{live_server}/erfaringer")
    page.wait_for_load_state("networkidle")


def fill_form(page, filename: str, content: bytes) -> None:
    page.get_by_label("Kommune").fill("Nettvik kommune")
    page.get_by_label("Kontaktperson (e-post eller telefon)").fill("kari@nettvik.kommune.no")
    page.get_by_label("Tema").fill("Kvasirulle i hjemmetjenesten")
    page.get_by_label("Dato").fill("2025-03-14")
    page.get_by_label("Fil").set_input_files(
        {"name": filename, "mimeType": "application/octet-stream", "buffer": content}
    )


def queued(api: httpx.Client, experience_id: str) -> dict:
    response = api.get("/api/admin/experiences", headers=ADMIN)
    response.raise_for_status()
    return next(entry for entry in response.json() if entry["id"] == experience_id)


def test_a_markdown_report_is_sent_and_a_receipt_is_shown(page, live_server: str, api):
    open_form(page, live_server)
    expect(page.get_by_role("heading", name="Del en erfaring")).to_be_visible()
    fill_form(page, "kvasirulle.md", REPORT)

    with page.expect_response(lambda r: r.url.endswith("/api/experiences")) as response:
        page.get_by_role("button", name="Send rapporten").click()
    assert response.value.status == 202
    experience_id = response.value.json()["id"]

    receipt = page.locator("#kvittering")
    expect(receipt).to_be_visible()
    expect(receipt).to_contain_text(RECEIPT)
    expect(receipt).to_contain_text(experience_id)
    expect(page.locator("form")).to_be_hidden()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    entry = queued(api, experience_id)
    assert entry["status"] == "pending"
    assert (entry["municipality"], entry["topic"], entry["filename"], entry["size"]) == (
        "Nettvik kommune",
        "Kvasirulle i hjemmetjenesten",
        "kvasirulle.md",
        len(REPORT),
    )
    assert page.console.errors == []


def test_a_wrong_file_type_is_explained_next_to_the_form(page, live_server: str):
    open_form(page, live_server)
    error = page.get_by_role("alert")

    # Refused in the browser, by its name: nothing is sent.
    fill_form(page, "rapport.exe", b"MZ\x90\x00")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/api/experiences" in r.url else None)
    page.get_by_role("button", name="Send rapporten").click()
    expect(error).to_have_text(
        "Filtypen til «rapport.exe» støttes ikke. "
        "Send rapporten som PDF, Word (DOCX) eller Markdown (.md)."
    )
    assert sent == []

    # Named as a PDF but not one: the server says so, and the page shows its words.
    fill_form(page, "rapport.pdf", REPORT)
    with page.expect_response(lambda r: r.url.endswith("/api/experiences")) as response:
        page.get_by_role("button", name="Send rapporten").click()
    assert response.value.status == 415
    expect(error).to_have_text(response.value.json()["detail"])
    expect(error).to_contain_text("er ikke en gyldig PDF-fil")
    expect(page.locator("#kvittering")).to_be_hidden()
    expect(page.get_by_label("Fil")).to_be_visible()
    # Chromium logs every 4xx answer to fetch; that note is the only console error.
    assert len(page.console.errors) == 1 and "415" in page.console.errors[0]


def test_the_form_checks_the_fields_before_sending(page, live_server: str):
    open_form(page, live_server)
    fill_form(page, "rapport.md", REPORT)
    page.get_by_label("Kontaktperson (e-post eller telefon)").fill("ring sentralbordet")
    page.get_by_role("button", name="Send rapporten").click()
    expect(page.get_by_role("alert")).to_contain_text("Kontaktperson må være en e-postadresse")
    expect(page.get_by_label("Kontaktperson (e-post eller telefon)")).to_be_focused()
    expect(page.get_by_label("Kontaktperson (e-post eller telefon)")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert page.console.errors == []

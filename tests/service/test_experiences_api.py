"""Experience sharing through a real server on loopback (real model, a small corpus copied to
a temp folder): a submitted report waits unsearchable in the queue, approval files it and makes
it searchable, and everything refused gets a Norwegian reason with a 4xx."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from index.build import build_index
from index.embedder import Embedder
from tests.conftest import serve
from tests.documents import write_corpus

pytestmark = pytest.mark.slow

TOKEN = "experience-admin"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
MAX_FILE = 100 * 1024  # over the ordinary 64 KB body limit, to show the upload has its own
FORM = {
    "municipality": "Testvik kommune",
    "contact": "ola.nordmann@testvik.kommune.no",
    "topic": "Kvasirulle i hjemmetjenesten",
    "date": "2025-03-14",
}
REPORT = (
    "# Erfaringer med kvasirulle\n\n"
    "Testvik kommune tok i bruk kvasirulle i hjemmetjenesten høsten 2024. Pleierne brukte den "
    "til å dele oppdateringer om brukerne mellom vaktene.\n"
).encode()
# How long an approved report may take to become searchable (an incremental re-ingest of a
# five-document corpus) before the test gives up rather than hanging.
INGEST_DEADLINE_SECONDS = 300


@dataclass(frozen=True)
class Running:
    url: str
    index_dir: Path
    corpus: Path
    queue: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("experiences-api")
    corpus = write_corpus(root / "corpus")
    build_index(corpus, root / "index", embedder)
    with serve(
        root / "index",
        embedder,
        corpus_dir=corpus,
        admin_token=TOKEN,
        experiences_dir=root / "queue",
        experience_max_bytes=MAX_FILE,
    ) as running:
        yield Running(running.url, root / "index", corpus, root / "queue")


def submit(
    server: Running, filename: str = "kvasirulle.md", content: bytes = REPORT, **fields: str
) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/experiences",
        data={**FORM, **fields},
        files={"file": (filename, content)},
        timeout=60,
    )


def search(server: Running, query: str) -> list[dict]:
    response = httpx.get(f"{server.url}/api/search", params={"q": query}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def mentioning(results: list[dict], word: str) -> list[dict]:
    return [r for r in results if word in r["text"].lower()]


def queue(server: Running, **params: str) -> list[dict]:
    response = httpx.get(
        f"{server.url}/api/admin/experiences", params=params, headers=ADMIN, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_report_is_searchable_only_after_approval(server: Running):
    response = submit(server)
    assert response.status_code == 202, response.text
    receipt = response.json()
    assert receipt["status"] == "pending"

    # Not even a full re-ingest of the corpus finds a pending report.
    reingest = httpx.post(f"{server.url}/api/admin/reingest", headers=ADMIN, timeout=600)
    assert reingest.status_code == 200, reingest.text
    assert mentioning(search(server, "kvasirulle"), "kvasirulle") == []
    [entry] = [e for e in queue(server, status="pending") if e["id"] == receipt["id"]]
    assert entry == {
        "id": receipt["id"],
        "status": "pending",
        **FORM,
        "filename": "kvasirulle.md",
        "size": len(REPORT),
        "submitted_at": entry["submitted_at"],
        "reason": None,
        "source": None,
    }

    approved = httpx.post(
        f"{server.url}/api/admin/experiences/{receipt['id']}/approve", headers=ADMIN, timeout=30
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["id"] == receipt["id"]
    assert body["status"] == "approved"
    assert body["source"] == "erfaringer/kvasirulle.md"
    assert body["ingest"] in ("started", "queued")
    assert (server.corpus / body["source"]).read_bytes() == REPORT

    deadline = time.monotonic() + INGEST_DEADLINE_SECONDS
    while not (found := mentioning(search(server, "kvasirulle"), "kvasirulle")):
        assert time.monotonic() < deadline, "the approved report never became searchable"
        time.sleep(0.5)
    assert {(r["source"], r["doc_type"], r["publisher"], r["title"], r["date"]) for r in found} == {
        ("erfaringer/kvasirulle.md", "erfaringsrapport", FORM["municipality"], FORM["topic"],
         FORM["date"])
    }  # fmt: skip

    again = httpx.post(
        f"{server.url}/api/admin/experiences/{receipt['id']}/approve", headers=ADMIN, timeout=30
    )
    assert again.status_code == 409
    assert again.json()["detail"] == f"Rapporten {receipt['id']} er allerede godkjent."


def test_a_rejected_report_keeps_its_reason_and_loses_its_file(server: Running):
    receipt = submit(server, "avvist.md").json()
    url = f"{server.url}/api/admin/experiences/{receipt['id']}/reject"

    blank = httpx.post(url, json={"reason": "  "}, headers=ADMIN, timeout=30)
    assert blank.status_code == 422
    assert blank.json()["detail"] == "Skriv en begrunnelse for avvisningen."

    rejected = httpx.post(url, json={"reason": "Inneholder navn på pasienter."}, headers=ADMIN)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json() == {"id": receipt["id"], "status": "rejected"}
    [entry] = [e for e in queue(server, status="rejected") if e["id"] == receipt["id"]]
    assert entry["reason"] == "Inneholder navn på pasienter."
    assert list((server.queue / "files").glob(f"{receipt['id']}*")) == []
    assert not list(server.corpus.rglob("avvist*"))

    approve = httpx.post(url.replace("/reject", "/approve"), headers=ADMIN, timeout=30)
    assert approve.status_code == 409
    assert approve.json()["detail"] == f"Rapporten {receipt['id']} er allerede avvist."


def test_unknown_ids_are_not_found(server: Running):
    for action, body in (("approve", None), ("reject", {"reason": "Nei."})):
        response = httpx.post(
            f"{server.url}/api/admin/experiences/finnesikke/{action}", json=body, headers=ADMIN
        )
        assert response.status_code == 404
        assert response.json()["detail"] == "Fant ingen innsendt rapport med id finnesikke."


def test_the_queue_lists_newest_first_and_filters_by_status(server: Running):
    first = submit(server, "forste.md").json()["id"]
    second = submit(server, "andre.md").json()["id"]
    pending = [e["id"] for e in queue(server, status="pending")]
    assert pending.index(second) < pending.index(first)
    assert all(e["status"] == "pending" for e in queue(server, status="pending"))

    wrong = httpx.get(
        f"{server.url}/api/admin/experiences", params={"status": "slettet"}, headers=ADMIN
    )
    assert wrong.status_code == 422
    assert "status" in wrong.json()["detail"]


@pytest.mark.parametrize(
    ("filename", "content", "fields", "status", "detail"),
    [
        ("rapport.exe", REPORT, {}, 415, "Filtypen til «rapport.exe» støttes ikke."),
        ("rapport.pdf", REPORT, {}, 415, "Filen «rapport.pdf» er ikke en gyldig PDF-fil"),
        ("rapport.md", b"", {}, 422, "Filen «rapport.md» er tom."),
        ("rapport.md", b"x" * (MAX_FILE + 1), {}, 413, "Filen «rapport.md» er for stor."),
        ("rapport.md", REPORT, {"municipality": ""}, 422, "Kommune må fylles ut."),
        ("rapport.md", REPORT, {"contact": "spør i resepsjonen"}, 422, "Kontaktperson må være"),
        ("rapport.md", REPORT, {"date": "14.03.2025"}, 422, "Dato må skrives som ÅÅÅÅ-MM-DD"),
    ],
)
def test_refusals_say_why_in_norwegian(
    server: Running, filename: str, content: bytes, fields: dict, status: int, detail: str
):
    before = len(queue(server))
    response = submit(server, filename, content, **fields)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(detail)
    assert len(queue(server)) == before


def multipart_without_file(url: str) -> httpx.Response:
    # (None, value): a plain form field; httpx sends a form with no file url-encoded otherwise.
    fields = {name: (None, value) for name, value in FORM.items()}
    return httpx.post(f"{url}/api/experiences", files=fields, timeout=30)


def test_a_form_without_its_file_or_not_as_multipart_is_refused(server: Running):
    no_file = multipart_without_file(server.url)
    assert no_file.status_code == 422
    assert no_file.json()["detail"] == "Velg en fil med rapporten."

    for not_multipart in ({"json": FORM}, {"data": FORM}):
        refused = httpx.post(f"{server.url}/api/experiences", **not_multipart, timeout=30)
        assert refused.status_code == 415
        assert "multipart/form-data" in refused.json()["detail"]

    two_files = httpx.post(
        f"{server.url}/api/experiences",
        data=FORM,
        files=[("file", ("a.md", REPORT)), ("file", ("b.md", REPORT))],
        timeout=30,
    )
    assert two_files.status_code == 400
    assert two_files.json()["detail"].startswith("Skjemaet kunne ikke leses.")


def test_only_the_upload_takes_bodies_over_the_ordinary_limit(server: Running):
    large_report = b"# Stor rapport\n\n" + b"Mye tekst om kvasirulle. " * 3000  # about 75 KB
    assert 64 * 1024 < len(large_report) <= MAX_FILE
    assert submit(server, "stor.md", large_report).status_code == 202

    feedback = httpx.post(
        f"{server.url}/api/feedback",
        json={"question": "x" * len(large_report), "answer": "", "vote": "up", "channel": "web"},
        timeout=30,
    )
    assert feedback.status_code == 413
    assert feedback.json()["detail"] == "Forespørselen er for stor (over 65536 byte)."

    far_too_large = submit(server, "enorm.md", b"x" * (MAX_FILE + 128 * 1024))
    assert far_too_large.status_code == 413
    assert far_too_large.json()["detail"].startswith("Forespørselen er for stor")


def test_the_queue_needs_the_admin_token(server: Running):
    for method, path in (
        ("GET", "/api/admin/experiences"),
        ("POST", "/api/admin/experiences/finnesikke/approve"),
        ("POST", "/api/admin/experiences/finnesikke/reject"),
    ):
        for headers in ({}, {"Authorization": "Bearer feil"}):
            response = httpx.request(method, f"{server.url}{path}", headers=headers, timeout=30)
            assert response.status_code == 401, (method, path)
            assert response.json()["detail"] == "Mangler eller feil administrasjonsnøkkel."


def test_the_form_page_has_the_main_page_policy_and_no_inline_script(server: Running):
    page = httpx.get(f"{server.url}/erfaringer", timeout=30)
    main = httpx.get(f"{server.url}/", timeout=30)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == main.headers["content-security-policy"]
    html = page.text
    assert "<h1>Del en erfaring</h1>" in html
    for label in ("Kommune", "Kontaktperson (e-post eller telefon)", "Tema", "Dato", "Fil"):
        assert f">{label}</label>" in html
    assert '<script type="module" src="/static/experiences/form.js"></script>' in html
    assert "<script>" not in html
    assert f'data-max-bytes="{MAX_FILE}"' in html
    for asset in ("/static/experiences/form.js", "/static/experiences.css"):
        assert httpx.get(f"{server.url}{asset}", timeout=30).status_code == 200


def test_submissions_from_one_address_are_rate_limited(server: Running, embedder: Embedder):
    with serve(
        server.index_dir, embedder, corpus_dir=server.corpus, experience_rate_limit=2
    ) as limited:
        allowed = [multipart_without_file(limited.url).status_code for _ in range(2)]
        third = multipart_without_file(limited.url)
        searched = httpx.get(f"{limited.url}/api/search", params={"q": "meldinger"}, timeout=30)
    assert allowed == [422, 422]  # refused for the missing file, and still counted
    assert third.status_code == 429
    assert third.headers["retry-after"].isdigit()
    assert searched.status_code == 200  # the other routes keep the ordinary limit

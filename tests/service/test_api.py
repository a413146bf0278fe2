"""The HTTP API against a real uvicorn server over the bundled corpus, with the real model."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.slow

RESULT_FIELDS = {
    "rank",
    "score",
    "chunk_id",
    "doc_id",
    "title",
    "source",
    "doc_type",
    "page",
    "section",
    "text",
    "url",
}


def get(live_server: str, path: str, **params) -> httpx.Response:
    return httpx.get(f"{live_server}{path}", params=params, timeout=60)


def test_search_returns_ranked_passages_with_citation_fields(live_server: str):
    body = get(live_server, "/api/search", q="Hvordan sender kommunen PLO-meldinger?", k=5).json()
    assert body["query"] == "Hvordan sender kommunen PLO-meldinger?"
    assert body["took_ms"] >= 0
    results = body["results"]
    assert [r["rank"] for r in results] == [1, 2, 3, 4, 5]
    assert all(set(r) >= RESULT_FIELDS for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert any("plo" in (r["title"] + r["text"]).lower() for r in results[:3])


def test_each_result_points_out_the_sentence_closest_in_meaning_to_the_question(
    live_server: str,
):
    results = get(live_server, "/api/search", q="Hva bekrefter transportkvitteringen?", k=5).json()[
        "results"
    ]
    for result in results:
        start, end = result["best_sentence"]
        sentence = result["text"][start:end]
        assert sentence == sentence.strip() and len(sentence.split()) >= 3
    top = results[0]["text"][slice(*results[0]["best_sentence"])]
    # the corpus has two sentences that say what it confirms; either is the closest
    assert top.startswith("Transportkvitteringen") and "bekre" in top


def test_pdf_results_link_to_their_page_and_others_to_their_section(live_server: str):
    results = get(live_server, "/api/search", q="applikasjonskvittering", k=20).json()["results"]
    pdf = next(r for r in results if r["source"].endswith(".pdf"))
    assert pdf["page"] >= 1
    assert pdf["url"].endswith(f"/documents/{pdf['doc_id']}/file#page={pdf['page']}")
    opened = httpx.get(pdf["url"].split("#")[0], timeout=30)
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "application/pdf"
    other = get(live_server, "/api/search", q="dialogmelding fastlege", k=20).json()["results"]
    markdown = next(r for r in other if r["source"].endswith(".md") and r["section"])
    view = httpx.get(markdown["url"], timeout=30)
    assert view.status_code == 200
    anchor = markdown["url"].split("#")[1]
    assert f'id="{anchor}"' in view.text


def test_type_filter_limits_results_to_that_document_type(live_server: str):
    results = get(
        live_server, "/api/search", q="kjernejournal", type="erfaringsrapport", k=10
    ).json()["results"]
    assert results
    assert {r["doc_type"] for r in results} == {"erfaringsrapport"}


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"q": "", "k": 5}, "q"),
        ({"q": "   ", "k": 5}, "tom"),
        ({"q": "x" * 2001, "k": 5}, "q"),
        ({"q": "helseid", "k": 0}, "k"),
        ({"q": "helseid", "k": 101}, "k"),
        ({"q": "helseid", "mode": "magisk"}, "mode"),
    ],
)
def test_bad_search_input_gets_422_with_a_readable_detail(live_server: str, params, needle):
    response = get(live_server, "/api/search", **params)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and needle in detail


def test_ask_answers_with_markers_that_all_have_citations(live_server: str):
    response = httpx.post(
        f"{live_server}/api/ask", timeout=60, json={"question": "Hva er en applikasjonskvittering?"}
    )
    body = response.json()
    assert response.status_code == 200
    assert body["found"] is True and body["mode"] == "extractive"
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])}
    assert markers and markers == {c["n"] for c in body["citations"]}
    for citation in body["citations"]:
        assert set(citation) >= RESULT_FIELDS
    # Every answer sentence is quoted from the passage it cites.
    for sentence, n in re.findall(r"(.+?) \[(\d+)\]\s*", body["answer"]):
        cited = next(c for c in body["citations"] if c["n"] == int(n))
        assert sentence.strip() in cited["text"]


def test_ask_declines_a_question_the_corpus_cannot_answer(live_server: str):
    body = httpx.post(
        f"{live_server}/api/ask",
        timeout=60,
        json={"question": "Hvem vant fotball-VM for kvinner i 2019?"},
    ).json()
    assert body["found"] is False
    assert body["answer"].startswith("Jeg fant ikke")
    assert "[" not in body["answer"]
    assert body["citations"]  # the closest passages are still shown


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"question": ""},
        {"question": "x" * 2001},
        {"question": "hei", "history": [{"role": "robot", "content": "x"}]},
    ],
)
def test_bad_ask_input_gets_422(live_server: str, payload):
    response = httpx.post(f"{live_server}/api/ask", json=payload, timeout=30)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


def test_documents_are_listed_and_described(live_server: str):
    documents = get(live_server, "/api/documents").json()
    assert len(documents) >= 12
    first = documents[0]
    detail = get(live_server, f"/api/documents/{first['doc_id']}").json()
    assert detail["title"] == first["title"]
    assert detail["sections"]
    assert get(live_server, "/api/documents/finnes-ikke").status_code == 404


def test_a_document_path_outside_the_corpus_is_not_served(live_server: str):
    for path in ("/documents/..%2F..%2Fetc%2Fpasswd/file", "/documents/finnes-ikke/file"):
        response = httpx.get(f"{live_server}{path}", timeout=30)
        assert response.status_code == 404


def test_health_readiness_and_metrics(live_server: str):
    assert get(live_server, "/healthz").json() == {"status": "ok"}
    ready = get(live_server, "/readyz").json()
    assert ready["status"] == "ok" and ready["chunks"] > 0
    get(live_server, "/api/search", q="helseid")
    assert 'refark_http_requests_total{route="/api/search"' in get(live_server, "/metrics").text


def test_web_page_and_favicon_are_served(live_server: str):
    page = get(live_server, "/")
    assert page.status_code == 200 and 'type="search"' in page.text
    assert get(live_server, "/favicon.ico").status_code == 200
    assert get(live_server, "/docs").status_code == 200


def test_admin_reingest_requires_the_bearer_token(live_server: str):
    url = f"{live_server}/api/admin/reingest"
    assert httpx.post(url, timeout=30).status_code == 401
    assert httpx.post(url, headers={"Authorization": "Bearer feil"}, timeout=30).status_code == 401
    response = httpx.post(url, headers={"Authorization": "Bearer test-admin-token"}, timeout=300)
    assert response.status_code == 200
    assert response.json()["chunks_embedded"] == 0 and response.json()["published"] is False


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "Erfaringsrapport"}, {"doc_type": "erfaringsrapport"}),
        ({"publisher": "KS"}, {"publisher": "KS (illustrativt eksempel)"}),
    ],
)
def test_filters_take_labels_and_short_publisher_names(live_server: str, params, expected):
    body = get(live_server, "/api/search", q="kjernejournal", k=10, **params).json()
    assert body["results"]
    for field, value in expected.items():
        assert {r[field] for r in body["results"]} == {value}


def test_a_filter_value_that_names_nothing_finds_nothing_and_says_why(live_server: str):
    body = get(live_server, "/api/search", q="kjernejournal", type="rapport").json()
    assert body["results"] == []
    assert body["notices"][0].startswith("Ukjent dokumenttype «rapport». Kjente typer:")
    asked = httpx.post(
        f"{live_server}/api/ask",
        json={"question": "Hva er HelseID?", "filters": {"publisher": ["Ingen slik"]}},
        timeout=60,
    ).json()
    assert asked["found"] is False and asked["citations"] == []
    assert "Ingen dokumenter fra utgiveren «Ingen slik»" in asked["notices"][0]


def test_facets_come_from_the_catalog_with_counts(live_server: str):
    facets = get(live_server, "/api/facets").json()
    documents = get(live_server, "/api/documents").json()
    assert [t["value"] for t in facets["types"]] == [
        "referansearkitektur",
        "standard",
        "erfaringsrapport",
        "veileder",
        "annet",
    ]
    assert sum(t["count"] for t in facets["types"]) == len(documents)
    by_publisher = {p["value"]: p["count"] for p in facets["publishers"]}
    assert by_publisher["KS (illustrativt eksempel)"] == sum(
        d["publisher"] == "KS (illustrativt eksempel)" for d in documents
    )
    years = [int(d["date"][:4]) for d in documents if d["date"][:4].isdigit()]
    assert (facets["year_min"], facets["year_max"]) == (min(years), max(years))

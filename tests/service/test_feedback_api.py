"""Votes on answers through a real server on loopback (real model, real index): the public
POST /api/feedback, the admin routes behind the token, and `refark feedback` over the same
database file."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from index.build import build_index
from index.embedder import Embedder
from service.evaluation import Relevant, read_questions
from tests.conftest import run_refark, serve
from tests.documents import write_corpus

pytestmark = pytest.mark.slow

ADMIN = {"Authorization": "Bearer feedback-admin"}
RIGHT_SOURCE = {
    "doc": "standarder/meldinger.md",
    "quote": "Utskrivningsrapporten sendes fra sykehuset når pasienten skrives ut til kommunen.",
}


@dataclass(frozen=True)
class Running:
    url: str
    index_dir: Path
    feedback_db: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("feedback-api")
    corpus = write_corpus(root / "corpus")
    build_index(corpus, root / "index", embedder)
    feedback_db = root / "feedback.sqlite3"
    with serve(
        root / "index",
        embedder,
        corpus_dir=corpus,
        admin_token="feedback-admin",
        feedback_db=feedback_db,
    ) as running:
        yield Running(running.url, root / "index", feedback_db)


def vote(server: Running, **fields: object) -> httpx.Response:
    body = {
        "question": "Når sendes utskrivningsrapporten?",
        "answer": "Når pasienten skrives ut [1].",
        "chunk_ids": [],
        "vote": "down",
        "channel": "web",
        **fields,
    }
    return httpx.post(f"{server.url}/api/feedback", json=body, timeout=30)


def admin_list(server: Running, **params: object) -> list[dict]:
    response = httpx.get(f"{server.url}/api/admin/feedback", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def refark(server: Running, *args: str) -> subprocess.CompletedProcess:
    """`refark` on the server's database file, with a model that cannot be loaded: a command
    that loaded the model would fail."""
    return run_refark(
        *args, REFARK_FEEDBACK_DB=str(server.feedback_db), REFARK_MODEL="/finnes/ikke"
    )


def test_a_vote_is_stored_with_201_and_listed_for_the_admin(server: Running):
    response = vote(server, vote="up", channel="slack", comment="Presist!", chunk_ids=["c-1"])
    assert response.status_code == 201
    created = response.json()["id"]

    listed = {entry["id"]: entry for entry in admin_list(server, vote="up")}
    entry = listed[created]
    assert {k: v for k, v in entry.items() if k != "created_at"} == {
        "id": created,
        "question": "Når sendes utskrivningsrapporten?",
        "answer": "Når pasienten skrives ut [1].",
        "chunk_ids": ["c-1"],
        "vote": "up",
        "channel": "slack",
        "comment": "Presist!",
        "user_hash": None,
        "place": None,
        "sources": [],
    }
    assert entry["created_at"].endswith("Z")
    assert all(e["vote"] == "up" for e in listed.values())


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"vote": "sideways"}, "vote: må være en av 'up' eller 'down'"),
        ({"question": "   "}, "Spørsmålet er tomt."),
        ({"channel": "teams"}, "channel: må være en av 'web' eller 'slack'"),
        ({"chunk_ids": ["c"] * 51}, "chunk_ids: har for mange elementer (høyst 50)"),
    ],
    ids=["vote", "blank-question", "channel", "too-many-chunks"],
)
def test_a_vote_outside_the_contract_gets_422_saying_what_is_wrong(
    server: Running, fields: dict, detail: str
):
    before = len(admin_list(server, limit=1000))
    response = vote(server, **fields)
    assert response.status_code == 422
    assert detail in response.json()["detail"]
    assert len(admin_list(server, limit=1000)) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/admin/feedback"),
        ("GET", "/api/admin/feedback/export"),
        ("POST", "/api/admin/feedback/1/sources"),
    ],
)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer feil"}], ids=["none", "wrong"])
def test_the_admin_feedback_routes_need_the_admin_token(
    server: Running, method: str, path: str, headers: dict
):
    response = httpx.request(
        method, f"{server.url}{path}", json=RIGHT_SOURCE, headers=headers, timeout=30
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "Mangler eller feil administrasjonsnøkkel."


def test_marking_a_source_on_an_unknown_vote_gives_404(server: Running):
    response = httpx.post(
        f"{server.url}/api/admin/feedback/999999/sources", json=RIGHT_SOURCE, headers=ADMIN
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "Fant ingen tilbakemelding med id 999999."


def ask(server: Running, question: str) -> dict:
    response = httpx.post(f"{server.url}/api/ask", json={"question": question}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def export(server: Running) -> httpx.Response:
    response = httpx.get(f"{server.url}/api/admin/feedback/export", headers=ADMIN, timeout=60)
    assert response.status_code == 200, response.text
    return response


def test_a_downvoted_answer_is_exported_as_an_eval_question_with_its_marked_source(
    server: Running, tmp_path: Path
):
    answered = ask(server, "Når sendes utskrivningsrapporten?")
    assert answered["citations"]
    created = vote(
        server,
        question=answered["question"],
        answer=answered["answer"],
        chunk_ids=[c["chunk_id"] for c in answered["citations"]] + ["fra-en-eldre-indeks"],
        comment="Svaret nevner ikke sykehuset",
    ).json()["id"]
    marked = httpx.post(
        f"{server.url}/api/admin/feedback/{created}/sources", json=RIGHT_SOURCE, headers=ADMIN
    )
    assert (marked.status_code, marked.json()) == (201, RIGHT_SOURCE)
    assert admin_list(server, vote="down")[0]["sources"] == [RIGHT_SOURCE]

    response = export(server)
    assert response.headers["content-type"].startswith("application/x-ndjson")
    items = {item["id"]: item for item in map(json.loads, response.text.splitlines())}
    item = items[f"feedback-{created}"]
    assert item["question"] == "Når sendes utskrivningsrapporten?"
    assert item["relevant"] == [RIGHT_SOURCE]
    assert item["answer"] == answered["answer"]
    assert item["comment"] == "Svaret nevner ikke sykehuset"
    # every cited chunk of the current generation, with its document; the unknown id is left out
    assert [c["doc"] for c in item["cited"]] == [c["source"] for c in answered["citations"]]
    for cited, citation in zip(item["cited"], answered["citations"], strict=True):
        assert " ".join(citation["text"].split()).startswith(cited["quote"])

    questions_file = tmp_path / "feedback.jsonl"
    questions_file.write_text(response.text, encoding="utf-8")
    questions = {q.id: q for q in read_questions(questions_file)}
    assert questions[f"feedback-{created}"].relevant == (Relevant(**RIGHT_SOURCE),)


def test_an_unmarked_downvote_is_exported_as_a_question_refark_should_decline_and_upvotes_not(
    server: Running,
):
    declined = vote(server, question="Hva koster en HelseID-lisens?").json()["id"]
    liked = vote(server, question="Hva er kjernejournal?", vote="up").json()["id"]
    items = {item["id"]: item for item in map(json.loads, export(server).text.splitlines())}
    assert items[f"feedback-{declined}"]["relevant"] == []
    assert f"feedback-{liked}" not in items


def test_the_cli_exports_the_same_lines_from_the_same_file_without_the_model(
    server: Running, tmp_path: Path
):
    vote(server, question="Hvem eier dataene i knutepunktet?", chunk_ids=["x"])
    output = tmp_path / "feedback.jsonl"

    run = refark(
        server, "feedback", "export", "--index-dir", str(server.index_dir), "--output", str(output)
    )

    assert run.returncode == 0, run.stderr
    assert output.read_text(encoding="utf-8") == export(server).text
    assert "👎-svar eksportert" in run.stderr
    to_stdout = refark(server, "feedback", "export", "--index-dir", str(server.index_dir))
    assert to_stdout.stdout == output.read_text(encoding="utf-8")


def test_the_cli_marks_a_source_and_lists_votes_in_the_servers_file(server: Running):
    created = vote(server, question="Hva brukes dialogmelding til?").json()["id"]

    run = refark(
        server,
        "feedback",
        "mark",
        str(created),
        "--doc",
        "standarder/meldinger.md",
        "--quote",
        "Dialogmelding brukes mellom hjemmetjenesten og fastlegen.",
    )
    assert run.returncode == 0, run.stderr
    entry = next(e for e in admin_list(server, vote="down") if e["id"] == created)
    assert entry["sources"] == [
        {
            "doc": "standarder/meldinger.md",
            "quote": "Dialogmelding brukes mellom hjemmetjenesten og fastlegen.",
        }
    ]

    listed = refark(server, "feedback", "list", "--vote", "down")
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if line.split()[0] == str(created))
    assert "👎" in line and "«Hva brukes dialogmelding til?»" in line and "1 kilde merket" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("mark", "999999", "--doc", "a.md", "--quote", "sitat"), "Fant ingen tilbakemelding"),
        (("mark", "1", "--doc", " ", "--quote", "sitat"), "kan ikke være tomme"),
        (("mark", "null", "--doc", "a.md", "--quote", "sitat"), "må være et heltall"),
        (("list", "--vote", "sideways"), "invalid choice"),
    ],
    ids=["unknown-id", "blank-doc", "not-an-id", "bad-vote"],
)
def test_the_cli_refuses_bad_input_with_status_2(server: Running, args: tuple, message: str):
    run = refark(server, "feedback", *args)
    assert run.returncode == 2
    assert message in run.stderr

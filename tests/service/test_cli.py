"""The `refark` command as users run it: a real process, real model, real index."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index.generation import ingest_lock
from service.schemas import AskResponse, SearchResponse
from tests.conftest import free_port, run_refark

pytestmark = pytest.mark.slow


def refark(*args: str) -> subprocess.CompletedProcess:
    return run_refark(*args)


def test_search_json_has_the_same_shape_as_the_api(sample_index: Path):
    run = refark("search", "Hva er HelseID?", "-k", "3", "--json", "--index-dir", str(sample_index))
    assert run.returncode == 0, run.stderr
    response = SearchResponse.model_validate_json(run.stdout)
    assert len(response.results) == 3
    assert set(json.loads(run.stdout)) == set(SearchResponse.model_fields)


def test_ask_json_has_the_same_shape_as_the_api(sample_index: Path):
    run = refark(
        "ask", "Hva er en applikasjonskvittering?", "--json", "--index-dir", str(sample_index)
    )
    assert run.returncode == 0, run.stderr
    response = AskResponse.model_validate_json(run.stdout)
    assert response.found and response.citations


def test_ingest_names_each_failed_file_with_its_reason_and_exits_23_then_0_when_all_are_read(
    small_corpus: Path, tmp_path: Path
):
    (small_corpus / "låst.pdf").write_bytes(b"%PDF-1.4\nnot really")
    run = refark("ingest", str(small_corpus), "--index-dir", str(tmp_path / "index"))
    assert run.returncode == 23, run.stderr
    assert "lagt til:   4" in run.stdout
    assert "feilet:     1" in run.stdout
    assert "låst.pdf: " in run.stdout

    (small_corpus / "låst.pdf").unlink()
    run = refark("ingest", str(small_corpus), "--index-dir", str(tmp_path / "index"))
    assert run.returncode == 0, run.stderr
    assert "feilet:     0" in run.stdout


def test_ingest_while_another_holds_the_index_exits_75(small_corpus: Path, tmp_path: Path):
    with ingest_lock(tmp_path / "index"):
        run = refark("ingest", str(small_corpus), "--index-dir", str(tmp_path / "index"))
    assert run.returncode == 75
    assert "En annen innlesing pågår" in run.stderr


def test_ingest_skips_links_out_of_the_corpus_unless_told_to_follow_them(
    small_corpus: Path, tmp_path: Path
):
    (tmp_path / "ute.txt").write_text("Utenfor korpuset: HelseID-nøkkel.", encoding="utf-8")
    (small_corpus / "ute.txt").symlink_to(tmp_path / "ute.txt")
    run = refark("ingest", str(small_corpus), "--index-dir", str(tmp_path / "index"))
    assert run.returncode == 23, run.stderr
    assert "ute.txt: symbolsk lenke ut av korpusmappen; hoppet over" in run.stdout

    args = ("ingest", str(small_corpus), "--index-dir", str(tmp_path / "index"))
    run = refark(*args, "--follow-symlinks")
    assert run.returncode == 0, run.stderr
    assert "lagt til:   1" in run.stdout


def test_ingest_of_an_unreadable_corpus_exits_non_zero(tmp_path: Path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.pdf").write_bytes(b"nope")
    run = refark("ingest", str(tmp_path / "c"), "--index-dir", str(tmp_path / "index"))
    assert run.returncode == 1
    assert "Ingen dokumenter kunne leses" in run.stderr


def test_search_without_an_index_says_to_ingest_first(tmp_path: Path):
    run = refark("search", "helseid", "--index-dir", str(tmp_path / "tom"))
    assert run.returncode == 1
    assert "refark ingest" in run.stderr


def test_overlong_query_is_refused_with_a_message(sample_index: Path):
    run = refark("search", "x" * 2001, "--index-dir", str(sample_index))
    assert run.returncode == 2
    assert "for lang" in run.stderr


@pytest.fixture(scope="module")
def running_server(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[str]:
    from index.build import build_index
    from tests.conftest import serve
    from tests.documents import write_corpus

    root = tmp_path_factory.mktemp("cli-server")
    corpus = write_corpus(root / "corpus")
    build_index(corpus, root / "index", embedder)
    with serve(root / "index", embedder, corpus_dir=corpus) as running:
        yield running.url


def refark_through(server: str, *args: str) -> subprocess.CompletedProcess:
    """`refark` with REFARK_URL set and a model that cannot be loaded: a call that loaded the
    model instead of asking the server would fail."""
    return run_refark(*args, REFARK_URL=server, REFARK_MODEL="/finnes/ikke")


def test_with_refark_url_search_prints_what_the_server_answers(running_server: str):
    run = refark_through(running_server, "search", "utskrivningsrapport", "-k", "3", "--json")
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout)
    served = httpx.get(
        f"{running_server}/api/search", params={"q": "utskrivningsrapport", "k": 3}
    ).json()
    assert [r["chunk_id"] for r in printed["results"]] == [r["chunk_id"] for r in served["results"]]
    assert printed["results"][0]["source"] == "standarder/meldinger.md"
    text = refark_through(running_server, "search", "utskrivningsrapport", "-k", "1")
    assert text.returncode == 0 and "standarder/meldinger.md" in text.stdout


def test_with_refark_url_ask_answers_from_the_server(running_server: str):
    run = refark_through(running_server, "ask", "Når sendes utskrivningsrapporten?", "--json")
    assert run.returncode == 0, run.stderr
    answer = AskResponse.model_validate_json(run.stdout)
    assert answer.citations[0].source == "standarder/meldinger.md"


def test_a_refark_url_that_does_not_answer_is_a_clear_error():
    closed = f"http://127.0.0.1:{free_port()}"
    run = refark_through(closed, "search", "helseid")
    assert run.returncode == 1
    assert run.stderr.startswith(f"Feil: Fikk ikke kontakt med {closed}")

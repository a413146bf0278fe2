"""The first start: with no index yet, the service answers at once and builds the index in the
background, saying how far it has come, then serves it without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from index import build
from tests.conftest import REPO, free_port, serve

pytestmark = pytest.mark.slow


def wait_until_ready(url: str, seconds: float = 300) -> dict:
    """The /readyz answer once the complete index serves (not just keyword search)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}/readyz", timeout=5)
        except httpx.TransportError:
            response = None
        if response is not None and response.json().get("status") == "ok":
            return response.json()
        time.sleep(0.2)
    raise AssertionError(f"{url} was not ready after {seconds} s")


def readyz_when(url: str, stage: str) -> httpx.Response:
    for _ in range(300):
        ready = httpx.get(f"{url}/readyz", timeout=5)
        if ready.json().get("stage") == stage:
            return ready
        time.sleep(0.1)
    raise AssertionError(f"the build never reached {stage!r}: {ready.json()}")


def test_while_the_first_index_is_built_the_service_answers_then_searches_by_keyword_at_once(
    small_corpus: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
):
    # Fault injection: reading the files and embedding each wait for a signal, standing in for
    # a slow machine, so the test can look at the service at each step of the build.
    files_read, embedded = threading.Event(), threading.Event()
    real_collect, real_embed = build._collect, embedder.embed_passages

    def slow_collect(*args, **kwargs):
        files_read.wait(120)
        return real_collect(*args, **kwargs)

    def slow_embed(*args, **kwargs):
        embedded.wait(120)
        return real_embed(*args, **kwargs)

    monkeypatch.setattr(build, "_collect", slow_collect)
    monkeypatch.setattr(embedder, "embed_passages", slow_embed)
    with serve(tmp_path / "index", embedder, corpus_dir=small_corpus) as running:
        url = running.url
        building = running.engine.build_first_index()
        try:
            # 1. Reading the files: nothing to search yet; the service says how far it is.
            ready = httpx.get(f"{url}/readyz", timeout=5)
            assert ready.status_code == 503 and ready.json()["status"] == "bygger indeks"
            search = httpx.get(f"{url}/api/search", params={"q": "PLO"}, timeout=5)
            assert search.status_code == 503
            assert search.json()["detail"].startswith("Indeksen bygges (")
            assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
            assert httpx.get(f"{url}/", timeout=5).status_code == 200

            # 2. Files read, embeddings under way: keyword search works, questions wait.
            files_read.set()
            ready = readyz_when(url, "tekstbiter")
            body = ready.json()
            assert ready.status_code == 200 and body["status"] == "delvis klar"
            assert 10 <= body["percent"] < 50
            found = httpx.get(
                f"{url}/api/search", params={"q": "utskrivningsrapport"}, timeout=30
            ).json()
            assert found["results"][0]["source"] == "standarder/meldinger.md"
            assert found["mode"] == "lexical"
            assert any("bare på nøkkelord" in notice for notice in found["notices"])
            asked = httpx.post(f"{url}/api/ask", json={"question": "Hva er PLO?"}, timeout=30)
            assert asked.status_code == 503
            assert "Søk på nøkkelord virker allerede" in asked.json()["detail"]
        finally:
            files_read.set()
            embedded.set()
            building.join(120)

        # 3. Done: the complete index serves, without a restart.
        assert wait_until_ready(url)["generation"] == 2
        found = httpx.get(f"{url}/api/search", params={"q": "utskrivningsrapport"}, timeout=30)
        assert found.json()["mode"] == "hybrid" and found.json()["notices"] == []
        asked = httpx.post(f"{url}/api/ask", json={"question": "Hva er PLO?"}, timeout=30)
        assert asked.status_code == 200


def test_refark_serve_with_no_index_listens_at_once_and_serves_what_it_builds(
    small_corpus: Path, tmp_path: Path
):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "REFARK_CORPUS_DIR": str(small_corpus)}
    command = [sys.executable, "-m", "service.cli", "serve", "--port", str(port)]
    command += ["--index-dir", str(tmp_path / "index")]
    server = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        ready = wait_until_ready(url)
        # generation 1 searched by keyword while generation 2 was embedded
        assert ready["generation"] == 2 and ready["documents"] == 4
        hits = httpx.get(f"{url}/api/search", params={"q": "dialogmelding"}, timeout=30).json()
        assert hits["results"]
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "bygger den fra" in output and "i bakgrunnen" in output

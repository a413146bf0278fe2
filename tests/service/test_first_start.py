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

from tests.conftest import REPO, free_port, serve

pytestmark = pytest.mark.slow


def wait_until_ready(url: str, seconds: float = 300) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}/readyz", timeout=5)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return response.json()
        time.sleep(0.2)
    raise AssertionError(f"{url} was not ready after {seconds} s")


def test_while_the_first_index_is_built_the_service_answers_and_reports_progress(
    small_corpus: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
):
    # Fault injection: embedding waits for a signal, standing in for a slow machine, so the
    # test can look at the service mid-build.
    release = threading.Event()
    real_embed = embedder.embed_passages

    def slow_embed(*args, **kwargs):
        release.wait(120)
        return real_embed(*args, **kwargs)

    monkeypatch.setattr(embedder, "embed_passages", slow_embed)
    with serve(tmp_path / "index", embedder, corpus_dir=small_corpus) as running:
        building = running.engine.build_first_index()
        try:
            for _ in range(100):
                ready = httpx.get(f"{running.url}/readyz", timeout=5)
                if ready.json().get("stage") == "tekstbiter":
                    break
                time.sleep(0.1)
            assert ready.status_code == 503
            body = ready.json()
            assert body["status"] == "bygger indeks" and 10 <= body["percent"] < 50
            search = httpx.get(f"{running.url}/api/search", params={"q": "PLO"}, timeout=5)
            assert search.status_code == 503
            assert (
                search.json()["detail"]
                == f"Indeksen bygges ({body['percent']} %). Prøv igjen om litt."
            )
            assert httpx.get(f"{running.url}/healthz", timeout=5).status_code == 200
            assert httpx.get(f"{running.url}/", timeout=5).status_code == 200
        finally:
            release.set()
            building.join(120)
        assert wait_until_ready(running.url)["generation"] == 1
        hits = httpx.get(
            f"{running.url}/api/search", params={"q": "utskrivningsrapport"}, timeout=30
        ).json()["results"]
        assert hits[0]["source"] == "standarder/meldinger.md"


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
        assert ready["generation"] == 1 and ready["documents"] == 4
        hits = httpx.get(f"{url}/api/search", params={"q": "dialogmelding"}, timeout=30).json()
        assert hits["results"]
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "bygger den fra" in output and "i bakgrunnen" in output

"""`refark serve --workers 2` as users run it: a real supervisor process with two workers that
share one port and one index generation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from index.build import build_index
from tests.conftest import REPO, free_port

pytestmark = pytest.mark.slow

QUERIES = (
    "PLO-meldinger",
    "utskrivningsrapport",
    "dialogmelding fastlegen",
    "kjernejournal",
    "e-resept",
    "velferdsteknologisk knutepunkt",
    "innleggelsesrapport sykehuset",
    "Norsk helsenett",
)
STARTUP_SECONDS = 300  # two processes load the model at once on a machine that may be busy


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat from the state field on (the command name may contain spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def worker_pids(server: int) -> list[int]:
    """uvicorn's workers: the server's children started by multiprocessing's spawn."""
    workers = []
    for entry in Path("/proc").iterdir():
        with suppress(OSError, ValueError, IndexError):
            if (
                entry.name.isdigit()
                and int(_stat_fields(int(entry.name))[1]) == server
                and b"spawn_main" in (entry / "cmdline").read_bytes()
            ):
                workers.append(int(entry.name))
    return workers


def cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_workers(server: subprocess.Popen, log: Path, count: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while log.read_text(errors="replace").count("Application startup complete") < count:
        assert server.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.5)


def search(url: str, query: str) -> httpx.Response:
    # A new connection each time: the kernel hands connections to whichever worker accepts
    # first, so kept-alive connections could all stay with one worker.
    return httpx.get(f"{url}/api/search", params={"q": query, "k": 3}, timeout=60)


def test_two_workers_share_the_port_and_both_answer_searches(
    small_corpus: Path, tmp_path: Path, embedder
):
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, embedder)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = {**os.environ, "REFARK_CORPUS_DIR": str(small_corpus), "REFARK_RATE_LIMIT": "0"}
    command = [sys.executable, "-m", "service.cli", "serve", "--workers", "2"]
    command += ["--port", str(port), "--index-dir", str(index_dir)]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_workers(server, log, 2)
        assert httpx.get(f"{url}/healthz", timeout=30).json() == {"status": "ok"}
        workers = worker_pids(server.pid)
        assert len(workers) == 2
        # Which worker answered is not visible over HTTP; the CPU each one spends is. An idle
        # worker spends next to none, a search tens of milliseconds.
        before = {pid: cpu_seconds(pid) for pid in workers}
        responses: list[httpx.Response] = []
        with ThreadPoolExecutor(len(QUERIES)) as pool:
            for _ in range(25):  # at most 200 searches
                responses += pool.map(lambda q: search(url, q), QUERIES)
                spent = {pid: cpu_seconds(pid) - before[pid] for pid in workers}
                if min(spent.values()) > 0.25:
                    break
        assert {r.status_code for r in responses} == {200}
        assert responses[0].json()["results"][0]["source"] == "standarder/meldinger.md"
        assert min(spent.values()) > 0.25, f"CPU seconds per worker: {spent}"
    finally:
        server.terminate()  # uvicorn's supervisor stops its workers
        try:
            server.wait(timeout=60)
        finally:
            with suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
    assert server.returncode == 0, log.read_text(errors="replace")
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]

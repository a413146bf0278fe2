"""The first minute on a fresh machine: `refark serve` over the bundled corpus with no index
yet (what `./run.sh` does once the install is done).

It copies `corpus/` to var/bench/first-start/corpus, starts `refark serve` with an empty index
folder and an empty embedding cache, and times from the start of the process:
* the port answering (`/healthz`);
* the first `GET /api/search` that returns hits (keyword search on the lexical-only
  generation that is published as soon as the files are read);
* `/readyz` saying "ok" (the embedded generation published: hybrid search and answers).

Beside them, measured in this run: the LIMIT for the first answer, reading and writing the
lexical-only generation in this process (`build_index(embed=False)`, no model loaded).

    .venv/bin/python bench/first_start.py
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
from api_latency import start_server
from common import BENCH_VAR, REPO_ROOT, log

from index.build import build_index
from index.embedder import Embedder

WORK = BENCH_VAR / "first-start"
QUERY = "Hvordan sender kommunen PLO-meldinger?"


def lexical_build_seconds() -> float:
    index_dir = WORK / "lexical-index"
    shutil.rmtree(index_dir, ignore_errors=True)
    started = time.perf_counter()
    # The embedder is never loaded for a lexical-only build; only its model id is recorded.
    build_index(WORK / "corpus", index_dir, Embedder(), embed=False)
    return time.perf_counter() - started


def main() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.copytree(REPO_ROOT / "corpus", WORK / "corpus")
    limit = lexical_build_seconds()
    environment = {
        "REFARK_CORPUS_DIR": str(WORK / "corpus"),
        "REFARK_INDEX_DIR": str(WORK / "index"),
        "REFARK_FEEDBACK_DB": str(WORK / "feedback.sqlite3"),
        "REFARK_EXPERIENCES_DIR": str(WORK / "experiences"),
    }
    log(f"load average at start: {Path('/proc/loadavg').read_text().split()[:3]}")
    started = time.perf_counter()
    server, url = start_server(environment)
    times: dict[str, float] = {}
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            while "ready" not in times:
                if server.poll() is not None:
                    raise SystemExit("refark serve exited")
                elapsed = time.perf_counter() - started
                try:
                    if "port" not in times and client.get("/healthz").status_code == 200:
                        times["port"] = elapsed
                    if "answer" not in times:
                        found = client.get("/api/search", params={"q": QUERY})
                        if found.status_code == 200 and found.json().get("results"):
                            times["answer"] = time.perf_counter() - started
                    ready = client.get("/readyz")
                    if ready.status_code == 200 and ready.json().get("status") == "ok":
                        times["ready"] = time.perf_counter() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print("| figure | seconds | limit | seconds | ratio |\n|---|---:|---|---:|---:|")
    print(f"| port answers | {times.get('port', float('nan')):.1f} | | | |")
    print(
        f"| first search with hits (keyword) | {times['answer']:.1f} | lexical-only build in "
        f"process | {limit:.1f} | {times['answer'] / limit:.1f}x |"
    )
    print(f"| hybrid search and answers ready | {times['ready']:.1f} | | | |")


if __name__ == "__main__":
    main()

"""End-to-end latency of `GET /api/search` and `POST /api/ask` over HTTP, per search mode, against
a real `refark serve` on a loopback port (what a user of the web page waits for).

Usage: .venv/bin/python bench/api_latency.py [--index-dir var/index] [--questions FILE] [-n 100]
The index must exist (`refark ingest` first). Requests are sequential, bounded in count.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from common import REPO_ROOT, log, percentile


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(environment: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`refark serve` on a free loopback port with these settings added to the environment;
    the process and its URL."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env={**os.environ, **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return server, f"http://127.0.0.1:{port}"


def wait_ready(
    url: str, server: subprocess.Popen, seconds: float = 120, interval: float = 0.5
) -> None:
    """Until `/readyz` answers 200, asked every `interval` seconds; SystemExit, with the last
    answer, when the server exits or `seconds` pass first."""
    deadline = time.monotonic() + seconds
    status = "no answer"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("refark serve exited before it was ready")
        try:
            answer = httpx.get(f"{url}/readyz", timeout=2)
            if answer.status_code == 200:
                return
            status = answer.text
        except httpx.TransportError:
            pass
        time.sleep(interval)
    raise SystemExit(f"refark serve was not ready in {seconds} s: {status}")


def lean_connection(url: str) -> http.client.HTTPConnection:
    """A keep-alive connection through the standard library, for timing the server itself:
    httpx spends about 1 ms of its own per request (GET /healthz took 1.7 ms with httpx and
    0.7 ms with http.client on the same server, 2026-11-28), the measurer's cost, not the
    service's."""
    host, port = url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=120)


def timed_get(connection: http.client.HTTPConnection, path: str, params: dict) -> float:
    """One GET over the lean connection, in ms, body read; SystemExit unless it is a 200."""
    started = time.perf_counter()
    connection.request("GET", f"{path}?{urlencode(params)}")
    response = connection.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise SystemExit(f"GET {path} answered {response.status}")
    return elapsed


def timed(call) -> float:
    started = time.perf_counter()
    response = call()
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, default=REPO_ROOT / "var" / "index")
    parser.add_argument(
        "--questions", type=Path, default=REPO_ROOT / "corpus" / "eval" / "questions.jsonl"
    )
    parser.add_argument("-n", type=int, default=100, help="requests per measured row")
    args = parser.parse_args()
    questions = [
        json.loads(line)["question"]
        for line in args.questions.read_text(encoding="utf-8").splitlines()
        if line
    ]
    questions = (questions * (args.n // len(questions) + 1))[: args.n]

    server, url = start_server({"REFARK_INDEX_DIR": str(args.index_dir)})
    try:
        wait_ready(url, server)
        with httpx.Client(base_url=url, timeout=60) as client:
            for q in questions[:10]:  # warm-up
                client.get("/api/search", params={"q": q})
            print("| request | n | median ms | p95 ms |\n|---|---:|---:|---:|")
            for mode in ("dense", "lexical", "hybrid"):
                times = [
                    timed(
                        lambda q=q, m=mode: client.get(
                            "/api/search", params={"q": q, "k": 10, "mode": m}
                        )
                    )
                    for q in questions
                ]
                print(
                    f"| GET /api/search mode={mode} | {len(times)} | "
                    f"{statistics.median(times):.1f} | {percentile(sorted(times), 95):.1f} |"
                )
            times = [
                timed(lambda q=q: client.post("/api/ask", json={"question": q})) for q in questions
            ]
            print(
                f"| POST /api/ask | {len(times)} | {statistics.median(times):.1f} | "
                f"{percentile(sorted(times), 95):.1f} |"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log("server stopped")


if __name__ == "__main__":
    main()

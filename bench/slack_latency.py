"""Time from a Slack event to Refark's answer in the thread, against a real `refark serve` in
HTTP mode, with the real slack_sdk client posting into the loopback fake Slack Web API of the
tests (tests/slack/fake_slack.py). Baseline in the same run: `POST /api/ask` for the same
questions on the same server, so the ratio is what the Slack round trips (ack, ⏳ reaction,
placeholder, update) add to the answer itself.

Usage: .venv/bin/python bench/slack_latency.py [--index-dir var/bench/corpus-index] [-n 20]
The index must exist (`refark ingest corpus --index-dir var/bench/corpus-index` first).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from api_latency import free_port, wait_ready
from common import BENCH_VAR, REPO_ROOT, log, percentile

sys.path.insert(0, str(REPO_ROOT))  # the fake Slack lives with the tests
from tests.slack.fake_slack import BOT_USER_ID, FakeSlack, event_body, signed_headers

SECRET = "bench-signing-secret"


def answer_seconds(fake: FakeSlack, url: str, question: str) -> tuple[float, float]:
    """(ack, answer) in seconds from the moment the event is sent."""
    channel = f"C{uuid.uuid4().hex[:8].upper()}"
    text = f"<@{BOT_USER_ID}> {question}"
    ts = fake.add_message(channel, text)
    event = {"type": "app_mention", "user": "U1", "text": text, "ts": ts, "channel": channel}
    body = event_body(event, f"Ev{uuid.uuid4().hex[:12]}")
    headers = {"Content-Type": "application/json", **signed_headers(SECRET, body)}
    started = time.perf_counter()
    httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=30).raise_for_status()
    acked = time.perf_counter() - started
    placeholder = fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == channel)
    fake.wait_for(
        "chat.update",
        lambda c: c.args["channel"] == channel and c.args["ts"] == placeholder.response["ts"],
    )
    return acked, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, default=BENCH_VAR / "corpus-index")
    parser.add_argument(
        "--questions", type=Path, default=REPO_ROOT / "corpus" / "eval" / "questions.jsonl"
    )
    parser.add_argument("-n", type=int, default=20, help="questions measured")
    args = parser.parse_args()
    lines = args.questions.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][: args.n]

    with FakeSlack() as fake:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        environment = {
            **os.environ,
            "REFARK_INDEX_DIR": str(args.index_dir),
            "REFARK_FEEDBACK_DB": str(BENCH_VAR / "slack-feedback.sqlite3"),
            "REFARK_RATE_LIMIT": "0",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
        }
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            environment.pop(name, None)  # slack_sdk would send loopback calls to a proxy
        server = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
            cwd=REPO_ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(url, server)
            log(f"Timing {len(questions)} questions over /api/ask, then as Slack mentions ...")
            asks = []
            for question in questions:
                started = time.perf_counter()
                response = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=60)
                response.raise_for_status()
                asks.append(time.perf_counter() - started)
            timings = [answer_seconds(fake, url, q) for q in questions]
        finally:
            server.terminate()
            server.wait(timeout=30)

    acks = [a * 1000 for a, _ in timings]
    answers = [b * 1000 for _, b in timings]
    ask_ms = [a * 1000 for a in asks]
    baseline = statistics.median(ask_ms)
    print(f"Slack: event to answer in the thread, {len(questions)} questions (HTTP mode)\n")
    print("| figure | median ms | p90 ms | ratio to POST /api/ask median |")
    print("|---|---:|---:|---:|")
    for name, values in (
        ("POST /api/ask (baseline)", ask_ms),
        ("event acked (HTTP 200 to Slack)", acks),
        ("event to answer in the thread", answers),
    ):
        median, p90 = statistics.median(values), percentile(sorted(values), 90)
        print(f"| {name} | {median:.0f} | {p90:.0f} | {median / baseline:.2f} |")


if __name__ == "__main__":
    main()

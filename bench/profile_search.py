"""Where a search's time goes inside `refark serve`: py-spy samples the server while it answers
GET /api/search for the corpus questions, and the samples are summed per function.

    .venv/bin/python bench/profile_search.py [--index-dir var/bench/scaling/1000/index] [-n 300]

Prints the share of the server's busy samples (everything but idle threads: HTTP parsing,
the event loop, the search) spent in each step of a search, inclusive, and the functions with
the most samples of their own. py-spy is a bench dependency
(`pip install -e '.[bench]'`); it needs to be allowed to read the server's memory (ptrace).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

from api_latency import lean_connection, start_server, timed_get, wait_ready
from common import REPO_ROOT, log

QUESTIONS = REPO_ROOT / "corpus" / "eval" / "questions.jsonl"
# Inclusive shares are reported for these frames (function name, file name ending).
STEPS = (
    ("search", "service/routers/search.py"),
    ("search", "service/searching.py"),
    ("correct", "index/search.py"),
    ("_query_vector", "index/search.py"),
    ("matches", "index/lexical.py"),
    ("expand", "index/glossary.py"),
    ("_candidates", "index/search.py"),
    ("_pool", "index/search.py"),
    ("chunks", "index/store.py"),
    ("search_response", "service/responses.py"),
    ("highlight_spans", "index/highlight.py"),
)


def frames(stack: str) -> list[tuple[str, str]]:
    """(function, file) of each frame of one py-spy raw stack line, outermost first."""
    found = []
    for frame in stack.split(";"):
        name, _, rest = frame.partition(" (")
        found.append((name.strip(), rest.split(":")[0]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--index-dir", type=Path, default=REPO_ROOT / "var" / "bench" / "scaling" / "1000" / "index"
    )
    parser.add_argument("-n", type=int, default=300, help="searches while sampling")
    parser.add_argument("--rate", type=int, default=500, help="py-spy samples per second")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(REPO_ROOT / ".venv" / "bin" / "py-spy")
    if not Path(spy).is_file():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install -e '.[bench]'")
    questions = [
        json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line
    ]
    questions = (questions * (args.n // len(questions) + 1))[: args.n]
    server, url = start_server({"REFARK_INDEX_DIR": str(args.index_dir), "REFARK_RATE_LIMIT": "0"})
    output = Path("/tmp") / f"refark-profile-{server.pid}.txt"
    try:
        wait_ready(url, server)
        connection = lean_connection(url)
        for q in questions[:10]:
            timed_get(connection, "/api/search", {"q": q})
        sampler = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(server.pid),
                "--format",
                "raw",
                "--rate",
                str(args.rate),
                "--output",
                str(output),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(1.0)  # py-spy attaches
        times = [timed_get(connection, "/api/search", {"q": q}) for q in questions]
        sampler.send_signal(2)  # SIGINT: py-spy writes what it has and exits
        _, errors = sampler.communicate(timeout=60)
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    if not output.is_file():
        raise SystemExit(f"py-spy wrote nothing: {errors.decode()[-500:]}")
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    busy = 0
    for line in output.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        stack_frames = frames(stack)
        busy += int(count)
        seen = set()
        for name, path in stack_frames:
            for step, ending in STEPS:
                short = name.rpartition(".")[2]  # py-spy names methods Class.method
                if short == step and path.endswith(ending) and (step, ending) not in seen:
                    seen.add((step, ending))
                    inclusive[f"{ending}:{step}"] += int(count)
        name, path = stack_frames[-1]
        own[f"{path}:{name}"] += int(count)
    output.unlink()
    log(f"{len(times)} searches, median {sorted(times)[len(times) // 2]:.1f} ms")
    print(f"{busy} samples of the server at work (py-spy leaves out idle threads)\n")
    print("| step (inclusive) | share |\n|---|---:|")
    for step, count in inclusive.most_common():
        print(f"| {step} | {count / busy:.1%} |")
    print("\n| function (own samples) | share |\n|---|---:|")
    for function, count in own.most_common(15):
        print(f"| {function} | {count / busy:.1%} |")


if __name__ == "__main__":
    main()

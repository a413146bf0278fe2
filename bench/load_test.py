"""Load test: many clients at once against `refark serve --workers W` on a loopback port, with a
re-ingest in the middle of the run, so the server switches index generations under load.

Usage: .venv/bin/python bench/load_test.py [--clients 32] [--seconds 60] [--workers 1,2]
           [--baseline-seconds 5] [--per-connection 0] [--index-dir DIR]
           [--max-requests 100000]

Once: the bundled corpus is ingested into a temporary folder under var/bench/ (or --index-dir,
an index of the bundled corpus such as var/bench/corpus-index, is used; it is copied, never
changed). Then for each worker count: fresh copies of the corpus and the index, a server with an
admin token and REFARK_RATE_LIMIT=0, one client alone for --baseline-seconds (the baseline), then
--clients clients for --seconds, each alternating GET /api/search and POST /api/ask. At 40% of
the run one corpus file gets a new paragraph and POST /api/admin/reingest publishes a new
generation; the run checks that /readyz reports it, that every worker process has it
memory-mapped and that the new paragraph is found. Exit status 1 when any request failed or a
generation did not switch during the load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from api_latency import free_port, wait_ready
from common import BENCH_VAR, REPO_ROOT, ingest, load_embedder, log, percentile
from process_stats import Memory, cpu_seconds, maps_generation, watch_memory, worker_pids

from index.generation import current_generation
from service.settings import get_settings

# What municipal caseworkers and architects ask about the bundled corpus: full questions,
# keyword queries and acronyms.
QUESTIONS = (
    "Hvordan sender kommunen PLO-meldinger til sykehuset?",
    "Hva er en applikasjonskvittering, og når skal den sendes?",
    "Hva må hjemmetjenesten ha på plass for å få tilgang til kjernejournal?",
    "Hva kreves for at kommunen kan bli medlem av Norsk helsenett?",
    "Hvordan logger helsepersonell inn med HelseID i journalsystemet?",
    "Hva er forskjellen på e-resept og pasientens legemiddelliste?",
    "Når bruker vi dialogmelding mellom hjemmetjenesten og fastlegen?",
    "Hva skjer hvis en melding ikke er kvittert innen fire timer?",
    "Hvordan fungerer dokumentdeling av pasientens journaldokumenter?",
    "Hva er velferdsteknologisk knutepunkt (VKP)?",
    "Hvilke FHIR-basisprofiler bør kommunen bruke?",
    "Hvordan slår fagsystemet opp i adresseregisteret?",
    "Hva sier Normen om tilgangsstyring og logging?",
    "Hvordan rapporterer kommunen IPLOS-data til KPR?",
    "Hvilke krav stiller e-helseforskriften til kommunen?",
    "erfaringer migrering HelseID kommune",
    "Hvordan kan innbyggerne ha digital dialog med kommunen via Helsenorge?",
    "Hva bør vi tenke på når vi anskaffer et nytt EPJ-system?",
    "Hvordan integreres SMART on FHIR-apper i EPJ?",
    "utskrivningsrapport PLO",
    "Erfaringer med multidose og medisindispensere på sykehjem",
    "Hva er grunndata, og hvordan gjør fagsystemet oppslag?",
)
SEARCH_SHAPES = (  # (k, mode), varied the way the web page and the API get them
    (10, "hybrid"),
    (5, "hybrid"),
    (3, "dense"),
    (10, "lexical"),
    (20, "hybrid"),
    (5, "lexical"),
    (10, "dense"),
)
CHANGED_FILE = "standarder/helseid.md"  # relative to the corpus; gets a paragraph mid-run
SWITCH_AT = 0.4  # share of the run after which the corpus changes and the re-ingest starts
# /readyz answers in a row, each on a new connection (so that more than one worker can take
# it), that must name the new generation.
READY_STREAK = 8
# Users arrive spread over this many seconds. Connections opened all at once would all be
# accepted by whichever worker wakes first (they share one listening socket).
RAMP_UP = 1.0
CHECK_GRACE = 20.0  # seconds after the load for the per-worker checks of a late switch
REQUEST_TIMEOUT = 30.0  # seconds; a slower answer counts as an error (ReadTimeout)
STARTUP_SECONDS = 300  # each worker loads the model; on a busy 2-core machine this takes a while
STARTUP_LINE = "Application startup complete"  # uvicorn logs it once per worker


@dataclass(frozen=True)
class Call:
    kind: str  # the row it is reported in, e.g. "GET /api/search"
    method: str
    path: str
    params: dict | None = None
    body: dict | None = None


def request_plan() -> list[Call]:
    """Search and ask in turn, over every question; searches with varied k and mode, every
    fourth ask a follow-up (resolved against its history before it is searched)."""
    plan = []
    for i, question in enumerate(QUESTIONS):
        k, mode = SEARCH_SHAPES[i % len(SEARCH_SHAPES)]
        params = {"q": question, "k": k, "mode": mode}
        plan.append(Call("GET /api/search", "GET", "/api/search", params=params))
        body: dict = {"question": QUESTIONS[(i + len(QUESTIONS) // 2) % len(QUESTIONS)]}
        if i % 4 == 3:
            body["history"] = [
                {"role": "user", "content": QUESTIONS[i - 1]},
                {"role": "assistant", "content": "Se kildene."},
            ]
        plan.append(Call("POST /api/ask", "POST", "/api/ask", body=body))
    return plan


@dataclass
class Tally:
    """One phase: latencies (ms) of the answered requests per kind, failures by kind."""

    sent: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def sorted_ms(self, kind: str | None = None) -> list[float]:
        if kind is not None:
            return sorted(self.latencies.get(kind, ()))
        return sorted(ms for values in self.latencies.values() for ms in values)


@dataclass
class Budget:
    """The most requests a phase may send, whatever its duration."""

    left: int

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


async def checked(
    client: httpx.AsyncClient, method: str, path: str, errors: Counter, **kwargs
) -> httpx.Response | None:
    """The response when it is 2xx; otherwise None, with the failure counted by its kind."""
    try:
        response = await client.request(method, path, **kwargs)
    except httpx.HTTPError as error:
        errors[f"{method} {path} {type(error).__name__}"] += 1
        return None
    if not response.is_success:
        errors[f"{method} {path} HTTP {response.status_code}"] += 1
        return None
    return response


async def one_client(
    url: str,
    plan: list[Call],
    offset: int,
    deadline: float,
    budget: Budget,
    tally: Tally,
    per_connection: int,
) -> None:
    """One user, one request at a time until time or budget runs out, on a connection it
    replaces after `per_connection` requests (0: one connection for the whole run)."""
    step = offset
    while time.monotonic() < deadline:
        async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT) as client:
            for _ in range(per_connection or sys.maxsize):
                if time.monotonic() >= deadline or not budget.take():
                    return
                call = plan[step % len(plan)]
                started = time.perf_counter()
                response = await checked(
                    client, call.method, call.path, tally.errors, params=call.params, json=call.body
                )
                tally.sent += 1
                if response is not None:
                    ms = (time.perf_counter() - started) * 1000
                    tally.latencies.setdefault(call.kind, []).append(ms)
                step += 1


async def run_clients(
    url: str,
    plan: list[Call],
    clients: int,
    seconds: float,
    max_requests: int,
    tally: Tally,
    per_connection: int = 0,
) -> None:
    """`clients` users for `seconds`; they arrive spread over RAMP_UP seconds, as users do."""
    started = time.monotonic()
    budget = Budget(max_requests)

    async def user(number: int) -> None:
        await asyncio.sleep(RAMP_UP * number / clients)
        await one_client(url, plan, number, started + seconds, budget, tally, per_connection)

    await asyncio.gather(*(user(number) for number in range(clients)))
    tally.seconds = time.monotonic() - started


# --- the generation switch -----------------------------------------------------------------


@dataclass
class Switch:
    before: int | None = None
    after: int | None = None
    reingest: str = "not started"
    readyz_at: float | None = None  # seconds into the load when /readyz named it READY_STREAK times
    workers_mapped: tuple[int, int] = (0, 0)  # workers with the new generation mapped, of all
    marker_found: bool = False

    @property
    def ok(self) -> bool:
        """Switched while the clients ran, in every worker, and the new text is found."""
        mapped, total = self.workers_mapped
        return self.readyz_at is not None and 0 < mapped == total and self.marker_found

    def summary(self) -> str:
        if self.after is None or self.readyz_at is None:
            return f"no ({self.reingest})"
        mapped, total = self.workers_mapped
        found = "new text found" if self.marker_found else "new text NOT found"
        return (
            f"{'yes' if self.ok else 'no'}: {self.before}→{self.after} at {self.readyz_at:.1f} s, "
            f"mapped by {mapped}/{total} workers, {found}"
        )


async def generation_of(client: httpx.AsyncClient, errors: Counter) -> int | None:
    response = await checked(client, "GET", "/readyz", errors)
    return response.json().get("generation") if response is not None else None


async def switch_generation(
    url: str,
    token: str,
    corpus_dir: Path,
    index_dir: Path,
    server_pid: int,
    load_started: float,
    seconds: float,
    errors: Counter,
) -> Switch:
    """At SWITCH_AT of the load: change one corpus file and re-ingest through the admin API;
    then check that /readyz names the new generation before the load ends, that every worker
    has opened it and that the new text is found."""
    switch = Switch()
    deadline = load_started + seconds
    await asyncio.sleep(seconds * SWITCH_AT)
    # No keep-alive: every check is a new connection, which any worker may accept.
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT, limits=fresh) as client:
        switch.before = await generation_of(client, errors)
        marker = f"lasttest{secrets.token_hex(4)}"
        changed = corpus_dir / CHANGED_FILE
        added = f"\n\n## Lasttest\n\nOrdet {marker} ble lagt til av bench/load_test.py.\n"
        changed.write_text(changed.read_text(encoding="utf-8") + added, encoding="utf-8")
        started = time.monotonic()
        response = await checked(
            client,
            "POST",
            "/api/admin/reingest",
            errors,
            headers={"Authorization": f"Bearer {token}"},
            timeout=max(REQUEST_TIMEOUT, deadline - started + 30),
        )
        if response is None:
            switch.reingest = "failed"
            return switch
        report = response.json()
        switch.reingest = (
            f"started at {started - load_started:.1f} s, {time.monotonic() - started:.1f} s, "
            f"changed {', '.join(report['changed'])}, {report['chunks_embedded']} chunks and "
            f"{report['sentences_embedded']} sentences embedded, published {report['published']}"
        )
        streak = 0
        while streak < READY_STREAK and time.monotonic() < deadline:
            generation = await generation_of(client, errors)
            if generation is not None and generation != switch.before:
                switch.after = switch.after or generation
                streak = streak + 1 if generation == switch.after else 0
            else:
                streak = 0
            await asyncio.sleep(0.05)
        if streak < READY_STREAK:
            return switch
        switch.readyz_at = time.monotonic() - load_started
        # Every worker follows `current` on its own (REFARK_RELOAD_INTERVAL): wait for each
        # one to open the new generation rather than trusting whichever worker answered.
        checks_end = deadline + CHECK_GRACE
        new_dir = index_dir / f"gen-{switch.after}"
        while True:
            workers = worker_pids(server_pid)
            mapped = sum(maps_generation(pid, new_dir) for pid in workers)
            switch.workers_mapped = (mapped, len(workers))
            if mapped == len(workers) or time.monotonic() > checks_end:
                break
            await asyncio.sleep(0.2)
        params = {"q": marker, "k": 5, "mode": "lexical"}
        for _ in range(READY_STREAK):
            found = await checked(client, "GET", "/api/search", errors, params=params)
            sources = [hit["source"] for hit in found.json()["results"]] if found else []
            if CHANGED_FILE not in sources:
                return switch
        switch.marker_found = True
    return switch


# --- one run per worker count --------------------------------------------------------------


@dataclass
class Run:
    workers: int
    baseline: Tally = field(default_factory=Tally)
    load: Tally = field(default_factory=Tally)
    memory: Memory = field(default_factory=Memory)
    switch: Switch = field(default_factory=Switch)
    worker_cpu: list[float] = field(default_factory=list)  # CPU s per worker during the load
    client_cpu: float = 0.0  # CPU s this script spent during the load (same 2 cores)
    restarts: int = 0  # workers uvicorn's supervisor found dead and replaced
    load_average: float = 0.0  # 1-minute load average before the server started

    @property
    def ok(self) -> bool:
        return not self.baseline.errors and not self.load.errors and self.switch.ok


def start_server(
    workers: int, index_dir: Path, corpus_dir: Path, token: str, log_path: Path
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "REFARK_CORPUS_DIR": str(corpus_dir),
        "REFARK_ADMIN_TOKEN": token,
        "REFARK_RATE_LIMIT": "0",  # every client is 127.0.0.1: a per-address limit would refuse
    }
    command = [sys.executable, "-m", "service.cli", "serve", "--workers", str(workers)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--index-dir", str(index_dir)]
    with log_path.open("wb") as output:
        server = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so that nothing outlives the run
        )
    return server, f"http://127.0.0.1:{port}"


def wait_for_workers(server: subprocess.Popen, log_path: Path, workers: int) -> None:
    """/readyz answers as soon as one worker is up; wait until every worker has started."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while log_path.read_text(errors="replace").count(STARTUP_LINE) < workers:
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"refark serve did not start {workers} workers; see {log_path}")
        time.sleep(0.5)


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM lets uvicorn stop its workers; whatever is left of the process group this script
    started is then killed."""
    if server.poll() is None:
        server.terminate()
        with suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)
    with suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)


async def measure_run(
    run: Run,
    url: str,
    server: subprocess.Popen,
    corpus_dir: Path,
    index_dir: Path,
    token: str,
    args: argparse.Namespace,
) -> None:
    """A warm-up (its failures count), the single-client baseline, then the load with the
    generation switch."""
    plan = request_plan()
    await run_clients(url, plan[:10], 1, 60, 10, Tally(errors=run.baseline.errors))
    log(f"  baseline: 1 client for {args.baseline_seconds:g} s")
    await run_clients(url, plan, 1, args.baseline_seconds, args.max_requests, run.baseline)

    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_memory(server.pid, run.memory, stop))
    workers = worker_pids(server.pid)
    cpu_before = [cpu_seconds(pid) for pid in workers]
    client_before = time.process_time()
    log(f"  load: {args.clients} clients for {args.seconds:g} s")
    started = time.monotonic()
    switcher = asyncio.create_task(
        switch_generation(
            url, token, corpus_dir, index_dir, server.pid, started, args.seconds, run.load.errors
        )
    )
    await run_clients(
        url, plan, args.clients, args.seconds, args.max_requests, run.load, args.per_connection
    )
    run.client_cpu = time.process_time() - client_before
    run.worker_cpu = [
        cpu_seconds(pid) - before for pid, before in zip(workers, cpu_before, strict=True)
    ]
    run.switch = await switcher
    stop.set()
    await watcher


def run_workers(
    workers: int, base_corpus: Path, base_index: Path, work: Path, args: argparse.Namespace
) -> Run:
    """One server with `workers` workers over fresh copies of the corpus and the index."""
    run = Run(workers, load_average=os.getloadavg()[0])
    run_dir = work / f"workers-{workers}"
    corpus_dir, index_dir = run_dir / "corpus", run_dir / "index"
    shutil.copytree(base_corpus, corpus_dir)
    shutil.copytree(base_index, index_dir, symlinks=True)
    token = secrets.token_urlsafe(24)
    log_path = run_dir / "serve.log"
    log(f"workers={workers}: starting refark serve (log: {log_path})")
    server, url = start_server(workers, index_dir, corpus_dir, token, log_path)
    try:
        wait_ready(url, server, seconds=STARTUP_SECONDS)
        wait_for_workers(server, log_path, workers)
        asyncio.run(measure_run(run, url, server, corpus_dir, index_dir, token, args))
    except BaseException:
        log_tail(log_path)
        raise
    finally:
        stop_server(server)
        log(f"workers={workers}: server stopped")
    run.restarts = log_path.read_text(errors="replace").count("died")
    if not run.ok:
        log_tail(log_path)
    return run


def log_tail(log_path: Path, lines: int = 40) -> None:
    """The end of the server's log: the work folder is deleted when the script ends."""
    with suppress(OSError):
        log(f"--- last lines of {log_path.name} ---")
        log("\n".join(log_path.read_text(errors="replace").splitlines()[-lines:]))


def build_base_index(corpus_dir: Path, index_dir: Path) -> Path:
    ingest(corpus_dir, index_dir, load_embedder(get_settings().model))
    return index_dir


# --- the report ----------------------------------------------------------------------------


def _ms(values: list[float], pct: float) -> str:
    return f"{percentile(values, pct):.1f}" if values else "–"


def print_report(runs: list[Run], args: argparse.Namespace) -> None:
    print(
        f"Load test: {args.clients} clients for {args.seconds:g} s per worker count, baseline "
        f"1 client for {args.baseline_seconds:g} s; users arrive over {RAMP_UP:g} s and keep "
        + (
            f"a connection for {args.per_connection} requests"
            if args.per_connection
            else "one connection"
        )
        + f"; {os.cpu_count()} CPU cores.\n"
    )
    print(
        "| workers | requests | errors | p50 ms | p99 ms | 1-client p50 ms | p50 / 1-client "
        "| req/s | peak RSS MB | peak PSS MB | generation switched |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for run in runs:
        load, alone = run.load.sorted_ms(), run.baseline.sorted_ms()
        ratio = percentile(load, 50) / percentile(alone, 50) if load and alone else 0.0
        print(
            f"| {run.workers} | {run.load.sent} | {sum(run.load.errors.values())} "
            f"| {_ms(load, 50)} | {_ms(load, 99)} | {_ms(alone, 50)} | {ratio:.1f}x "
            f"| {run.load.sent / max(run.load.seconds, 1e-9):.1f} "
            f"| {run.memory.peak_rss / 2**20:.0f} | {run.memory.peak_pss / 2**20:.0f} "
            f"| {run.switch.summary()} |"
        )
    print(
        "\n| workers | request | n | p50 ms | p99 ms | 1 client: n | p50 ms | p99 ms |\n"
        "|---:|---|---:|---:|---:|---:|---:|---:|"
    )
    for run in runs:
        for kind in sorted(run.load.latencies):
            load, alone = run.load.sorted_ms(kind), run.baseline.sorted_ms(kind)
            print(
                f"| {run.workers} | {kind} | {len(load)} | {_ms(load, 50)} | {_ms(load, 99)} "
                f"| {len(alone)} | {_ms(alone, 50)} | {_ms(alone, 99)} |"
            )
    print()
    for run in runs:
        errors = run.baseline.errors + run.load.errors
        listed = ", ".join(f"{kind} ×{n}" for kind, n in errors.most_common()) or "none"
        cpu = " + ".join(f"{seconds:.1f}" for seconds in run.worker_cpu)
        print(f"workers={run.workers}: {'OK' if run.ok else 'FAILED'}")
        print(f"  errors: {listed}")
        print(f"  re-ingest: {run.switch.reingest}")
        if run.switch.readyz_at is not None:
            print(f"  /readyz named the new generation from {run.switch.readyz_at:.1f} s")
        print(
            f"  CPU during the load: workers {cpu} s, this client {run.client_cpu:.1f} s; "
            f"worker restarts: {run.restarts}"
        )
        print(f"  1-minute load average before the server started: {run.load_average:.2f}")


def worker_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"expected worker counts like 1,2, not {text!r}")
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=60, help="length of the load phase")
    parser.add_argument("--workers", type=worker_counts, default=[1, 2], help="e.g. 1,2")
    parser.add_argument("--baseline-seconds", type=float, default=5, help="1 client alone")
    parser.add_argument(
        "--per-connection",
        type=int,
        default=0,
        help="requests per client connection before it reconnects (0: keep one connection)",
    )
    parser.add_argument(
        "--index-dir", type=Path, help="an index of the bundled corpus, copied instead of ingesting"
    )
    parser.add_argument("--max-requests", type=int, default=100_000, help="most requests per phase")
    args = parser.parse_args()
    if args.index_dir is not None and current_generation(args.index_dir) is None:
        parser.error(f"no index generation in {args.index_dir}")
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="load-test-", dir=BENCH_VAR) as temporary:
        work = Path(temporary)
        corpus_dir = REPO_ROOT / "corpus"
        base_index = args.index_dir or build_base_index(corpus_dir, work / "index")
        runs = [run_workers(count, corpus_dir, base_index, work, args) for count in args.workers]
    print_report(runs, args)
    return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())

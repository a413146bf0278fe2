"""What stands in front of every route, tried against a real server on loopback: body and rate
limits, JSON errors, security headers, the admin token, health checks that never queue, and a
damaged generation that is never served."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from index.build import build_index
from tests.conftest import serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[Path, Path]:
    from tests.documents import write_corpus

    root = tmp_path_factory.mktemp("guards")
    corpus = write_corpus(root / "corpus")
    build_index(corpus, root / "index", embedder)
    return corpus, root / "index"


@pytest.fixture(scope="module")
def server(small_index, embedder) -> Iterator[str]:
    corpus, index_dir = small_index
    with serve(
        index_dir, embedder, corpus_dir=corpus, admin_token="hemmelig", max_body_bytes=4096
    ) as running:
        yield running.url


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(server: str):
    question = {"question": "Hva er PLO?", "history": [{"role": "user", "content": "x" * 8000}]}
    response = httpx.post(f"{server}/api/ask", json=question, timeout=30)
    assert response.status_code == 413
    assert "for stor" in response.json()["detail"]


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(server: str):
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(100):
            yield b"a" * 1000
        yield b'"}'

    response = httpx.post(
        f"{server}/api/ask",
        content=chunks(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json()["detail"].startswith("Forespørselen er for stor")


def test_a_body_under_the_limit_is_answered(server: str):
    response = httpx.post(f"{server}/api/ask", json={"question": "Hva er PLO-meldinger?"})
    assert response.status_code == 200
    assert response.json()["citations"]


def test_every_page_carries_security_headers_and_a_csp_without_inline_script(server: str):
    for path in ("/", "/api/search?q=PLO", "/healthz"):
        headers = httpx.get(f"{server}{path}", timeout=30).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
    catalog = httpx.get(f"{server}/api/documents", timeout=30).json()
    view = httpx.get(f"{server}/documents/{catalog[0]['doc_id']}", timeout=30)
    assert "script-src 'self'" in view.headers["content-security-policy"]


@pytest.mark.parametrize(
    "authorization", ["Bearer søt", "Bearer feil", "hemmelig", "Bearer  hemmelig", ""]
)
def test_a_wrong_admin_token_gets_401_whatever_its_characters(server: str, authorization: str):
    headers = {"Authorization": authorization.encode("utf-8")} if authorization else {}
    response = httpx.post(f"{server}/api/admin/reingest", headers=headers, timeout=30)
    assert response.status_code == 401
    assert response.json()["detail"] == "Mangler eller feil administrasjonsnøkkel."


def test_unknown_paths_and_methods_get_json_errors(server: str):
    missing = httpx.get(f"{server}/api/finnes-ikke", timeout=30)
    assert missing.status_code == 404 and missing.json() == {"detail": "Fant ikke siden."}
    wrong_method = httpx.delete(f"{server}/api/search", timeout=30)
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"detail": "Metoden er ikke tillatt her."}
    not_utf8 = httpx.post(
        f"{server}/api/ask",
        content=b'{"question": "\xff"}',
        headers={"content-type": "application/json"},
    )
    assert not_utf8.status_code == 400
    assert not_utf8.json() == {"detail": "Kunne ikke lese forespørselskroppen."}
    broken_json = httpx.post(
        f"{server}/api/ask", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken_json.status_code == 422 and "detail" in broken_json.json()


def test_a_client_over_the_rate_limit_gets_429_with_retry_after(small_index, embedder):
    corpus, index_dir = small_index
    with serve(index_dir, embedder, corpus_dir=corpus, rate_limit=60, rate_burst=3) as running:
        statuses = [
            httpx.get(f"{running.url}/api/documents", timeout=30).status_code for _ in range(5)
        ]
        assert statuses[:3] == [200, 200, 200]
        assert statuses[3:] == [429, 429]
        refused = httpx.get(f"{running.url}/api/documents", timeout=30)
        assert int(refused.headers["retry-after"]) >= 1
        assert "For mange forespørsler" in refused.json()["detail"]
        # Health checks and the page are not rate-limited.
        assert httpx.get(f"{running.url}/healthz", timeout=30).status_code == 200
        assert httpx.get(f"{running.url}/", timeout=30).status_code == 200


def test_an_unexpected_error_is_a_json_500_and_counted_in_the_metrics(small_index, embedder):
    corpus, index_dir = small_index
    with serve(index_dir, embedder, corpus_dir=corpus) as running:
        # Fault injection: no real input makes the search fail, so the engine is made to.
        engine = running.engine

        def broken(*args, **kwargs):
            raise RuntimeError("simulert feil")

        engine.search = broken
        response = httpx.get(f"{running.url}/api/search", params={"q": "PLO"}, timeout=30)
        assert response.status_code == 500
        assert response.json() == {"detail": "Intern feil i Refark. Feilen er logget."}
        metrics = httpx.get(f"{running.url}/metrics", timeout=30).text
        assert 'refark_http_requests_total{route="/api/search",status="500"}' in metrics


def test_health_answers_while_every_worker_thread_is_busy(small_index, embedder):
    corpus, index_dir = small_index
    with serve(index_dir, embedder, corpus_dir=corpus) as running:
        # Fault injection: searches that hold their worker thread until released, more of
        # them than the thread pool has threads.
        release = threading.Event()
        engine = running.engine
        real_search = engine.search

        def slow_search(*args, **kwargs):
            release.wait(60)
            return real_search(*args, **kwargs)

        engine.search = slow_search
        with ThreadPoolExecutor(max_workers=50) as pool:
            pending = [
                pool.submit(httpx.get, f"{running.url}/api/search", params={"q": "PLO"}, timeout=90)
                for _ in range(50)
            ]
            try:
                assert httpx.get(f"{running.url}/healthz", timeout=5).json() == {"status": "ok"}
                ready = httpx.get(f"{running.url}/readyz", timeout=5).json()
                assert ready["status"] == "ok" and ready["generation"] == 1
            finally:
                release.set()
            assert {future.result().status_code for future in pending} == {200}


def test_a_damaged_generation_switched_in_while_serving_is_never_served(
    small_index, embedder, tmp_path: Path
):
    corpus, original = small_index
    index_dir = tmp_path / "index"
    shutil.copytree(original, index_dir, symlinks=True)
    with serve(index_dir, embedder, corpus_dir=corpus) as running:
        # A second generation whose vectors are damaged after sealing, then made current.
        shutil.copytree(index_dir / "gen-1", index_dir / "gen-2")
        (index_dir / "gen-2" / "dense.faiss").write_bytes(b"\0" * 64)
        (index_dir / ".current.2").symlink_to("gen-2")
        (index_dir / ".current.2").replace(index_dir / "current")

        statuses = set()
        for _ in range(30):  # 30 × 0.1 s: several reload checks (reload_interval 0.2 s)
            statuses.add(
                httpx.get(f"{running.url}/api/search", params={"q": "PLO"}, timeout=30).status_code
            )
            ready = httpx.get(f"{running.url}/readyz", timeout=30)
            statuses.add(ready.status_code)
            assert ready.json()["generation"] == 1
            threading.Event().wait(0.1)
        assert statuses == {200}


def test_with_no_usable_generation_every_endpoint_says_why_with_503(tmp_path: Path, embedder):
    index_dir = tmp_path / "index"
    (index_dir / "gen-1").mkdir(parents=True)
    (index_dir / "gen-1" / "manifest.json").write_text("{ikke json")
    (index_dir / "current").symlink_to("gen-1")
    with serve(index_dir, embedder) as running:
        for path in ("/api/search?q=PLO", "/api/documents", "/readyz"):
            response = httpx.get(f"{running.url}{path}", timeout=30)
            assert response.status_code == 503
            assert "manifestet kan ikke leses" in response.json()["detail"]
        assert httpx.get(f"{running.url}/healthz", timeout=30).status_code == 200


def test_a_server_that_has_not_yet_switched_still_answers_after_its_generation_is_pruned(
    small_index, embedder, tmp_path: Path
):
    corpus, original = small_index
    index_dir = tmp_path / "index"
    shutil.copytree(original, index_dir, symlinks=True)
    with serve(index_dir, embedder, corpus_dir=corpus, reload_interval=3600) as running:
        doc_id = httpx.get(f"{running.url}/api/documents", timeout=30).json()[0]["doc_id"]
        # Two ingests before the server looks again: the second prunes gen-1, still serving.
        for n in (1, 2):
            (corpus / f"tillegg-{n}.md").write_text(f"# Tillegg {n}\n\nNytt om e-resept {n}.\n")
            build_index(corpus, index_dir, embedder)
        assert not (index_dir / "gen-1").exists()
        for path in ("/api/search?q=PLO", "/api/documents", f"/api/documents/{doc_id}"):
            response = httpx.get(f"{running.url}{path}", timeout=30)
            assert response.status_code == 200, response.text
        assert httpx.get(f"{running.url}/readyz", timeout=30).json()["generation"] == 1

"""The published OpenAPI document is a contract: schemathesis generates valid and invalid requests
for every operation from /openapi.json and sends them to a real server on loopback. No request
may get a 5xx, and every answer must match what the schema declares (status code, content type,
body)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from index.build import build_index
from index.embedder import Embedder
from service.main import create_app
from service.schemas import NOT_BLANK
from service.settings import Settings
from tests.conftest import serve
from tests.documents import write_corpus

pytestmark = pytest.mark.slow

ADMIN_TOKEN = "fuzz-admin-token"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[str]:
    root = tmp_path_factory.mktemp("openapi-fuzz")
    corpus = write_corpus(root / "corpus")
    build_index(corpus, root / "index", embedder)
    with serve(root / "index", embedder, corpus_dir=corpus, admin_token=ADMIN_TOKEN) as running:
        yield running.url


# The schema is read from the app when the tests are collected: schemathesis's lazy
# `pytest.from_fixture` (which could fetch it from the running server) fails on pytest 9, whose
# nodes no longer have `_nodeid`. test_the_server_publishes_the_schema_being_fuzzed makes sure
# it is the document the server serves at /openapi.json.
APP_OPENAPI = create_app(Settings()).openapi()
# The body limit (413, documented) is a size in bytes that JSON Schema cannot express: a body
# the schema allows may be over it, and one it forbids may be refused for its size first. Nor
# can it say what an uploaded file must hold (a PDF starts with %PDF-): a schema-valid upload of
# random bytes is refused as the wrong file type (415, documented).
# schemathesis's defaults for these two checks do not count 413 or 415 as either outcome.
BODY_LIMIT_AWARE_CHECKS = schemathesis.Config.from_dict(
    {
        "checks": {
            # schemathesis's defaults plus 413 (5xx is left to not_a_server_error).
            "positive_data_acceptance": {
                "expected-statuses": [
                    *("2xx", "3xx", "401", "403", "404", "409", "413", "415", "429", "5xx")
                ]
            },
            "negative_data_rejection": {
                "expected-statuses": [
                    *("400", "401", "403", "404", "405", "406", "409", "413", "415"),
                    *("422", "428", "429", "5xx"),
                ]
            },
        }
    }
)
# Re-ingest rebuilds the index (seconds per call); the admin token and its errors are covered in
# test_guards.py.
schema = schemathesis.openapi.from_dict(APP_OPENAPI, config=BODY_LIMIT_AWARE_CHECKS).exclude(
    method="POST", path="/api/admin/reingest"
)


def test_the_not_blank_pattern_calls_blank_exactly_what_the_routes_strip_away() -> None:
    pattern = re.compile(NOT_BLANK)
    for code_point in range(sys.maxunicode + 1):
        character = chr(code_point)
        assert bool(pattern.search(character)) == bool(character.strip()), hex(code_point)


def test_the_server_publishes_the_schema_being_fuzzed(fuzz_server: str) -> None:
    assert httpx.get(f"{fuzz_server}/openapi.json", timeout=30).json() == APP_OPENAPI


@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_within_its_schema_and_never_with_5xx(
    case: schemathesis.Case, fuzz_server: str
) -> None:
    case.call_and_validate(base_url=fuzz_server)


def test_real_documents_are_served_as_their_schema_declares(fuzz_server: str) -> None:
    # Generated ids almost never name a document, so the 200 answers of the per-document
    # operations are checked here with the ids the catalog lists.
    catalog = httpx.get(f"{fuzz_server}/api/documents", timeout=30).json()
    assert {entry["file_format"] for entry in catalog} == {"markdown", "html", "docx", "pdf"}
    for entry in catalog:
        for path in ("/api/documents/{doc_id}", "/documents/{doc_id}", "/documents/{doc_id}/file"):
            case = schema[path]["GET"].Case(path_parameters={"doc_id": entry["doc_id"]})
            response = case.call_and_validate(base_url=fuzz_server)
            assert response.status_code == 200, (path, entry["source"])

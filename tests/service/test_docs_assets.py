"""/docs without internet: the page names only files this server serves, those are the pinned
package's Swagger UI files, and its CSP lets in its one inline script and nothing else. No model
or index is loaded (the app's lifespan does not run), so this runs in seconds."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient
from swagger_ui_bundle import swagger_ui_path

from service.main import create_app
from service.settings import Settings

CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".ico": "image/svg+xml"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Settings()))


def test_docs_loads_its_assets_from_this_server_with_their_content_types(client: TestClient):
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(assets) == [
        "/favicon.ico",
        "/static-docs/swagger-ui-bundle.js",
        "/static-docs/swagger-ui.css",
    ]
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert response.headers["content-type"].startswith(CONTENT_TYPES[suffix]), url
        if url.startswith("/static-docs/"):
            assert response.content == (swagger_ui_path / url.rsplit("/", 1)[1]).read_bytes()


def test_docs_csp_allows_the_pages_own_inline_script_by_hash_and_nothing_from_elsewhere(
    client: TestClient,
):
    page = client.get("/docs")
    policy = page.headers["content-security-policy"]
    (inline_script,) = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline_script.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert "sha256-" not in client.get("/").headers["content-security-policy"]


def test_redoc_whose_assets_would_come_from_a_cdn_is_not_served(client: TestClient):
    assert client.get("/redoc").status_code == 404

"""THROWAWAY: points the browser tests at the dev server on :8765. Delete this file; the
project's tests/conftest.py provides the real `live_server` fixture."""

import pytest


@pytest.fixture(scope="session")
def live_server() -> str:
    return "http://127.0.0.1:8765"

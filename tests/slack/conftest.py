"""The Slack tests talk to loopback fakes only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def no_proxy_env() -> Iterator[None]:
    """slack_sdk reads HTTP(S)_PROXY itself and ignores NO_PROXY: with a proxy set, calls to
    the fakes on 127.0.0.1 would go to the proxy."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            patch.delenv(name, raising=False)
        yield

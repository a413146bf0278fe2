"""A running Refark server as the CLI's backend: `refark search` and `refark ask` go through it
when one answers, so a call takes milliseconds instead of loading the model for seconds."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from service.settings import Settings

PROBE_SECONDS = 0.5  # a local server answers /readyz in milliseconds
CALL_SECONDS = 120


class ServerError(RuntimeError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


def server_for(settings: Settings, index_dir_given: bool) -> str | None:
    """The server to use: REFARK_URL when set; else the local `refark serve` if it answers and
    the user did not point at an index of their own with --index-dir; else none."""
    if settings.url:
        return settings.url.rstrip("/")
    if index_dir_given:
        return None
    local = f"http://{settings.host}:{settings.port}"
    try:
        with urllib.request.urlopen(f"{local}/readyz", timeout=PROBE_SECONDS) as response:
            return local if response.status == 200 else None
    except (OSError, ValueError):
        return None


def call(server: str, path: str, params: dict | None = None, body: dict | None = None) -> dict:
    """GET (or POST `body` as JSON) and return the JSON answer; ServerError with the server's
    own `detail` otherwise."""
    query = f"?{urllib.parse.urlencode(params, doseq=True)}" if params else ""
    request = urllib.request.Request(
        f"{server}{path}{query}",
        data=json.dumps(body).encode("utf-8") if body is not None else None,
        headers={"Accept": "application/json", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=CALL_SECONDS) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read())["detail"]
        except (ValueError, KeyError, TypeError):
            detail = f"svarte {error.code}"
        raise ServerError(error.code, f"{server}: {detail}") from error
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise ServerError(0, f"Fikk ikke kontakt med {server} ({reason}).") from error

"""ASGI guards in front of every route: request-body limit, per-client rate limit and security
headers. Plain ASGI (not `BaseHTTPMiddleware`) so an oversized body is refused while it
streams in, before it is held in memory."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(page: bytes = b"") -> str:
    """The CSP of every page. Our pages have no inline script or style; documents' text is
    escaped, and this keeps a slip in escaping from ever running script. A page built by a
    library with an inline script it cannot do without (FastAPI's /docs page starts Swagger UI
    inline) is passed as `page`: its inline scripts are allowed by hash, so exactly that text
    runs and no other inline script does, where 'unsafe-inline' would let any run."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return (
        f"default-src 'self'; script-src 'self'{hashes}; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


CONTENT_SECURITY_POLICY = content_security_policy()
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def _json_response(status: int, detail: str, extra: tuple[tuple[bytes, bytes], ...] = ()):
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *extra,
        ],
    }
    return start, {"type": "http.response.body", "body": body}


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope["headers"] if key == name), None)


class SecurityHeaders:
    """Adds the security headers (and a CSP) to every HTTP response; a response that brings its
    own CSP (the /docs page) keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = CONTENT_SECURITY_POLICY.encode()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {key.lower() for key, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", policy))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuses a request body over `max_bytes` with 413: at once when Content-Length says so,
    else as soon as the streamed body passes the limit. The few routes that take files have
    their own, larger limit in `route_limits` (path -> bytes); every other keeps the small one."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, route_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.route_limits = dict(route_limits or {})

    @staticmethod
    def _message(limit: int) -> str:
        return f"Forespørselen er for stor (over {limit} byte)."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.route_limits.get(scope["path"], self.max_bytes)
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            for message in _json_response(413, self._message(limit)):
                await send(message)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI passes an HTTPException raised while it reads the body through
                    # to its JSON error handler.
                    raise HTTPException(status_code=413, detail=self._message(limit))
            return message

        await self.app(scope, counted, send)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimit:
    """A token bucket per client address on paths under `prefix`: `per_minute` requests a
    minute on average, bursts up to `burst`. Over it: 429 with Retry-After."""

    MAX_CLIENTS = 10_000  # least recently seen clients are forgotten beyond this

    def __init__(self, app: ASGIApp, per_minute: int, burst: int, prefix: str = "/api/") -> None:
        self.app = app
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.prefix = prefix
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def _wait_seconds(self, client: str) -> float:
        """0 when the request may go ahead (and is counted), else seconds until it may."""
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.pop(client, None) or _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            self._buckets[client] = bucket
            if len(self._buckets) > self.MAX_CLIENTS:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("ukjent", 0))[0]
        wait = self._wait_seconds(client)
        if wait:
            retry = str(max(1, math.ceil(wait))).encode()
            detail = "For mange forespørsler. Prøv igjen om litt."
            for message in _json_response(429, detail, ((b"retry-after", retry),)):
                await send(message)
            return
        await self.app(scope, receive, send)

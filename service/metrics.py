"""Prometheus request metrics, counted by route template and status, 5xx included."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("refark_http_requests_total", "HTTP requests", ["route", "status"])
LATENCY = Histogram("refark_http_request_seconds", "HTTP request latency", ["route"])


class RequestMetrics:
    """Plain ASGI rather than `@app.middleware`: that one reads the body through a task group,
    which turns an exception raised while reading (the body limit's 413) into a 400."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception escaping the app is answered 500 by the outer handler

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            # The router leaves the matched route in the scope: count by its template.
            name = getattr(scope.get("route"), "path", "ukjent")
            REQUESTS.labels(name, str(status)).inc()
            LATENCY.labels(name).observe(time.perf_counter() - started)

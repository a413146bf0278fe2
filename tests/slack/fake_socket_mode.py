"""A local stand-in for Slack's Socket Mode WebSocket endpoint.

Why it exists: a Socket Mode app never receives HTTP requests; it opens a WebSocket to the URL
that `apps.connections.open` returns and Slack pushes envelopes over it, which the app must
acknowledge within three seconds. To test that loop with the real `slack_sdk` builtin
`SocketModeClient` (and Bolt's `SocketModeHandler` on top of it) we need a real WebSocket peer that
speaks the same protocol, bound to loopback only.

Protocol as Slack plays it (https://docs.slack.dev/apis/events-api/using-socket-mode/):

* after the opening handshake the server sends `{"type": "hello", ...}`;
* each event/command/interaction arrives as
  `{"envelope_id", "type", "payload", "accepts_response_payload", ...}`;
* the app answers with `{"envelope_id": ..., "payload": {...}?}` (the acknowledgement);
* `{"type": "disconnect", "reason": ...}` asks the client to fetch a fresh URL and reconnect.

Things about the builtin client this server has to accommodate (slack_sdk 3.48,
`slack_sdk/socket_mode/builtin/`):

* it talks plain TCP to any port other than 443 (`_establish_new_socket_connection`: "only for
  library testing"), so `ws://127.0.0.1:PORT/...` works; with an HTTP(S)_PROXY env variable set it
  would instead tunnel through the proxy and wrap TLS, which cannot reach a local ws:// server;
* its handshake sends `GET /path?query` with `Host` lacking the port and no `Origin` header;
* `SocketModeClient.close()` closes the TCP socket without a WebSocket close frame, so the server
  sees an abnormal closure (1006), which is normal here and not an error;
* its reader thread blocks in `recv()` with a 3 s socket timeout; a frame from the server wakes it,
  so the server's keepalive pings (default every 0.5 s here) make `close()` return quickly.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

DEFAULT_APP_ID = "AREFARK"

# The envelope types Slack pushes to apps over Socket Mode.
_PAYLOAD_TYPES = ("events_api", "slash_commands", "interactive")
# Interactions whose acknowledgement may carry a response payload (besides slash commands).
_INTERACTIONS_ACCEPTING_RESPONSE = ("view_submission", "block_suggestion")


@dataclass
class _Session:
    """One accepted WebSocket connection, after `hello` has been sent on it."""

    number: int
    connection: ServerConnection
    ticket: str | None
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    open: bool = True


class FakeSocketMode:
    """A WebSocket server on 127.0.0.1 that plays Slack's side of Socket Mode.

    Use it as a context manager (or `start()`/`close()`), hand `issue_url()` to whatever plays
    `apps.connections.open` (`FakeSlack(socket_mode=True)` does that), then push envelopes with
    `send_envelope()` and check acknowledgements with `wait_for_ack()`.

    `ping_interval` is the server's keepalive ping period in seconds (None disables it); short
    pings keep the builtin client's blocking reader responsive so it shuts down fast.
    """

    def __init__(
        self,
        *,
        app_id: str = DEFAULT_APP_ID,
        ping_interval: float | None = 0.5,
        close_timeout: float = 1.0,
    ) -> None:
        self.app_id = app_id
        self._ping_interval = ping_interval
        self._close_timeout = close_timeout
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._sessions: list[_Session] = []
        self._connections_seen = 0
        self._tickets: list[str] = []
        self._acks: list[dict[str, Any]] = []
        self._other_messages: list[Any] = []
        self._sent: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSocketMode:
        """Bind a free loopback port and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            ping_interval=self._ping_interval,
            ping_timeout=None if self._ping_interval is None else max(5.0, self._ping_interval),
            close_timeout=self._close_timeout,
        )
        self._port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-socket-mode", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop accepting, close open connections with 1001 (going away) and join threads.

        Close the app's SocketModeClient first: a still-connected builtin client treats the
        close frame as a reason to reconnect and keeps retrying until it is closed itself.
        """
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with self._changed:
            for session in self._sessions:
                session.open = False
            self._changed.notify_all()

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ urls

    @property
    def port(self) -> int:
        """The bound port (only valid after `start()`)."""
        if self._port is None:
            raise RuntimeError("FakeSocketMode is not started")
        return self._port

    def issue_url(self) -> str:
        """A fresh connection URL shaped like Slack's `wss://.../link/?ticket=...&app_id=...`.

        Each call mints a new ticket, like each `apps.connections.open` call does at Slack, so a
        test can tell which URL a (re)connection used.
        """
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets.append(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    # ------------------------------------------------------------------ server side

    def _handle(self, connection: ServerConnection) -> None:
        """Per-connection thread: greet with `hello`, then record everything the client sends."""
        with self._lock:
            self._connections_seen += 1
            number = self._connections_seen
            active = sum(1 for s in self._sessions if s.open) + 1
        session = _Session(number=number, connection=connection, ticket=self._ticket_of(connection))
        try:
            connection.send(json.dumps(self._hello(active)))
            with self._changed:
                self._sessions.append(session)
                self._changed.notify_all()
            for raw in connection:
                self._record(raw)
        except ConnectionClosed:
            # The builtin client drops the TCP socket without a close frame; that is its normal
            # way of closing and not worth a traceback.
            pass
        finally:
            with self._changed:
                session.open = False
                self._changed.notify_all()

    @staticmethod
    def _ticket_of(connection: ServerConnection) -> str | None:
        request = connection.request
        if request is None:
            return None
        values = parse_qs(urlsplit(request.path).query).get("ticket")
        return values[0] if values else None

    def _hello(self, num_connections: int) -> dict[str, Any]:
        """The greeting Slack sends first on every Socket Mode connection."""
        return {
            "type": "hello",
            "num_connections": num_connections,
            "debug_info": {
                "host": "applink-fake-refark",
                "build_number": 1,
                "approximate_connection_time": 3600,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _record(self, raw: str | bytes) -> None:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        try:
            message: Any = json.loads(text)
        except json.JSONDecodeError:
            message = text
        with self._changed:
            if isinstance(message, dict) and "envelope_id" in message:
                self._acks.append(message)
            else:
                self._other_messages.append(message)
            self._changed.notify_all()

    # ------------------------------------------------------------------ test API

    def connection_count(self) -> int:
        """How many connections have been greeted so far (reconnects included)."""
        with self._lock:
            return len(self._sessions)

    def tickets_used(self) -> list[str | None]:
        """Tickets of the connections in order (None if a URL without ticket was used)."""
        with self._lock:
            return [s.ticket for s in self._sessions]

    def wait_for_connection(self, count: int = 1, timeout: float = 10) -> None:
        """Block until `count` connections have been greeted and one of them is still open."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (
                len(self._sessions) >= count and any(s.open for s in self._sessions[count - 1 :])
            ):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no Socket Mode connection #{count} within {timeout} s "
                        f"(greeted so far: {len(self._sessions)})"
                    )
                self._changed.wait(remaining)

    def _current_session(self, timeout: float) -> _Session:
        """The newest open connection; Slack, too, delivers each envelope on one connection."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                open_sessions = [s for s in self._sessions if s.open]
                if open_sessions:
                    return open_sessions[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no open Socket Mode connection within {timeout} s")
                self._changed.wait(remaining)

    def send_envelope(
        self,
        payload_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
        timeout: float = 10,
    ) -> str:
        """Push one envelope to the newest open connection and return its envelope_id.

        `payload_type` is "events_api", "slash_commands" or "interactive". The default for
        `accepts_response_payload` follows Slack: true for slash commands, view submissions and
        block suggestions, false otherwise. Events API envelopes carry `retry_attempt` and
        `retry_reason`, which Bolt maps to X-Slack-Retry-* headers. Waits up to `timeout` for a
        connection, so a test may call this right after starting the app.
        """
        if payload_type not in _PAYLOAD_TYPES:
            raise ValueError(f"payload_type must be one of {_PAYLOAD_TYPES}, not {payload_type!r}")
        if accepts_response_payload is None:
            accepts_response_payload = payload_type == "slash_commands" or (
                payload_type == "interactive"
                and payload.get("type") in _INTERACTIONS_ACCEPTING_RESPONSE
            )
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id or str(uuid.uuid4()),
            "type": payload_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if payload_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        self._send(envelope, timeout)
        return envelope["envelope_id"]

    def send_disconnect(self, reason: str = "refresh_requested", timeout: float = 10) -> None:
        """Send Slack's `disconnect` message; the builtin client then reconnects via a new URL."""
        self._send(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake-refark"}},
            timeout,
        )

    def _send(self, message: dict[str, Any], timeout: float) -> None:
        session = self._current_session(timeout)
        with session.send_lock:
            session.connection.send(json.dumps(message))
        with self._lock:
            self._sent.append(message)

    def sent(self) -> list[dict[str, Any]]:
        """Every envelope/control message pushed so far, in order."""
        with self._lock:
            return list(self._sent)

    def acks(self) -> list[dict[str, Any]]:
        """Every acknowledgement (`{"envelope_id": ..., "payload"?: ...}`) received so far."""
        with self._lock:
            return list(self._acks)

    def other_messages(self) -> list[Any]:
        """Client messages that were not acknowledgements (should normally stay empty)."""
        with self._lock:
            return list(self._other_messages)

    def wait_for_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        """Block until the client acknowledged `envelope_id`; return the ack message.

        Raises AssertionError listing the acks seen so far on timeout, so a failing test shows
        what the app did acknowledge.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for ack in self._acks:
                    if ack.get("envelope_id") == envelope_id:
                        return ack
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no ack for envelope {envelope_id} within {timeout} s; "
                        f"acks so far: {self._acks!r}"
                    )
                self._changed.wait(remaining)

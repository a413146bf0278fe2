"""A loopback test double of Slack's Web API, plus builders for what Slack sends to an app.

Why: the Slack app in this repo must be tested with the real `slack_sdk`/`slack_bolt` stack, so
nothing inside them is mocked. Instead `WebClient(token=..., base_url=fake.api_url)` talks real
HTTP to this server, which answers the way Slack does (HTTP 200 with `{"ok": ...}` bodies, 429 with
`Retry-After`), keeps the conversations the app writes to, and records every call so a test can
assert on what the app asked Slack to do.

How `slack_sdk` 3.48's sync WebClient sends requests (see `web/base_client.py`), which the parser
below has to accept:

* always HTTP POST, even for methods declared with `http_verb="GET"` (conversations.replies);
* the token goes into `Authorization: Bearer ...`; a `token=` argument is popped into that header;
* methods carrying blocks/attachments/views (chat.postMessage, chat.update, chat.postEphemeral,
  views.open, ...) send a JSON body; most others send `application/x-www-form-urlencoded`, where
  booleans become "1"/"0" and JSON-valued fields (e.g. `files` of completeUploadExternal, or
  `blocks` if an app calls `api_call(..., params=...)`) arrive as JSON strings;
* `files=` uploads send multipart/form-data.

The payload builders at the bottom produce the bodies Slack POSTs to an app in HTTP mode
(Events API JSON, slash-command forms, `payload=<json>` interactions) and the matching signature
headers; the `*_payload` variants are the dicts Socket Mode envelopes carry.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import email
import email.policy
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.slack.fake_socket_mode import FakeSocketMode

TEAM_ID = "T0001"
TEAM_NAME = "Refark"
TEAM_URL = "https://refark.slack.com/"
APP_ID = "AREFARK"
BOT_USER_ID = "UREFARK"
BOT_ID = "BREFARK"
BOT_NAME = "refark"
DEFAULT_USER_ID = "U123"
DEFAULT_CHANNEL_ID = "C123"
# The deprecated per-app verification token Slack still puts into every payload.
VERIFICATION_TOKEN = "fake-verification-token"
# Loopback port 9 (discard) refuses connections: an app that answers through a response_url the
# test did not point at `FakeSlack.response_url()` fails fast instead of reaching the internet.
UNREACHABLE_RESPONSE_URL = "http://127.0.0.1:9/commands/T0001/unset"
DEFAULT_TRIGGER_ID = "1700000000.123456789.0123456789abcdef0123456789abcdef"

# Form fields whose value Slack documents as "a JSON-encoded string" and decodes server-side.
JSON_FIELDS = frozenset(
    {
        "attachments",
        "blocks",
        "chunks",
        "files",
        "metadata",
        "option_groups",
        "options",
        "outputs",
        "unfurls",
        "user_auth_blocks",
        "view",
    }
)

_FIRST_TS_MICROS = 1_700_000_000_000_000
_TS_STEP_MICROS = 100

Response = dict[str, Any]
Handler = Callable[["Call"], Response]


@dataclass(frozen=True)
class Call:
    """One request the fake received, after parsing.

    `args` holds the decoded body and query arguments (without `token`), `token` the bearer token
    or `token` argument. `status` and `response` show what the fake answered, so a test can tell
    a 429 attempt from its retry; `path` is the raw request path (useful for response_url posts).
    """

    method: str
    args: dict[str, Any]
    token: str | None
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict, compare=False)
    path: str = ""


@dataclass
class _Scripted:
    """A canned answer queued for the next call of a method (rate limits, injected errors)."""

    status: int
    headers: dict[str, str]
    body: Response


def _ts_micros(ts: str) -> int:
    """Slack timestamps are "seconds.micros" strings; compare them numerically, not as text."""
    seconds, _, fraction = str(ts).partition(".")
    return int(seconds) * 1_000_000 + int((fraction or "0").ljust(6, "0")[:6])


def _format_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _decode_json_fields(args: dict[str, Any]) -> dict[str, Any]:
    """Turn JSON-encoded string fields back into structures, as Slack does before using them."""
    decoded = dict(args)
    for name in JSON_FIELDS & decoded.keys():
        value = decoded[name]
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):  # Slack keeps undecodable strings
                decoded[name] = json.loads(value)
    return decoded


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Parse multipart/form-data (slack_sdk's `files=` uploads); file parts stay bytes."""
    message = email.message_from_bytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body,
        policy=email.policy.HTTP,
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        fields[str(name)] = payload if part.get_filename() else payload.decode("utf-8")
    return fields


class _HttpServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its FakeSlack and skips the reverse-DNS lookup.

    `HTTPServer.server_bind` calls `socket.getfqdn()`, which can stall for seconds on machines
    with slow DNS; a loopback test server has no use for the name.
    """

    daemon_threads = True
    fake: FakeSlack

    def server_bind(self) -> None:
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _RequestHandler(BaseHTTPRequestHandler):
    """Parses one HTTP request and hands it to FakeSlack."""

    server: _HttpServer
    server_version = "FakeSlack/1.0"

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging; the recorded calls are the log."""

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        fake = self.server.fake

        if split.path.startswith("/api/"):
            method = split.path[len("/api/") :]
            args: dict[str, Any] = dict(parse_qsl(split.query, keep_blank_values=True))
            invalid_json = False
            try:
                args.update(self._parse_body(content_type, body))
            except ValueError:  # also UnicodeDecodeError and json.JSONDecodeError
                invalid_json = True
                args["raw_body"] = body.decode("utf-8", "replace")
            token = args.pop("token", None)
            authorization = self.headers.get("Authorization", "")
            if authorization.lower().startswith("bearer "):
                token = authorization[len("bearer ") :].strip() or token
            status, headers, answer = fake._api_call(
                method, _decode_json_fields(args), token, self.path, invalid_json=invalid_json
            )
            self._reply(status, headers, answer)
        elif split.path.startswith("/response/"):
            try:
                posted = self._parse_body(content_type, body)
            except ValueError:
                posted = {"raw": body.decode("utf-8", "replace")}
            answer = {"ok": True}
            fake._record(Call("response_url", posted, None, 200, answer, self.path))
            self._reply(200, {}, answer)
        elif split.path.startswith("/upload/"):
            file_id = split.path[len("/upload/") :]
            fake._store_upload(file_id, body, self.path)
            self._reply(200, {"Content-Type": "text/plain"}, f"OK - {len(body)}")
        else:
            self._reply(404, {}, {"ok": False, "error": "not_found"})

    @staticmethod
    def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        media_type = content_type.split(";")[0].strip().lower()
        if media_type == "application/json":
            parsed = json.loads(body.decode("utf-8"))
            if not isinstance(parsed, dict):
                raise ValueError("JSON body is not an object")
            return parsed
        if media_type == "multipart/form-data":
            return _parse_multipart(content_type, body)
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))

    def _reply(self, status: int, headers: dict[str, str], answer: Response | str) -> None:
        if isinstance(answer, str):
            data = answer.encode("utf-8")
        else:
            data = json.dumps(answer).encode("utf-8")
        self.send_response(status)
        if "Content-Type" not in headers:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeSlack:
    """Slack's Web API on a free 127.0.0.1 port, with in-memory conversations and a call log.

    Use as a context manager; `api_url` ("http://127.0.0.1:PORT/api/") is the `base_url` for
    `slack_sdk.WebClient`. `FakeSlack(socket_mode=True)` also runs a `FakeSocketMode` whose URL
    `apps.connections.open` hands out. Close Socket Mode clients before leaving the context.
    """

    def __init__(self, *, socket_mode: bool = False) -> None:
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._scripted: dict[str, deque[_Scripted]] = {}
        self._handlers: dict[str, Handler] = {}
        self._conversations: dict[str, dict[str, dict[str, Any]]] = {}
        self._uploads: dict[str, bytes] = {}
        self._last_ts = _FIRST_TS_MICROS
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._owns_socket_mode = socket_mode
        self.socket_mode: FakeSocketMode | None = FakeSocketMode() if socket_mode else None
        self._builtin: dict[str, Callable[[dict[str, Any], str], Response]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "views.open": self._views_open,
            "views.update": self._views_open,
            "views.push": self._views_open,
            "users.info": self._users_info,
            "apps.connections.open": self._apps_connections_open,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        """Start the HTTP server (and the owned Socket Mode server) in daemon threads."""
        if self._httpd is not None:
            return self
        httpd = _HttpServer(("127.0.0.1", 0), _RequestHandler)
        httpd.fake = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack"
        )
        self._thread.daemon = True
        self._thread.start()
        if self._owns_socket_mode and self.socket_mode is not None:
            self.socket_mode.start()
        return self

    def close(self) -> None:
        """Stop the servers; idempotent."""
        if self._owns_socket_mode and self.socket_mode is not None:
            self.socket_mode.close()
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def attach_socket_mode(self, server: FakeSocketMode) -> None:
        """Make `apps.connections.open` hand out URLs of `server` (the caller runs it)."""
        with self._lock:
            self.socket_mode = server
            self._owns_socket_mode = False

    @property
    def base_url(self) -> str:
        """ "http://127.0.0.1:PORT" of the running server."""
        if self._httpd is None:
            raise RuntimeError("FakeSlack is not started; use it as a context manager")
        return f"http://127.0.0.1:{self._httpd.server_port}"

    @property
    def api_url(self) -> str:
        """The WebClient `base_url`; the trailing slash matters for slack_sdk's urljoin."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "default") -> str:
        """A response_url that lands here; posts to it are recorded as method "response_url"."""
        return f"{self.base_url}/response/{name}"

    # ------------------------------------------------------------------ call log

    def _record(self, call: Call) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def calls(self, method: str | None = None) -> list[Call]:
        """All recorded calls in arrival order, optionally only those of one method."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] = lambda call: True,
        timeout: float = 60,
    ) -> Call:
        """The first call of `method` matching `predicate`, waiting up to `timeout` seconds.

        Apps answer Slack asynchronously (ack first, work later), so tests wait for the effect
        instead of sleeping. On timeout, raises AssertionError listing every call seen.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for call in self._calls:
                    if call.method == method and predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n  ".join(repr(c) for c in self._calls) or "(none)"
                    raise AssertionError(
                        f"no matching {method} call within {timeout} s; calls seen:\n  {seen}"
                    )
                self._changed.wait(min(remaining, 0.5))

    # ------------------------------------------------------------------ scripting

    def rate_limit_once(self, method: str, retry_after: int = 1) -> None:
        """Answer the next call of `method` with HTTP 429, `Retry-After` and `ratelimited`.

        slack_sdk's RateLimitErrorRetryHandler sleeps Retry-After + random() (0..1 s) seconds, so
        `retry_after=0` keeps a test fast.
        """
        self._script(
            method,
            _Scripted(
                429, {"Retry-After": str(retry_after)}, {"ok": False, "error": "ratelimited"}
            ),
        )

    def fail_once(self, method: str, error: str, *, status: int = 200) -> None:
        """Answer the next call of `method` with `{"ok": false, "error": error}`."""
        self._script(method, _Scripted(status, {}, {"ok": False, "error": error}))

    def _script(self, method: str, scripted: _Scripted) -> None:
        with self._lock:
            self._scripted.setdefault(method, deque()).append(scripted)

    def set_handler(self, method: str, handler: Handler) -> None:
        """Answer `method` with `handler(call)` (HTTP 200) instead of the built-in behaviour.

        For methods the fake does not model; the handler runs under the fake's lock, may call
        the fake's public methods, and its answer must include "ok".
        """
        with self._lock:
            self._handlers[method] = handler

    # ------------------------------------------------------------------ conversations

    def _next_ts(self) -> str:
        with self._lock:
            self._last_ts += _TS_STEP_MICROS
            return _format_ts(self._last_ts)

    def add_message(
        self,
        channel: str,
        text: str,
        user: str = DEFAULT_USER_ID,
        ts: str | None = None,
        thread_ts: str | None = None,
        bot_id: str | None = None,
        *,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        """Seed a message (e.g. what a user wrote earlier in a thread); returns its ts.

        Explicit `ts` values move the clock forward, so later messages still sort after them.
        """
        with self._lock:
            if ts is None:
                ts = self._next_ts()
            else:
                ts = str(ts)
                self._last_ts = max(self._last_ts, _ts_micros(ts))
            if ts in self._conversations.get(channel, {}):
                raise ValueError(f"message {ts} already exists in {channel}")
            message: dict[str, Any] = {"type": "message", "ts": ts, "user": user, "text": text}
            if bot_id is not None:
                message["bot_id"] = bot_id
            if thread_ts is not None:
                message["thread_ts"] = str(thread_ts)
            if blocks is not None:
                message["blocks"] = copy.deepcopy(blocks)
            message["team"] = TEAM_ID
            self._conversations.setdefault(channel, {})[ts] = message
            return ts

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Copies of every stored message of `channel` (threads included) in ts order."""
        with self._lock:
            stored = self._conversations.get(channel, {})
            return [copy.deepcopy(m) for m in sorted(stored.values(), key=self._order)]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """A copy of the stored message `ts` in `channel`, or None."""
        with self._lock:
            found = self._conversations.get(channel, {}).get(str(ts))
            return copy.deepcopy(found) if found is not None else None

    def uploaded(self, file_id: str) -> bytes | None:
        """Bytes an app uploaded for `file_id` via files_upload_v2, or None."""
        with self._lock:
            return self._uploads.get(file_id)

    @staticmethod
    def _order(message: dict[str, Any]) -> int:
        return _ts_micros(message["ts"])

    # ------------------------------------------------------------------ dispatch

    def _api_call(
        self,
        method: str,
        args: dict[str, Any],
        token: str | None,
        path: str,
        *,
        invalid_json: bool = False,
    ) -> tuple[int, dict[str, str], Response]:
        """Answer one Web API call and record it; serialised so state changes stay consistent."""
        with self._changed:
            status, headers = 200, {}
            queue = self._scripted.get(method)
            if invalid_json:
                answer = {"ok": False, "error": "invalid_json"}
            elif queue:
                scripted = queue.popleft()
                status, headers, answer = scripted.status, scripted.headers, scripted.body
            elif not token:
                answer = {"ok": False, "error": "not_authed"}
            elif method in self._handlers:
                answer = self._handlers[method](Call(method, args, token, path=path))
            elif method in self._builtin:
                answer = self._builtin[method](args, token)
            else:
                answer = {"ok": True}
            self._record(Call(method, args, token, status, copy.deepcopy(answer), path))
            return status, headers, answer

    def _store_upload(self, file_id: str, content: bytes, path: str) -> None:
        with self._lock:
            self._uploads[file_id] = content
            self._record(
                Call("file_upload", {"file_id": file_id, "content": content}, None, 200, {}, path)
            )

    def _find(self, channel: Any, ts: Any) -> dict[str, Any] | None:
        return self._conversations.get(str(channel), {}).get(str(ts))

    # ------------------------------------------------------------------ built-in methods

    def _auth_test(self, args: dict[str, Any], token: str) -> Response:
        return {
            "ok": True,
            "url": TEAM_URL,
            "team": TEAM_NAME,
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any], token: str) -> Response:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not any(args.get(k) for k in ("text", "blocks", "attachments", "markdown_text")):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": args.get("text") or args.get("markdown_text") or "",
        }
        for name in ("blocks", "attachments", "metadata"):
            if name in args:
                message[name] = copy.deepcopy(args[name])
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        self._conversations.setdefault(str(channel), {})[ts] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _chat_update(self, args: dict[str, Any], token: str) -> Response:
        message = self._find(args.get("channel"), args.get("ts"))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message.get("bot_id") != BOT_ID:
            # A bot token may only edit the bot's own messages.
            return {"ok": False, "error": "cant_update_message"}
        for name in ("text", "blocks", "attachments", "metadata"):
            if name in args:
                message[name] = copy.deepcopy(args[name])
        return {
            "ok": True,
            "channel": args["channel"],
            "ts": message["ts"],
            "text": message.get("text", ""),
            "message": copy.deepcopy(message),
        }

    def _chat_delete(self, args: dict[str, Any], token: str) -> Response:
        channel, ts = str(args.get("channel")), str(args.get("ts"))
        if self._conversations.get(channel, {}).pop(ts, None) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_post_ephemeral(self, args: dict[str, Any], token: str) -> Response:
        # Ephemeral messages never show up in history, so nothing is stored.
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _reactions_add(self, args: dict[str, Any], token: str) -> Response:
        message = self._find(args.get("channel"), args.get("timestamp"))
        if message is not None:
            reactions = message.setdefault("reactions", [])
            for reaction in reactions:
                if reaction["name"] == args.get("name"):
                    if BOT_USER_ID not in reaction["users"]:
                        reaction["users"].append(BOT_USER_ID)
                        reaction["count"] += 1
                    break
            else:
                reactions.append({"name": args.get("name"), "users": [BOT_USER_ID], "count": 1})
        return {"ok": True}

    def _reactions_remove(self, args: dict[str, Any], token: str) -> Response:
        message = self._find(args.get("channel"), args.get("timestamp"))
        if message is not None:
            for reaction in list(message.get("reactions", [])):
                if reaction["name"] == args.get("name") and BOT_USER_ID in reaction["users"]:
                    reaction["users"].remove(BOT_USER_ID)
                    reaction["count"] -= 1
                    if reaction["count"] == 0:
                        message["reactions"].remove(reaction)
        return {"ok": True}

    def _conversations_replies(self, args: dict[str, Any], token: str) -> Response:
        channel, ts = str(args.get("channel")), str(args.get("ts"))
        stored = self._conversations.get(channel)
        if stored is None:
            return {"ok": False, "error": "channel_not_found"}
        root = stored.get(ts)
        replies = sorted(
            (m for m in stored.values() if m.get("thread_ts") == ts and m["ts"] != ts),
            key=self._order,
        )
        if root is None and not replies:
            return {"ok": False, "error": "thread_not_found"}
        thread: list[dict[str, Any]] = []
        if root is not None:
            root_copy = copy.deepcopy(root)
            if replies:
                users = list(dict.fromkeys(m.get("user", "") for m in replies))
                root_copy.update(
                    thread_ts=ts,
                    reply_count=len(replies),
                    reply_users_count=len(users),
                    reply_users=users,
                    latest_reply=replies[-1]["ts"],
                )
            thread.append(root_copy)
        for reply in replies:
            reply_copy = copy.deepcopy(reply)
            if root is not None:
                reply_copy["parent_user_id"] = root.get("user")
            thread.append(reply_copy)
        return self._page(thread, args, "messages")

    def _conversations_history(self, args: dict[str, Any], token: str) -> Response:
        stored = self._conversations.get(str(args.get("channel")))
        if stored is None:
            return {"ok": False, "error": "channel_not_found"}
        top_level = [
            copy.deepcopy(m) for m in stored.values() if m.get("thread_ts") in (None, m["ts"])
        ]
        top_level.sort(key=self._order, reverse=True)  # history is newest first
        return self._page(top_level, args, "messages")

    @staticmethod
    def _page(items: list[dict[str, Any]], args: dict[str, Any], key: str) -> Response:
        """Cursor pagination shaped like Slack's (`has_more`, `response_metadata.next_cursor`)."""
        start = 0
        if args.get("cursor"):
            try:
                start = int(base64.b64decode(str(args["cursor"])).decode().split(":")[1])
            except (ValueError, IndexError):
                return {"ok": False, "error": "invalid_cursor"}
        limit = int(args.get("limit") or 1000)
        page = items[start : start + limit]
        has_more = start + limit < len(items)
        next_cursor = (
            base64.b64encode(f"offset:{start + limit}".encode()).decode() if has_more else ""
        )
        return {
            "ok": True,
            key: page,
            "has_more": has_more,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _views_open(self, args: dict[str, Any], token: str) -> Response:
        view = args.get("view")
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        opened = copy.deepcopy(view)
        opened.setdefault("id", args.get("view_id") or f"V{uuid.uuid4().hex[:10].upper()}")
        opened.update(
            team_id=TEAM_ID,
            app_id=APP_ID,
            bot_id=BOT_ID,
            state={"values": {}},
            hash=f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
        )
        return {"ok": True, "view": opened}

    def _users_info(self, args: dict[str, Any], token: str) -> Response:
        user_id = str(args.get("user") or DEFAULT_USER_ID)
        name = user_id.lower()
        return {
            "ok": True,
            "user": {
                "id": user_id,
                "team_id": TEAM_ID,
                "name": name,
                "real_name": name,
                "is_bot": user_id == BOT_USER_ID,
                "profile": {"display_name": name, "real_name": name},
            },
        }

    def _apps_connections_open(self, args: dict[str, Any], token: str) -> Response:
        if not token.startswith("xapp-"):
            # Slack only accepts app-level tokens here; a bot token is a classic setup mistake.
            return {"ok": False, "error": "not_allowed_token_type"}
        if self.socket_mode is None:
            return {"ok": False, "error": "fake_socket_mode_not_attached"}
        return {"ok": True, "url": self.socket_mode.issue_url()}

    def _files_get_upload_url(self, args: dict[str, Any], token: str) -> Response:
        file_id = f"F{uuid.uuid4().hex[:10].upper()}"
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any], token: str) -> Response:
        files = args.get("files")
        if not isinstance(files, list):
            return {"ok": False, "error": "invalid_arguments"}
        return {
            "ok": True,
            "files": [{"id": f.get("id"), "title": f.get("title", "")} for f in files],
        }


# ---------------------------------------------------------------------- what Slack sends to apps


def signed_headers(
    signing_secret: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """X-Slack-Request-Timestamp and X-Slack-Signature for `body`, as Slack signs requests.

    Signature = "v0=" + hex HMAC-SHA256(secret, b"v0:{timestamp}:" + body), the scheme
    slack_sdk.signature.SignatureVerifier checks (it rejects timestamps older than 5 minutes, so
    the default is now). The caller sets Content-Type to match the body.
    """
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode("ascii") + b":" + body
    digest = hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def event_payload(
    event: dict[str, Any],
    event_id: str,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    *,
    event_time: int | None = None,
) -> dict[str, Any]:
    """The `event_callback` envelope Slack wraps around an Events API event (also the payload of
    a Socket Mode "events_api" envelope)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": copy.deepcopy(event),
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-fake-{event_id}",
    }


def event_body(
    event: dict[str, Any], event_id: str, team_id: str = TEAM_ID, api_app_id: str = APP_ID
) -> bytes:
    """`event_payload` as the JSON body Slack POSTs to the Events API request URL."""
    return json.dumps(event_payload(event, event_id, team_id, api_app_id)).encode("utf-8")


def slash_command_payload(
    text: str,
    user_id: str = DEFAULT_USER_ID,
    channel_id: str = DEFAULT_CHANNEL_ID,
    command: str = "/refark",
    response_url: str = UNREACHABLE_RESPONSE_URL,
    trigger_id: str = DEFAULT_TRIGGER_ID,
    *,
    team_id: str = TEAM_ID,
) -> dict[str, str]:
    """The fields of a slash-command invocation (Socket Mode "slash_commands" payload)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": "refark",
        "channel_id": channel_id,
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def slash_command_body(
    text: str,
    user_id: str = DEFAULT_USER_ID,
    channel_id: str = DEFAULT_CHANNEL_ID,
    command: str = "/refark",
    response_url: str = UNREACHABLE_RESPONSE_URL,
    trigger_id: str = DEFAULT_TRIGGER_ID,
) -> bytes:
    """A slash command as Slack POSTs it: application/x-www-form-urlencoded.

    Pass `response_url=fake.response_url()` if the app answers through it.
    """
    fields = slash_command_payload(text, user_id, channel_id, command, response_url, trigger_id)
    return urlencode(fields).encode("ascii")


def _block_id_of(message: dict[str, Any] | None, action_id: str) -> str | None:
    """The block holding the element `action_id`, so the payload matches the clicked message."""
    for block in (message or {}).get("blocks") or []:
        elements = block.get("elements") or []
        accessory = block.get("accessory")
        if accessory:
            elements = [*elements, accessory]
        if any(isinstance(e, dict) and e.get("action_id") == action_id for e in elements):
            return block.get("block_id")
    return None


def block_action_payload(
    action_id: str,
    value: str,
    user_id: str = DEFAULT_USER_ID,
    channel_id: str = DEFAULT_CHANNEL_ID,
    message: dict[str, Any] | None = None,
    container: dict[str, Any] | None = None,
    *,
    block_id: str | None = None,
    response_url: str = UNREACHABLE_RESPONSE_URL,
    trigger_id: str = DEFAULT_TRIGGER_ID,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A `block_actions` interaction for a button click (Socket Mode "interactive" payload).

    With `message` (e.g. `fake.message(channel, ts)`) the container points at it; without one
    Slack's shape for an ephemeral message is used, which carries no `message` field.
    """
    action_ts = f"{time.time():.6f}"
    if container is None:
        if message is not None:
            container = {
                "type": "message",
                "message_ts": message.get("ts"),
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            if message.get("thread_ts"):
                container["thread_ts"] = message["thread_ts"]
        else:
            container = {
                "type": "message",
                "message_ts": action_ts,
                "channel_id": channel_id,
                "is_ephemeral": True,
            }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id,
        },
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": copy.deepcopy(container),
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": "refark"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id or _block_id_of(message, action_id) or "refark_actions",
                "value": value,
                "type": "button",
                "action_ts": action_ts,
            }
        ],
    }
    if message is not None:
        payload["message"] = copy.deepcopy(message)
    return payload


def block_action_body(
    action_id: str,
    value: str,
    user_id: str = DEFAULT_USER_ID,
    channel_id: str = DEFAULT_CHANNEL_ID,
    message: dict[str, Any] | None = None,
    container: dict[str, Any] | None = None,
) -> bytes:
    """A button click as Slack POSTs it: form-urlencoded `payload=<json>`."""
    payload = block_action_payload(action_id, value, user_id, channel_id, message, container)
    return urlencode({"payload": json.dumps(payload)}).encode("ascii")

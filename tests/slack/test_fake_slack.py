"""The Slack test double behaves like Slack for the real slack_sdk and slack_bolt clients.

Why: the Slack app's tests trust FakeSlack/FakeSocketMode to answer as Slack would; these tests
pin that down with unmodified WebClient, SignatureVerifier, SocketModeClient and a Bolt App,
talking over loopback HTTP and WebSocket. No ML model is involved, so they stay fast.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from tests.slack.fake_slack import (
    BOT_ID,
    BOT_USER_ID,
    FakeSlack,
    block_action_body,
    event_body,
    event_payload,
    signed_headers,
    slash_command_body,
    slash_command_payload,
)

SIGNING_SECRET = "fake-signing-secret"
BLOCKS = [
    {"type": "section", "block_id": "answer", "text": {"type": "mrkdwn", "text": "*Svar*"}},
    {
        "type": "actions",
        "block_id": "feedback",
        "elements": [
            {
                "type": "button",
                "action_id": "helpful",
                "value": "42",
                "text": {"type": "plain_text", "text": "Nyttig"},
            }
        ],
    },
]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def test_post_update_and_read_a_thread(fake: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    root = fake.add_message("C123", "<@UREFARK> Hvem kan bruke HelseID?", user="U1")
    seeded = fake.add_message("C123", "og fastlegene?", user="U2", thread_ts=root)

    posted = client.chat_postMessage(channel="C123", text="Jobber…", blocks=BLOCKS, thread_ts=root)
    assert posted["ok"] and posted["channel"] == "C123"
    assert float(posted["ts"]) > float(seeded) > float(root)
    assert posted["message"]["user"] == BOT_USER_ID and posted["message"]["bot_id"] == BOT_ID
    assert posted["message"]["blocks"] == BLOCKS and posted["message"]["thread_ts"] == root
    call = fake.calls("chat.postMessage")[0]
    assert call.token == "xoxb-test" and call.args["blocks"] == BLOCKS

    updated = client.chat_update(channel="C123", ts=posted["ts"], text="Ferdig", blocks=BLOCKS[:1])
    assert updated["ok"] and updated["ts"] == posted["ts"]
    assert fake.message("C123", posted["ts"])["blocks"] == BLOCKS[:1]

    thread = client.conversations_replies(channel="C123", ts=root, limit=50)["messages"]
    assert [m["ts"] for m in thread] == [root, seeded, posted["ts"]]
    assert [m["text"] for m in thread] == [
        "<@UREFARK> Hvem kan bruke HelseID?",
        "og fastlegene?",
        "Ferdig",
    ]
    assert thread[0]["reply_count"] == 2

    with pytest.raises(SlackApiError) as missing:
        client.chat_update(channel="C123", ts="1.000001", text="x")
    assert missing.value.response["error"] == "message_not_found"


def test_form_encoded_methods_and_missing_token(fake: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    ts = fake.add_message("C1", "hei", user="U1")
    assert client.auth_test()["user_id"] == BOT_USER_ID
    assert client.reactions_add(channel="C1", name="eyes", timestamp=ts)["ok"]
    assert fake.message("C1", ts)["reactions"] == [
        {"name": "eyes", "users": [BOT_USER_ID], "count": 1}
    ]
    # Form bodies carry JSON-valued fields as strings; the fake decodes them like Slack.
    client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps(BLOCKS)})
    assert fake.calls("chat.postMessage")[-1].args["blocks"] == BLOCKS
    assert client.chat_postEphemeral(channel="C1", user="U1", text="bare deg")["message_ts"]

    with pytest.raises(SlackApiError) as anonymous:
        WebClient(base_url=fake.api_url).chat_postMessage(channel="C1", text="x")
    assert anonymous.value.response["error"] == "not_authed"


def test_a_429_once_is_retried_by_the_rate_limit_handler(fake: FakeSlack) -> None:
    fake.rate_limit_once("chat.postMessage", retry_after=0)
    client = WebClient(
        token="xoxb-test",
        base_url=fake.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    assert client.chat_postMessage(channel="C1", text="hei")["ok"]
    attempts = fake.calls("chat.postMessage")
    assert [a.status for a in attempts] == [429, 200]
    assert attempts[0].response == {"ok": False, "error": "ratelimited"}

    fake.rate_limit_once("chat.postMessage", retry_after=0)
    with pytest.raises(SlackApiError) as limited:  # default handlers do not retry 429
        WebClient(token="xoxb-test", base_url=fake.api_url).chat_postMessage(channel="C1", text="x")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "0"


def test_signed_headers_verify_and_tampering_fails() -> None:
    verifier = SignatureVerifier(SIGNING_SECRET)
    body = slash_command_body("hva er helseid?")
    headers = signed_headers(SIGNING_SECRET, body)
    assert verifier.is_valid_request(body, headers)
    assert verifier.is_valid_request(body.decode(), headers)
    assert not verifier.is_valid_request(body + b"&x=1", headers)
    assert not verifier.is_valid_request(body, signed_headers("other-secret", body))
    stale = signed_headers(SIGNING_SECRET, body, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)


def test_bolt_accepts_the_http_bodies_slack_would_send(fake: FakeSlack) -> None:
    """A real Bolt App verifies the signatures and routes all three body kinds."""
    seen: list[str] = []
    app = App(
        signing_secret=SIGNING_SECRET, client=WebClient(token="xoxb-test", base_url=fake.api_url)
    )

    @app.command("/refark")
    def command(ack, command, respond) -> None:  # type: ignore[no-untyped-def]
        ack(text="jobber")
        seen.append(f"command:{command['text']}:{command['channel_id']}")
        respond(text="svar")

    @app.event("app_mention")
    def mention(event, say) -> None:  # type: ignore[no-untyped-def]
        seen.append(f"event:{event['text']}")
        say(text="svar", thread_ts=event["ts"])

    @app.action("helpful")
    def helpful(ack, body, action) -> None:  # type: ignore[no-untyped-def]
        ack()
        seen.append(f"action:{action['value']}:{action['block_id']}:{body['message']['ts']}")

    def dispatch(body: bytes, content_type: str) -> int:
        headers = {**signed_headers(SIGNING_SECRET, body), "Content-Type": content_type}
        return app.dispatch(BoltRequest(body=body.decode(), headers=headers)).status

    form = "application/x-www-form-urlencoded"
    body = slash_command_body("hva er helseid?", response_url=fake.response_url("cmd"))
    assert parse_qs(body.decode())["command"] == ["/refark"]
    assert dispatch(body, form) == 200
    assert fake.wait_for("response_url", timeout=10).args["text"] == "svar"

    ts = fake.add_message("C123", "<@UREFARK> hei", user="U1")
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UREFARK> hei",
        "ts": ts,
        "channel": "C123",
    }
    assert dispatch(event_body(event, "Ev1"), "application/json") == 200
    reply = fake.wait_for("chat.postMessage", timeout=10)
    assert reply.args["thread_ts"] == ts

    answer = fake.message("C123", reply.response["ts"])
    clicked = block_action_body("helpful", "42", message={**answer, "blocks": BLOCKS})
    assert dispatch(clicked, form) == 200
    wanted = {
        "command:hva er helseid?:C123",
        "event:<@UREFARK> hei",
        f"action:42:feedback:{answer['ts']}",
    }
    deadline = time.monotonic() + 10
    while not wanted <= set(seen) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert wanted <= set(seen)
    tampered = slash_command_body("x")
    headers = {**signed_headers(SIGNING_SECRET, tampered + b"1"), "Content-Type": form}
    assert app.dispatch(BoltRequest(body=tampered.decode(), headers=headers)).status == 401


def _socket_mode_client(fake: FakeSlack, acked: list[str]) -> SocketModeClient:
    client = SocketModeClient(
        app_token="xapp-test",
        web_client=WebClient(base_url=fake.api_url),
        ping_interval=1,
    )

    def listener(client: SocketModeClient, request: SocketModeRequest) -> None:
        acked.append(request.envelope_id)  # before the ack, which the test may see at once
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload={"seen": request.type})
        )

    client.socket_mode_request_listeners.append(listener)  # type: ignore[arg-type]
    return client


def test_socket_mode_client_connects_acks_and_closes() -> None:
    with FakeSlack(socket_mode=True) as fake:
        assert fake.socket_mode is not None
        acked: list[str] = []
        client = _socket_mode_client(fake, acked)
        try:
            client.connect()
            assert client.is_connected()
            fake.socket_mode.wait_for_connection()
            opened = fake.calls("apps.connections.open")
            assert [c.token for c in opened] == ["xapp-test"]

            event = {
                "type": "app_mention",
                "user": "U1",
                "text": "hei",
                "ts": "1.2",
                "channel": "C1",
            }
            envelope_id = fake.socket_mode.send_envelope("events_api", event_payload(event, "Ev1"))
            ack = fake.socket_mode.wait_for_ack(envelope_id, timeout=5)
            assert ack == {"envelope_id": envelope_id, "payload": {"seen": "events_api"}}
            assert acked == [envelope_id]

            # Slack's "disconnect" makes the client fetch a new URL and reconnect.
            fake.socket_mode.send_disconnect()
            fake.socket_mode.wait_for_connection(count=2)
            assert len(fake.calls("apps.connections.open")) == 2
            tickets = fake.socket_mode.tickets_used()
            assert len(set(tickets)) == 2 and None not in tickets
            again = fake.socket_mode.send_envelope("slash_commands", {"command": "/refark"})
            assert fake.socket_mode.wait_for_ack(again, timeout=5)["envelope_id"] == again
            assert fake.socket_mode.sent()[-1]["accepts_response_payload"] is True
        finally:
            started = time.monotonic()
            client.close()
            closing = time.monotonic() - started
        assert closing < 3, f"SocketModeClient.close() took {closing:.1f} s"
        assert not client.is_connected()
        assert fake.socket_mode.other_messages() == []


def test_bolt_socket_mode_handler_acks_with_the_response_payload() -> None:
    with FakeSlack(socket_mode=True) as fake:
        assert fake.socket_mode is not None
        app = App(client=WebClient(token="xoxb-test", base_url=fake.api_url))

        @app.command("/refark")
        def command(ack, respond) -> None:  # type: ignore[no-untyped-def]
            ack(text="jobber")
            respond(text="svar")

        handler = SocketModeHandler(app, app_token="xapp-test")
        try:
            handler.connect()
            payload = slash_command_payload("hei", response_url=fake.response_url("cmd"))
            envelope_id = fake.socket_mode.send_envelope("slash_commands", payload)
            ack = fake.socket_mode.wait_for_ack(envelope_id, timeout=5)
            assert ack == {"envelope_id": envelope_id, "payload": {"text": "jobber"}}
            assert fake.wait_for("response_url", timeout=5).path == "/response/cmd"
        finally:
            handler.close()


def test_apps_connections_open_wants_an_app_token() -> None:
    with FakeSlack(socket_mode=True) as fake:
        with pytest.raises(SlackApiError) as wrong:
            WebClient(base_url=fake.api_url).apps_connections_open(app_token="xoxb-test")
        assert wrong.value.response["error"] == "not_allowed_token_type"

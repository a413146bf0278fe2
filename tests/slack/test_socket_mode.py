"""`refark slack`: the same app over Socket Mode, against a local WebSocket server that plays
Slack's side of the protocol (`apps.connections.open`, hello, envelopes, acks), with the real
slack_sdk client, the real model and the bundled corpus's index."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.slack.socket_mode import handler
from service.engine import Engine
from service.feedback import FeedbackStore
from service.settings import Settings
from tests.slack.fake_slack import BOT_USER_ID, FakeSlack, event_payload

pytestmark = pytest.mark.slow


def test_a_mention_over_socket_mode_is_acked_and_answered_in_its_thread(
    sample_index: Path, embedder, tmp_path: Path
):
    with FakeSlack(socket_mode=True) as fake:
        settings = Settings(
            index_dir=sample_index,
            slack_bot_token="xoxb-test",
            slack_app_token="xapp-test",
            slack_api_url=fake.api_url,
            feedback_db=tmp_path / "feedback.sqlite3",
        )
        slack = handler(settings, Engine(settings, embedder), FeedbackStore(settings.feedback_db))
        slack.connect()
        try:
            text = f"<@{BOT_USER_ID}> Hva er HelseID?"
            ts = fake.add_message("C42", text)
            event = {"type": "app_mention", "user": "U1", "text": text, "ts": ts, "channel": "C42"}
            envelope = fake.socket_mode.send_envelope("events_api", event_payload(event, "EvS1"))
            fake.socket_mode.wait_for_ack(envelope)
            placeholder = fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == "C42")
            assert placeholder.args["thread_ts"] == ts
            answer = fake.wait_for("chat.update", lambda c: c.args["channel"] == "C42")
        finally:
            slack.close()
    assert "HelseID" in answer.args["text"] and "[1]" in answer.args["text"]
    opened = fake.calls("apps.connections.open")
    assert opened and opened[0].token == "xapp-test"

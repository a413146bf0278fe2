"""The Slack app end to end, with real parts: a real uvicorn server running `create_app` with
the real model and index, Slack's events, commands and clicks sent to it as correctly signed
HTTP requests, and the real slack_sdk WebClient answering into a fake Slack Web API on
loopback (tests/slack/fake_slack.py; Slack itself cannot be reached from here)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from bots.slack.blocks import (
    COMMENT_BLOCK,
    COMMENT_INPUT,
    COMMENT_VIEW,
    OPEN_IN_BROWSER,
    SHARE,
    VOTE_DOWN,
    VOTE_UP,
    WORKING,
)
from service.feedback import FeedbackStore
from tests.conftest import RunningServer, run_refark, serve
from tests.slack.fake_slack import (
    BOT_ID,
    BOT_USER_ID,
    Call,
    FakeSlack,
    block_action_body,
    event_body,
    signed_headers,
    slash_command_body,
)

pytestmark = pytest.mark.slow

SECRET = "test-signing-secret"
PLO_QUESTION = "Hvor lang tid har vi på å svare på en PLO-melding?"


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def slack_server(index_dir: Path, embedder, fake: FakeSlack, **overrides) -> RunningServer:
    return serve(
        index_dir,
        embedder,
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
        **overrides,
    )


@pytest.fixture(scope="module")
def slack_app(sample_index: Path, embedder, fake_slack: FakeSlack) -> Iterator[RunningServer]:
    with slack_server(sample_index, embedder, fake_slack) as running:
        yield running


def post(
    server: RunningServer,
    body: bytes,
    content_type: str,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    signed = signed_headers(secret, body, timestamp)
    return httpx.post(
        f"{server.url}/slack/events",
        content=body,
        headers={"Content-Type": content_type, **signed, **(headers or {})},
        timeout=30,
    )


def send_event(server: RunningServer, event: dict, event_id: str | None = None, **kw):
    body = event_body(event, event_id or f"Ev{uuid.uuid4().hex[:10]}")
    response = post(server, body, "application/json", **kw)
    assert response.status_code == 200, response.text
    return response


def channel() -> str:
    """A channel of its own for each test, so the fake's records cannot mix."""
    return f"C{uuid.uuid4().hex[:8].upper()}"


def mention(fake: FakeSlack, where: str, text: str, thread_ts: str | None = None) -> dict:
    ts = fake.add_message(where, text, thread_ts=thread_ts)
    event = {"type": "app_mention", "user": "U123", "text": text, "ts": ts, "channel": where}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def answer_in(fake: FakeSlack, where: str, thread_ts: str) -> Call:
    """The answer that replaced Refark's placeholder in the thread."""
    placeholder = fake.wait_for(
        "chat.postMessage",
        lambda c: c.args["channel"] == where and c.args.get("thread_ts") == thread_ts,
    )
    assert placeholder.args["text"] == WORKING
    return fake.wait_for(
        "chat.update",
        lambda c: (
            c.args["channel"] == where
            and c.args["ts"] == placeholder.response["ts"]
            and c.status == 200
        ),
    )


def source_links(call: Call) -> list[str]:
    text = "\n".join(b["text"]["text"] for b in call.args["blocks"] if b["type"] == "section")
    return [part.split("|")[0] for part in text.split("<")[1:] if part.startswith("http")]


def buttons(call: Call) -> dict[str, dict]:
    actions = next(b for b in call.args["blocks"] if b["type"] == "actions")
    return {e["action_id"]: e for e in actions["elements"]}


def test_a_mention_is_answered_in_a_thread_with_a_source_that_opens_at_its_page(
    slack_app, fake_slack
):
    where = channel()
    event = mention(fake_slack, where, f"<@{BOT_USER_ID}> {PLO_QUESTION}")
    send_event(slack_app, event)

    answer = answer_in(fake_slack, where, event["ts"])
    assert "fire timer" in answer.args["text"]
    assert "[1]" in answer.args["text"]
    fake_slack.wait_for("reactions.add", lambda c: c.args["timestamp"] == event["ts"])
    link = source_links(answer)[0]
    assert link.startswith(slack_app.url) and link.endswith("#page=5")
    opened = httpx.get(link.split("#")[0], timeout=30)
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "application/pdf"
    assert "plo-meldinger.pdf" in opened.headers["content-disposition"]
    assert buttons(answer)[OPEN_IN_BROWSER]["url"].startswith(f"{slack_app.url}/?q=")


def test_a_follow_up_in_the_thread_is_answered_with_the_thread_as_context(slack_app, fake_slack):
    where = channel()
    first = mention(fake_slack, where, f"<@{BOT_USER_ID}> Hva er HelseID?")
    send_event(slack_app, first)
    answer_in(fake_slack, where, first["ts"])

    # No new mention: a message in a thread Refark has answered in is meant for it.
    ts = fake_slack.add_message(where, "Hvem drifter den?", thread_ts=first["ts"])
    follow_up = {
        "type": "message",
        "channel_type": "channel",
        "user": "U123",
        "text": "Hvem drifter den?",
        "ts": ts,
        "thread_ts": first["ts"],
        "channel": where,
    }
    send_event(slack_app, follow_up)
    updates = lambda: [  # noqa: E731
        c for c in fake_slack.calls("chat.update") if c.args["channel"] == where
    ]
    deadline = time.monotonic() + 60
    while len(updates()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    second = updates()[1]
    searched = [
        e["text"] for b in second.args["blocks"] if b["type"] == "context" for e in b["elements"]
    ]
    assert any("HelseID" in s for s in searched), second.args
    replies = fake_slack.calls("conversations.replies")
    assert any(c.args["ts"] == first["ts"] for c in replies)


def test_a_thread_among_people_is_left_alone(slack_app, fake_slack):
    where = channel()
    root = fake_slack.add_message(where, "Noen som vet om HelseID?")
    ts = fake_slack.add_message(where, "Spør Kari.", user="U999", thread_ts=root)
    event = {
        "type": "message",
        "channel_type": "channel",
        "user": "U999",
        "text": "Spør Kari.",
        "ts": ts,
        "thread_ts": root,
        "channel": where,
    }
    send_event(slack_app, event)
    # The last thing the app does with a thread message is read the thread; then it stops.
    fake_slack.wait_for("conversations.replies", lambda c: c.args["channel"] == where)
    time.sleep(1)
    assert not [c for c in fake_slack.calls("chat.postMessage") if c.args["channel"] == where]


def test_a_direct_message_is_answered_in_the_dm(slack_app, fake_slack):
    dm = f"D{uuid.uuid4().hex[:8].upper()}"
    ts = fake_slack.add_message(dm, "Hva er dokumentdeling?")
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "U123",
        "text": "Hva er dokumentdeling?",
        "ts": ts,
        "channel": dm,
    }
    send_event(slack_app, event)
    answer = answer_in(fake_slack, dm, ts)
    assert "[1]" in answer.args["text"]


def test_messages_from_bots_and_refark_itself_are_ignored(slack_app, fake_slack):
    where = f"D{uuid.uuid4().hex[:8].upper()}"
    for bot_id in (BOT_ID, "BOTHER"):
        ts = fake_slack.add_message(where, "Hva er HelseID?", bot_id=bot_id)
        event = {
            "type": "message",
            "channel_type": "im",
            "bot_id": bot_id,
            "text": "Hva er HelseID?",
            "ts": ts,
            "channel": where,
        }
        send_event(slack_app, event)
    # A person's message afterwards is answered: the bot messages before it were not.
    ts = fake_slack.add_message(where, "Hva er HelseID?")
    send_event(
        slack_app,
        {
            "type": "message",
            "channel_type": "im",
            "user": "U1",
            "text": "Hva er HelseID?",
            "ts": ts,
            "channel": where,
        },
    )
    answer_in(fake_slack, where, ts)
    posted = [c for c in fake_slack.calls("chat.postMessage") if c.args["channel"] == where]
    assert len(posted) == 1


def test_a_retried_event_is_answered_once(slack_app, fake_slack):
    where = channel()
    event = mention(fake_slack, where, f"<@{BOT_USER_ID}> Hva er kjernejournal?")
    send_event(slack_app, event, event_id="EvRETRIED1")
    send_event(
        slack_app,
        event,
        event_id="EvRETRIED1",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    answer_in(fake_slack, where, event["ts"])
    time.sleep(1)
    posted = [c for c in fake_slack.calls("chat.postMessage") if c.args["channel"] == where]
    assert len(posted) == 1


@pytest.mark.parametrize("forgery", ["wrong secret", "ten minutes old"])
def test_a_forged_or_stale_request_is_refused(slack_app, fake_slack, forgery: str):
    where = channel()
    event = mention(fake_slack, where, f"<@{BOT_USER_ID}> Hva er HelseID?")
    body = event_body(event, "EvFORGED")
    if forgery == "wrong secret":
        response = post(slack_app, body, "application/json", secret="not-the-secret")
    else:
        response = post(slack_app, body, "application/json", timestamp=int(time.time()) - 600)
    assert response.status_code == 401
    time.sleep(0.5)
    assert not [c for c in fake_slack.calls("chat.postMessage") if c.args["channel"] == where]


def test_the_slash_command_answers_privately_and_can_share_in_the_channel(slack_app, fake_slack):
    where = channel()
    body = slash_command_body(PLO_QUESTION, channel_id=where, user_id="U777")
    ack = post(slack_app, body, "application/x-www-form-urlencoded")
    assert ack.status_code == 200 and ack.text == WORKING  # shown to the asker at once

    private = fake_slack.wait_for("chat.postEphemeral", lambda c: c.args["channel"] == where)
    assert private.args["user"] == "U777" and "fire timer" in private.args["text"]
    share = buttons(private)[SHARE]

    click = block_action_body(SHARE, share["value"], user_id="U777", channel_id=where)
    assert post(slack_app, click, "application/x-www-form-urlencoded").status_code == 200
    shared = fake_slack.wait_for("chat.postMessage", lambda c: c.args["channel"] == where)
    assert "fire timer" in shared.args["text"]
    assert "<@U777> delte svaret" in json.dumps(shared.args["blocks"], ensure_ascii=False)


def test_an_empty_slash_command_gets_help(slack_app):
    ack = post(slack_app, slash_command_body("  "), "application/x-www-form-urlencoded")
    assert ack.status_code == 200 and "/refark" in ack.text


def comment_submission(view: dict, comment: str, user_id: str) -> bytes:
    """What Slack sends when the 👎 dialog is submitted (a `view_submission` interaction)."""
    submitted = {
        **view,
        "id": "V0001",
        "state": {
            "values": {
                COMMENT_BLOCK: {COMMENT_INPUT: {"type": "plain_text_input", "value": comment}}
            }
        },
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0001", "domain": "refark"},
        "user": {"id": user_id, "team_id": "T0001"},
        "api_app_id": "AREFARK",
        "token": "fake-verification-token",
        "trigger_id": "1.2.3",
        "view": submitted,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_a_vote_is_stored_with_its_comment_and_a_down_vote_exported_as_an_eval_item(
    slack_app, fake_slack, sample_index
):
    where = channel()
    event = mention(fake_slack, where, f"<@{BOT_USER_ID}> Hva koster kjernejournal?")
    send_event(slack_app, event)
    answer = answer_in(fake_slack, where, event["ts"])
    message = fake_slack.message(where, answer.args["ts"])
    form = "application/x-www-form-urlencoded"

    up = block_action_body(VOTE_UP, buttons(answer)[VOTE_UP]["value"], "U555", where, message)
    assert post(slack_app, up, form).status_code == 200
    thanks = fake_slack.wait_for("chat.postEphemeral", lambda c: c.args["channel"] == where)
    assert thanks.args["user"] == "U555" and "Takk" in thanks.args["text"]

    down = block_action_body(VOTE_DOWN, buttons(answer)[VOTE_DOWN]["value"], "U555", where, message)
    assert post(slack_app, down, form).status_code == 200
    dialog = fake_slack.wait_for(
        "views.open", lambda c: c.args["view"]["callback_id"] == COMMENT_VIEW
    )
    comment = "Svaret sier ikke hva kjernejournal koster."
    submitted = comment_submission(dialog.args["view"], comment, "U555")
    assert post(slack_app, submitted, form).status_code == 200

    settings = slack_app.engine.settings
    store = FeedbackStore(settings.feedback_db)
    deadline = time.monotonic() + 30
    while not any(e.feedback.comment for e in store.entries(vote="down")):
        assert time.monotonic() < deadline, store.entries()
        time.sleep(0.1)
    votes = [e for e in store.entries() if e.feedback.question == "Hva koster kjernejournal?"]
    assert sorted(e.feedback.vote for e in votes) == ["down", "up"]
    assert all(e.feedback.channel == "slack" and e.feedback.place == where for e in votes)
    assert {e.feedback.user_hash for e in votes} != {None}
    assert len({e.feedback.user_hash for e in votes}) == 1  # one person, told apart by a hash

    export = run_refark(
        "feedback",
        "export",
        "--index-dir",
        str(sample_index),
        REFARK_FEEDBACK_DB=str(settings.feedback_db),
    )
    assert export.returncode == 0, export.stderr
    items = [json.loads(line) for line in export.stdout.splitlines()]
    item = next(i for i in items if i["question"] == "Hva koster kjernejournal?")
    assert item["comment"] == comment
    assert item["relevant"] == []  # until a maintainer marks the right source
    assert item["cited"] and all(c["doc"] for c in item["cited"])
    # The user id is kept only as a keyed hash (the write-ahead log holds the latest writes).
    database = settings.feedback_db
    stored = b"".join(p.read_bytes() for p in (database, Path(f"{database}-wal")) if p.exists())
    assert comment.encode() in stored  # the vote is in what was read
    assert b"U555" not in stored


def test_a_rate_limited_answer_is_retried_and_arrives(slack_app, fake_slack):
    where = channel()
    event = mention(fake_slack, where, f"<@{BOT_USER_ID}> Hva er e-resept?")
    fake_slack.rate_limit_once("chat.update", retry_after=0)
    send_event(slack_app, event)
    answer = answer_in(fake_slack, where, event["ts"])
    assert "[1]" in answer.args["text"]
    refused = [c for c in fake_slack.calls("chat.update") if c.status == 429]
    assert refused


def test_without_an_index_the_asker_gets_an_apology(tmp_path, embedder, fake_slack):
    with slack_server(tmp_path / "empty-index", embedder, fake_slack) as running:
        where = channel()
        event = mention(fake_slack, where, f"<@{BOT_USER_ID}> Hva er HelseID?")
        send_event(running, event)
        answer = answer_in(fake_slack, where, event["ts"])
    assert answer.args["text"].startswith("Beklager, jeg kan ikke svare akkurat nå")


def test_a_document_that_mentions_channel_cannot_ping_it(tmp_path, embedder, fake_slack):
    from index.build import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "varsling.md").write_text(
        "# Varsling til <!here> ved driftsavbrudd\n\nVed driftsavbrudd i Norsk helsenett skal "
        "vakthavende varsle <!channel> og <@U0ADMIN> i beredskapskanalen innen femten "
        "minutter.\n\nVakthavende følger opp til driften er normal igjen.\n",
        encoding="utf-8",
    )
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder)
    with slack_server(index_dir, embedder, fake_slack, corpus_dir=corpus) as running:
        where = channel()
        event = mention(
            fake_slack, where, f"<@{BOT_USER_ID}> Når skal vakthavende varsle ved driftsavbrudd?"
        )
        send_event(running, event)
        answer = answer_in(fake_slack, where, event["ts"])
    posted = json.dumps([answer.args["text"], answer.args["blocks"]], ensure_ascii=False)
    assert "&lt;!channel&gt; og &lt;@U0ADMIN&gt;" in answer.args["text"], posted
    assert "Varsling til &lt;!here&gt; ved driftsavbrudd" in posted
    for ping in ("<!channel>", "<!here>", "<@U0ADMIN>"):
        assert ping not in posted


def test_without_slack_settings_the_service_runs_and_slack_is_off(sample_index, embedder):
    with serve(sample_index, embedder) as running:
        assert httpx.get(f"{running.url}/healthz", timeout=10).status_code == 200
        response = httpx.post(f"{running.url}/slack/events", content=b"{}", timeout=10)
    assert response.status_code == 404

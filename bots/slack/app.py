"""The Slack app: a bolt App whose listeners acknowledge at once and hand the work to the
Responder. Every request passes the same stages: drop Slack's retries of an event already
seen, drop messages from bots (Refark included) and edits, then answer.

- a mention in a channel is answered in a thread under it;
- a message in a thread where Refark has answered is a follow-up, answered with the thread
  as its context, with or without a new mention;
- a direct message is answered in a thread in the DM, its follow-ups likewise;
- `/refark <spørsmål>` is answered privately, with a button that shares it in the channel."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bots.slack.blocks import (
    COMMENT_BLOCK,
    COMMENT_INPUT,
    COMMENT_VIEW,
    HELP,
    OPEN_IN_BROWSER,
    SHARE,
    VOTE_DOWN,
    VOTE_UP,
    WORKING,
)
from bots.slack.channels import ChannelScopes
from bots.slack.conversation import bot_took_part, thread_history
from bots.slack.formatting import plain_question
from bots.slack.responder import Responder
from service.engine import Engine
from service.feedback import FeedbackStore
from service.settings import Settings

SEEN_EVENTS = 10_000  # event ids remembered to answer Slack's retries once
THREAD_MESSAGES = 200  # the latest messages of a thread read as its history


class SeenEvents:
    """Event ids already handled, oldest forgotten first."""

    def __init__(self, size: int = SEEN_EVENTS) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            if len(self._ids) > self._size:
                self._ids.popitem(last=False)
            return True


def web_client(settings: Settings) -> WebClient:
    """The Web API client: Slack's (or SLACK_API_URL's), retrying when Slack says 429."""
    options = {}
    if settings.slack_api_url:
        options["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    return WebClient(
        token=settings.slack_bot_token,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(),
        ],
        **options,
    )


def create_slack_app(
    settings: Settings,
    engine: Callable[[], Engine],
    feedback: Callable[[], FeedbackStore],
) -> App:
    """The bolt App. It calls `auth.test` at once, so a wrong token or an unreachable Slack
    fails here, at start-up, not at the first question."""
    key = settings.slack_signing_secret or settings.slack_bot_token or ""
    responder = Responder(
        engine=engine,
        feedback=feedback,
        base_url=settings.base_url,
        scopes=ChannelScopes(settings.slack_channels),
        user_key=key.encode(),
    )
    app = App(
        client=web_client(settings),
        token=settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret,
        # Socket Mode has no signature: the WebSocket itself is authenticated by the app token.
        request_verification_enabled=settings.slack_signing_secret is not None,
    )
    register(app, responder, SeenEvents())
    return app


def register(app: App, responder: Responder, seen: SeenEvents) -> None:
    @app.middleware
    def answer_each_event_once(body: dict, next: Callable[[], BoltResponse]) -> BoltResponse:
        """Slack retries an event it thinks went unanswered (X-Slack-Retry-Num, same
        event_id); the first delivery is already being answered."""
        event_id = body.get("event_id")
        if event_id and not seen.first_time(event_id):
            return BoltResponse(status=200, body="")
        return next()

    def history(client: WebClient, channel: str, thread_ts: str, before: str, context) -> list:
        replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=THREAD_MESSAGES)
        return thread_history(replies["messages"], context.bot_user_id, context.bot_id, before)

    @app.event("app_mention")
    def mention(event: dict, client: WebClient, context) -> None:
        if event["channel"].startswith("D"):
            return  # a mention in a DM is a direct message, answered by `message`
        thread_ts = event.get("thread_ts")
        turns = (
            history(client, event["channel"], thread_ts, event["ts"], context) if thread_ts else []
        )
        responder.answer_in_thread(
            client,
            event["channel"],
            thread_ts or event["ts"],
            event["ts"],
            plain_question(event.get("text", "")),
            turns,
        )

    @app.event("message")
    def message(event: dict, client: WebClient, context) -> None:
        if event.get("subtype") or event.get("bot_id"):
            return  # edits, joins, and bots (Refark's own answers among them)
        channel, ts, thread_ts = event["channel"], event["ts"], event.get("thread_ts")
        if event.get("channel_type") == "im":
            turns = history(client, channel, thread_ts, ts, context) if thread_ts else []
        elif thread_ts and f"<@{context.bot_user_id}>" not in event.get("text", ""):
            replies = client.conversations_replies(
                channel=channel, ts=thread_ts, limit=THREAD_MESSAGES
            )["messages"]
            if not bot_took_part(replies, context.bot_user_id, context.bot_id):
                return  # a thread among people, not a conversation with Refark
            turns = thread_history(replies, context.bot_user_id, context.bot_id, ts)
        else:
            return  # a channel message without a mention, or one `app_mention` answers
        question = plain_question(event.get("text", ""))
        responder.answer_in_thread(client, channel, thread_ts or ts, ts, question, turns)

    @app.command("/refark")
    def command(ack: Callable, command: dict, client: WebClient, respond: Callable) -> None:
        question = plain_question(command.get("text", ""))
        if not question:
            ack(text=HELP)
            return
        ack(text=WORKING)  # seen at once, by the asker only
        responder.answer_privately(
            client, command["channel_id"], command["user_id"], question, respond
        )

    def clicked(body: dict) -> tuple[str, str, str]:
        return body["channel"]["id"], body["user"]["id"], body["actions"][0]["value"]

    def voted(vote: str) -> Callable:
        def on_vote(ack: Callable, body: dict, client: WebClient) -> None:
            ack()
            channel, user, answer_id = clicked(body)
            message = body.get("message") or {}
            thread_ts = message.get("thread_ts") or message.get("ts")
            trigger_id = body.get("trigger_id")
            responder.vote(client, channel, user, answer_id, vote, thread_ts, trigger_id)

        return on_vote

    app.action(VOTE_UP)(voted("up"))
    app.action(VOTE_DOWN)(voted("down"))

    @app.action(SHARE)
    def share(ack: Callable, body: dict, client: WebClient) -> None:
        ack()
        responder.share(client, *clicked(body))

    @app.view(COMMENT_VIEW)
    def commented(ack: Callable, view: dict) -> None:
        ack()  # closes the dialog
        field = view["state"]["values"].get(COMMENT_BLOCK, {}).get(COMMENT_INPUT, {})
        responder.comment(view["private_metadata"], field.get("value"))

    @app.action(OPEN_IN_BROWSER)
    def opened(ack: Callable) -> None:
        ack()  # a link button: the browser opens the page; Slack only wants the click acked

"""A Slack thread as the conversation history a follow-up question is read against."""

from __future__ import annotations

from collections.abc import Sequence

from bots.slack.blocks import WORKING
from bots.slack.formatting import plain_question, unescape
from service.schemas import Turn

MAX_TURNS = 10  # the latest turns are the ones a "den"/"det" refers to


def is_from_bot(message: dict, bot_user_id: str, bot_id: str | None) -> bool:
    return message.get("user") == bot_user_id or (
        bot_id is not None and message.get("bot_id") == bot_id
    )


def thread_history(
    messages: Sequence[dict], bot_user_id: str, bot_id: str | None, before_ts: str
) -> list[Turn]:
    """The thread's turns before the message `before_ts`: people's messages as questions,
    Refark's own as answers (its placeholders skipped); other bots are not part of it."""
    turns = []
    for message in messages:
        if float(message.get("ts", "0")) >= float(before_ts):
            continue
        text = message.get("text", "")
        if is_from_bot(message, bot_user_id, bot_id):
            if text and text != WORKING:
                turns.append(Turn(role="assistant", content=unescape(text)))
        elif not message.get("bot_id") and (question := plain_question(text)):
            turns.append(Turn(role="user", content=question))
    return turns[-MAX_TURNS:]


def bot_took_part(messages: Sequence[dict], bot_user_id: str, bot_id: str | None) -> bool:
    """Whether Refark has answered in the thread: only then is a message there without a
    mention meant for it."""
    return any(is_from_bot(m, bot_user_id, bot_id) for m in messages)

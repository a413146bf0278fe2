"""A Slack thread read as the history of a follow-up question."""

from __future__ import annotations

from bots.slack.blocks import WORKING
from bots.slack.conversation import bot_took_part, thread_history
from service.schemas import Turn

BOT_USER, BOT = "UREFARK", "BREFARK"


def thread() -> list[dict]:
    return [
        {"ts": "100.1", "user": "U1", "text": "<@UREFARK> Hvem kan bruke HelseID?"},
        {
            "ts": "100.2",
            "user": BOT_USER,
            "bot_id": BOT,
            "text": "HelseID brukes av &lt;ansatte&gt;. [1]",
        },
        {"ts": "100.3", "bot_id": "BOTHER", "text": "En annen bot snakker."},
        {"ts": "100.4", "user": "U2", "text": "og hva med fastlegene?"},
        {"ts": "100.5", "user": BOT_USER, "bot_id": BOT, "text": WORKING},
    ]


def test_people_ask_and_refark_answers_in_the_history_in_order():
    assert thread_history(thread(), BOT_USER, BOT, before_ts="100.4") == [
        Turn(role="user", content="Hvem kan bruke HelseID?"),
        Turn(role="assistant", content="HelseID brukes av <ansatte>. [1]"),
    ]


def test_the_history_ends_before_the_question_and_skips_placeholders():
    turns = thread_history(thread(), BOT_USER, BOT, before_ts="100.9")
    assert [t.content for t in turns][-1] == "og hva med fastlegene?"
    assert WORKING not in [t.content for t in turns]


def test_a_thread_is_a_conversation_with_refark_only_once_it_has_answered_there():
    assert bot_took_part(thread(), BOT_USER, BOT)
    people_only = [m for m in thread() if m.get("user") != BOT_USER]
    assert not bot_took_part(people_only, BOT_USER, BOT)

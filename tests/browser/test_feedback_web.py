"""👍/👎 with an optional comment on the answers of the web page's Spør view.

Behaviour specs: what the user clicks, checked against what the server stored (read back through
the admin API of the same server)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import httpx
import pytest
from test_web_page import QUESTION, ask, expect, open_page, switch_to_ask

# A real server with the real model behind a real browser: slow as well as browser.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN = {"Authorization": "Bearer test-admin-token"}  # the token `live_server` runs with
OTHER_QUESTION = "Hva skjer hvis en melding ikke blir kvittert?"
OFF_TOPIC = "Hvem vant fotball-VM i 1998?"
THANKS = "Takk for tilbakemeldingen!"


def ask_on_a_fresh_page(page, live_server: str, *questions: str) -> dict:
    """Open the page, ask the questions in turn in Spør mode; the last reply, as the page got it."""
    open_page(page, live_server)
    switch_to_ask(page)
    for question in questions:
        reply = ask(page, question).response().json()
    return reply


def posted_vote(page, action: Callable[[], object]) -> int:
    """Do what posts a vote; the id the server gave the vote."""
    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as response:
        action()
    assert response.value.status == 201
    return response.value.json()["id"]


def stored(api: httpx.Client, feedback_id: int) -> dict:
    response = api.get("/api/admin/feedback", params={"limit": 1000}, headers=ADMIN)
    response.raise_for_status()
    return next(entry for entry in response.json() if entry["id"] == feedback_id)


def assert_web_vote_on(entry: dict, question: str, reply: dict) -> None:
    """The stored vote is the web page's, on this question and the answer the page showed."""
    assert entry["channel"] == "web"
    assert entry["question"] == question
    assert entry["answer"] == reply["answer"]
    assert entry["chunk_ids"] == [c["chunk_id"] for c in reply["citations"]]


def feedback_of_latest_turn(page):
    return page.locator("#panel-spor .turn.latest .feedback")


def vote_buttons(feedback):
    return (
        feedback.get_by_role("button", name="Nyttig", exact=True),
        feedback.get_by_role("button", name="Ikke nyttig", exact=True),
    )


def test_a_thumbs_up_is_stored_at_once_with_the_question_answer_and_cited_chunks(
    page, live_server: str, api: httpx.Client
) -> None:
    reply = ask_on_a_fresh_page(page, live_server, QUESTION)
    assert reply["found"]
    feedback = feedback_of_latest_turn(page)
    up, down = vote_buttons(feedback)

    entry = stored(api, posted_vote(page, up.click))

    assert_web_vote_on(entry, QUESTION, reply)
    assert (entry["vote"], entry["comment"]) == ("up", None)
    expect(feedback.get_by_role("status")).to_have_text(THANKS)
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(up).to_be_disabled()
    expect(down).to_be_disabled()

    # One vote per answer, also after a reload.
    page.reload()
    up, down = vote_buttons(feedback_of_latest_turn(page))
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_be_disabled()
    assert page.console.errors == []


def test_a_thumbs_down_is_stored_with_the_comment_written_in_its_form_on_a_phone(
    page, live_server: str, api: httpx.Client
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    # the second answer of a conversation
    reply = ask_on_a_fresh_page(page, live_server, QUESTION, OTHER_QUESTION)
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if "/api/feedback" in r.url else None)
    feedback = feedback_of_latest_turn(page)
    up, down = vote_buttons(feedback)

    down.click()

    box = feedback.get_by_label("Hva var galt med svaret? (valgfritt)")
    expect(box).to_be_focused()
    expect(box).to_have_attribute("maxlength", "2000")
    expect(down).to_have_attribute("aria-expanded", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    comment = "Svaret nevner ikke hva avsenderen skal gjøre når kvitteringen uteblir."
    box.fill(comment)
    assert posted == []  # the vote waits for its comment
    send = feedback.get_by_role("button", name="Send", exact=True)
    entry = stored(api, posted_vote(page, send.click))

    assert_web_vote_on(entry, OTHER_QUESTION, reply)
    assert (entry["vote"], entry["comment"]) == ("down", comment)
    assert len(posted) == 1
    expect(box).to_be_hidden()
    expect(feedback.get_by_role("status")).to_have_text(THANKS)
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_be_disabled()
    # the earlier answer can still be voted on
    expect(page.locator("#panel-spor .earlier .vote").first).to_be_enabled()
    assert page.console.errors == []


def test_escape_in_the_comment_form_of_a_declined_answer_posts_the_thumbs_down_alone(
    page, live_server: str, api: httpx.Client
) -> None:
    reply = ask_on_a_fresh_page(page, live_server, OFF_TOPIC)
    assert not reply["found"]
    feedback = feedback_of_latest_turn(page)
    vote_buttons(feedback)[1].click()

    entry = stored(api, posted_vote(page, lambda: page.keyboard.press("Escape")))

    assert_web_vote_on(entry, OFF_TOPIC, reply)
    assert (entry["vote"], entry["comment"]) == ("down", None)
    expect(feedback.get_by_role("status")).to_have_text(THANKS)
    expect(feedback.get_by_role("status")).to_be_focused()
    assert page.console.errors == []


def test_an_open_comment_form_still_posts_its_vote_when_a_new_conversation_starts(
    page, live_server: str, api: httpx.Client
) -> None:
    reply = ask_on_a_fresh_page(page, live_server, QUESTION)
    vote_buttons(feedback_of_latest_turn(page))[1].click()

    new_conversation = page.get_by_role("button", name="Ny samtale")
    entry = stored(api, posted_vote(page, new_conversation.click))

    assert_web_vote_on(entry, QUESTION, reply)
    assert (entry["vote"], entry["comment"]) == ("down", None)
    assert page.console.errors == []


def test_a_failed_vote_shows_the_servers_reason_and_can_be_sent_again(
    page, live_server: str, api: httpx.Client
) -> None:
    reason = "Tilbakemeldinger kan ikke lagres akkurat nå."
    refused: list[dict] = []

    def refuse_once(route) -> None:
        if refused:
            route.continue_()
            return
        refused.append(json.loads(route.request.post_data))
        route.fulfill(status=503, json={"detail": reason})

    ask_on_a_fresh_page(page, live_server, QUESTION)
    page.route(re.compile(r"/api/feedback$"), refuse_once)
    feedback = feedback_of_latest_turn(page)
    up, down = vote_buttons(feedback)
    down.click()
    feedback.get_by_label(re.compile("Hva var galt")).fill("For kort.")

    send = feedback.get_by_role("button", name="Send", exact=True)
    send.click()

    expect(feedback.get_by_role("status")).to_have_text(reason)
    expect(send).to_be_enabled()
    expect(up).to_be_enabled()
    entry = stored(api, posted_vote(page, send.click))
    assert (entry["vote"], entry["comment"]) == ("down", "For kort.")
    assert refused[0]["comment"] == "For kort."
    expect(feedback.get_by_role("status")).to_have_text(THANKS)
    assert not [e for e in page.console.errors if e.startswith("uncaught")]

"""Slack message building, without a network: what a caseworker sees for an answer, a decline
and a document that tries to ping the channel."""

from __future__ import annotations

import json

from bots.slack.blocks import (
    COMMENT_BLOCK,
    COMMENT_INPUT,
    COMMENT_VIEW,
    MAX_BLOCKS,
    NOT_FOUND_INTRO,
    OPEN_IN_BROWSER,
    SHARE,
    VOTE_DOWN,
    VOTE_UP,
    answer_blocks,
    answer_text,
    comment_view,
)
from bots.slack.formatting import TEXT_LIMIT
from index.search import Hit
from ingest.models import Chunk, Document, DocumentMeta
from service.answer import ComposedAnswer
from service.asking import Asked

BASE = "https://refark.kommune.no"


def passage(rank: int, text: str, *, pdf: bool = False, title: str = "PLO-meldinger") -> Hit:
    document = Document(
        doc_id=f"doc{rank}",
        source=f"standarder/doc{rank}.{'pdf' if pdf else 'md'}",
        file_format="pdf" if pdf else "markdown",
        meta=DocumentMeta(title=title, doc_type="standard"),
        blocks=[],
        file_hash="",
    )
    chunk = Chunk(
        chunk_id=f"doc{rank}:0",
        doc_id=f"doc{rank}",
        ordinal=0,
        text=text,
        headings=("4 Meldingstypene", "4.4 Forespørsel"),
        page=5 if pdf else None,
        char_start=0,
        char_end=len(text),
    )
    return Hit(rank, 1 / rank, chunk, document, dense_score=0.9, lexical_score=1.0)


def asked(text: str, hits: list[Hit], *, found: bool = True, typed: str | None = None) -> Asked:
    question = "Hvor lang tid har vi på å svare på en PLO-melding?"
    citations = list(enumerate(hits, start=1))
    return Asked(typed or question, question, hits, ComposedAnswer(text, found, citations), 0.02)


def texts(blocks: list[dict]) -> list[str]:
    found = []
    for block in blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                found.append(element["text"])
    return found


def buttons(blocks: list[dict]) -> dict[str, dict]:
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == 1
    return {e["action_id"]: e for e in actions[0]["elements"]}


def test_an_answer_has_its_markers_a_source_list_and_the_buttons():
    hit = passage(1, "Forespørsler besvares innen fire timer på dagtid.", pdf=True)
    blocks = answer_blocks(asked("Forespørsler besvares innen fire timer. [1]", [hit]), BASE, 7)
    shown = texts(blocks)
    assert shown[0] == "Forespørsler besvares innen fire timer. [1]"
    assert "*Kilder*" in shown
    source = next(t for t in shown if t.startswith("[1]"))
    assert f"<{BASE}/documents/doc1/file#page=5|PLO-meldinger>" in source
    assert "4 Meldingstypene › 4.4 Forespørsel" in source
    assert "s. 5" in source and "Standard" in source
    pressed = buttons(blocks)
    assert pressed[VOTE_UP]["value"] == pressed[VOTE_DOWN]["value"] == "7"
    assert pressed[VOTE_UP]["text"]["text"] == "👍 Nyttig"
    assert pressed[VOTE_DOWN]["text"]["text"] == "👎 Ikke nyttig"
    assert SHARE not in pressed  # only a private answer can be shared
    assert pressed[OPEN_IN_BROWSER]["url"].startswith(f"{BASE}/?q=Hvor+lang+tid")
    assert pressed[OPEN_IN_BROWSER]["url"].endswith("&modus=spor")


def test_a_private_answer_can_be_shared_in_the_channel():
    blocks = answer_blocks(asked("Svar. [1]", [passage(1, "Svar.")]), BASE, 3, shareable=True)
    assert buttons(blocks)[SHARE]["value"] == "3"


def test_a_declined_question_says_so_plainly_and_lists_the_closest_sources():
    hits = [passage(1, "Noe annet."), passage(2, "Også noe annet.", title="HelseID")]
    declined = asked("Jeg fant ikke noe sikkert svar …", hits, found=False)
    shown = texts(answer_blocks(declined, BASE, 1))
    assert shown[0] == NOT_FOUND_INTRO
    assert "*Nærmeste kilder*" in shown
    lines = [line for text in shown for line in text.split("\n")]
    assert any(line.startswith("[2]") and "|HelseID>" in line for line in lines)
    assert answer_text(declined) == NOT_FOUND_INTRO


def test_document_text_cannot_ping_anyone_or_forge_a_link():
    hostile = "Varsle <!channel> og <@U123>, se <https://evil.example|HelseID> & mer."
    blocks = answer_blocks(
        asked(f"{hostile} [1]", [passage(1, hostile, title="<!here> Tittel")]), BASE, 1
    )
    serialized = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in serialized and "<!here>" not in serialized
    assert "<@U123>" not in serialized and "<https://evil" not in serialized
    assert "&lt;!channel&gt;" in texts(blocks)[0] and "&amp; mer" in texts(blocks)[0]
    assert "|&lt;!here&gt; Tittel>" in serialized


def test_a_corrected_or_completed_question_shows_what_was_searched():
    blocks = answer_blocks(
        asked("Svar. [1]", [passage(1, "Svar.")], typed="hvordan fungerr helsid"), BASE, 1
    )
    assert any(t.startswith("Søkte etter «Hvor lang tid") for t in texts(blocks))


def test_long_answers_and_many_sources_stay_within_slacks_limits():
    long_text = ("Kommunen må ha avtale med Norsk helsenett. " * 200).strip()
    hits = [passage(i, "x", title="T" * 400) for i in range(1, 60)]
    blocks = answer_blocks(asked(long_text, hits), BASE, 1)
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(t) <= TEXT_LIMIT for t in texts(blocks))
    assert blocks[-1]["type"] == "actions"
    answer = " ".join(texts(blocks)[: len(long_text) // TEXT_LIMIT + 1])
    assert answer.split() == long_text.split()[: len(answer.split())]


def test_the_down_vote_dialog_carries_its_vote_and_asks_an_optional_comment():
    view = comment_view(42)
    assert view["callback_id"] == COMMENT_VIEW and view["private_metadata"] == "42"
    field = next(b for b in view["blocks"] if b["block_id"] == COMMENT_BLOCK)
    assert field["optional"] is True and field["element"]["action_id"] == COMMENT_INPUT
    assert view["close"]["text"] == "Hopp over"  # closing it keeps the vote


def test_a_filter_that_names_nothing_is_explained_under_the_answer():
    notice = "Ingen dokumenter fra utgiveren «<!here>». Utgivere: «KS»."
    declined = asked("…", [], found=False)
    with_notice = Asked(
        declined.typed, declined.question, [], declined.answer, 0.01, notices=(notice,)
    )
    shown = texts(answer_blocks(with_notice, BASE, 1))
    assert "Ingen dokumenter fra utgiveren «&lt;!here&gt;». Utgivere: «KS»." in shown

"""Slack mrkdwn text: escaping, splitting at the limit, and a message read as a question."""

from __future__ import annotations

from bots.slack.formatting import escape, link, plain_question, split_text


def test_escaping_neutralises_mentions_links_and_entities():
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_a_link_label_is_escaped_and_the_url_cannot_break_out():
    assert link("https://x/a|b>c", "A & <B>") == "<https://x/a%7Cb%3Ec|A &amp; &lt;B&gt;>"


def test_a_message_becomes_the_question_its_writer_typed():
    text = "<@UREFARK>  hva er <https://www.nhn.no|Norsk helsenett> &amp; HelseID?"
    assert plain_question(text) == "hva er Norsk helsenett & HelseID?"
    assert plain_question("<@UREFARK>") == ""


def test_text_is_split_at_breaks_below_the_limit_and_loses_nothing():
    text = "\n\n".join(["ord " * 300] * 5).strip()
    pieces = split_text(text, limit=1000)
    assert all(len(p) <= 1000 for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())


def test_a_hard_cut_never_splits_an_entity():
    pieces = split_text("a" * 8 + "&amp;" + "b" * 10, limit=10)
    assert all(len(p) <= 10 for p in pieces)
    assert any(p.startswith("&amp;") for p in pieces)
    assert "".join(pieces) == "a" * 8 + "&amp;" + "b" * 10

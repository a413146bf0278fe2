"""Text for Slack's mrkdwn: escaping, links, splitting at Slack's limits, and reading a
message's text back as a plain question. Pure functions, no network."""

from __future__ import annotations

import re

TEXT_LIMIT = 3000  # characters in one section block's text

_MENTION = re.compile(r"<[@#!][^>]*>")
_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>|<([^<>|]+)>")


def escape(text: str) -> str:
    """Text from documents and users as Slack shows it literally: `<!channel>` or `<@U123>` in
    a document can never ping anyone, and `&` is not read as an entity."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def link(url: str, label: str) -> str:
    # `|` and `>` end the URL part of a Slack link; our URLs are built percent-encoded, but a
    # document id or anchor must not be able to break out of it either.
    safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{safe_url}|{escape(label)}>"


def plain_question(text: str) -> str:
    """A message as the question its writer typed: mentions (of the bot or anyone) removed,
    Slack's links back to their text, entities decoded, whitespace collapsed."""
    without_mentions = _MENTION.sub(" ", text)
    linked = _LINK.sub(lambda m: m.group(2) or m.group(1) or m.group(3), without_mentions)
    return " ".join(unescape(linked).split())


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at a paragraph, line or word break
    where there is one, and never inside an escaped entity or a link."""
    pieces = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = next(
            (at for sep in ("\n\n", "\n", " ") if (at := window.rfind(sep)) > limit // 2),
            _safe_hard_cut(window),
        )
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _safe_hard_cut(window: str) -> int:
    """A cut in a text without spaces that does not split `&amp;` or `<url|label>`."""
    cut = len(window)
    amp, link_start = window.rfind("&", max(0, cut - 5)), window.rfind("<")
    if amp != -1 and ";" not in window[amp:]:
        cut = amp
    if link_start != -1 and ">" not in window[link_start:] and link_start > 0:
        cut = min(cut, link_start)
    return cut or len(window)

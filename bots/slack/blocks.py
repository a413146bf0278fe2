"""Block Kit for Refark's Slack messages: the answer with its `[n]` markers, the sources it
cites, the vote and share buttons. Pure functions of the answer core's results, no network."""

from __future__ import annotations

from bots.slack.formatting import TEXT_LIMIT, escape, link, split_text
from index.search import Hit
from ingest.models import DOC_TYPE_LABELS
from service.asking import Asked
from service.links import ask_url, hit_url

MAX_BLOCKS = 50
# Button action ids: the listeners route clicks by these.
VOTE_UP = "refark_vote_up"
VOTE_DOWN = "refark_vote_down"
SHARE = "refark_share"
OPEN_IN_BROWSER = "refark_open_in_browser"
# The dialog that asks what was wrong after a 👎, and where its text field sits.
COMMENT_VIEW = "refark_comment"
COMMENT_BLOCK, COMMENT_INPUT = "comment", "text"
MAX_COMMENT_CHARS = 2000

WORKING = "⏳ Leter i dokumentene …"
NOT_FOUND_INTRO = "Jeg fant ikke noe sikkert svar på dette i dokumentene."
CLOSEST_SOURCES = "Nærmeste kilder"
SOURCES = "Kilder"
APOLOGY = "Beklager, noe gikk galt, og jeg fikk ikke svart. Feilen er logget; prøv igjen om litt."
HELP = (
    "Skriv spørsmålet ditt etter kommandoen, for eksempel "
    "`/refark Hvordan sender kommunen PLO-meldinger?`"
)
THANKS = "Takk for tilbakemeldingen! Den hjelper oss å gjøre svarene bedre."


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def source_line(n: int, hit: Hit, base_url: str) -> str:
    """`[n] <link|Title> – section · s. 5 · Standard`, all document text escaped."""
    meta = hit.document.meta
    details = [
        escape(hit.chunk.section) if hit.chunk.section else "",
        f"s. {hit.chunk.page}" if hit.chunk.page else "",
        DOC_TYPE_LABELS.get(meta.doc_type, escape(meta.doc_type)),
    ]
    where = " · ".join(d for d in details if d)
    return f"[{n}] {link(hit_url(base_url, hit), meta.title)}" + (f" – {where}" if where else "")


def _source_blocks(asked: Asked, base_url: str) -> list[dict]:
    """The sources as section blocks, lines packed up to Slack's text limit."""
    blocks, lines = [], []
    heading = SOURCES if asked.answer.found else CLOSEST_SOURCES
    for n, hit in asked.answer.citations:
        line = source_line(n, hit, base_url)
        if lines and len("\n".join([*lines, line])) > TEXT_LIMIT:
            blocks.append(_section("\n".join(lines)))
            lines = []
        lines.append(line[:TEXT_LIMIT])
    if lines:
        blocks.append(_section("\n".join(lines)))
    return [_section(f"*{heading}*"), *blocks] if blocks else []


def _button(text: str, action_id: str, value: str | None = None, url: str | None = None) -> dict:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
    }
    if value is not None:
        button["value"] = value
    if url is not None:
        button["url"] = url
    return button


def answer_blocks(
    asked: Asked,
    base_url: str,
    answer_id: int | None,
    shareable: bool = False,
    shared_by: str | None = None,
) -> list[dict]:
    """The whole answer message. `answer_id` (the stored answer the votes refer to) adds the
    vote buttons; `shareable` adds "Del i kanalen" (an answer only its asker sees);
    `shared_by` is the user id of the one who shared it in the channel."""
    answer = asked.answer
    body = escape(answer.text) if answer.found else NOT_FOUND_INTRO
    blocks = []
    if shared_by is not None:
        blocks.append(_context(f"<@{shared_by}> delte svaret på «{escape(asked.typed)}»"))
    blocks += [_section(piece) for piece in split_text(body)]
    if asked.question != asked.typed:
        blocks.append(_context(f"Søkte etter «{escape(asked.question)}»"))
    blocks += [_context(escape(notice)) for notice in asked.notices]
    sources = _source_blocks(asked, base_url)
    buttons = []
    if answer_id is not None:
        buttons += [
            _button("👍 Nyttig", VOTE_UP, str(answer_id)),
            _button("👎 Ikke nyttig", VOTE_DOWN, str(answer_id)),
        ]
    if shareable and answer_id is not None:
        buttons.append(_button("Del i kanalen", SHARE, str(answer_id)))
    buttons.append(
        _button("Åpne i nettleseren", OPEN_IN_BROWSER, url=ask_url(base_url, asked.typed))
    )
    actions = {"type": "actions", "elements": buttons}
    blocks = blocks[: MAX_BLOCKS - 1]  # the buttons always fit
    return [*blocks, *sources[: MAX_BLOCKS - 1 - len(blocks)], actions]


def answer_text(asked: Asked) -> str:
    """The message's plain `text`: what notifications and screen readers show, and what a
    follow-up in the thread reads back as the previous answer."""
    return escape(asked.answer.text) if asked.answer.found else NOT_FOUND_INTRO


def notice_blocks(text: str) -> list[dict]:
    return [_section(text)]


def comment_view(feedback_id: int) -> dict:
    """The dialog after a 👎: the vote is already stored; the comment is optional."""
    return {
        "type": "modal",
        "callback_id": COMMENT_VIEW,
        "private_metadata": str(feedback_id),
        "title": {"type": "plain_text", "text": "Takk for svaret"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Hopp over"},
        "blocks": [
            {
                "type": "input",
                "block_id": COMMENT_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Hva var galt med svaret?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": COMMENT_INPUT,
                    "multiline": True,
                    "max_length": MAX_COMMENT_CHARS,
                    "placeholder": {
                        "type": "plain_text",
                        "text": "For eksempel: riktig svar står i veilederen om …",
                    },
                },
            }
        ],
    }

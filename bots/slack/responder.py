"""What Refark does in Slack once a request is acknowledged: answer a question in a thread or
privately, share a private answer in the channel, record a vote. Slow work happens here, after
the ack, and every failure ends in a message to the asker, never in silence."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bots.slack.blocks import (
    APOLOGY,
    THANKS,
    WORKING,
    answer_blocks,
    answer_text,
    comment_view,
    notice_blocks,
)
from bots.slack.channels import ChannelScopes
from index.generation import IndexMissing
from service.asking import Asked
from service.engine import Engine
from service.feedback import Feedback, FeedbackStore
from service.queries import InvalidQuery, checked_query
from service.schemas import Turn

logger = logging.getLogger("refark.slack")

WORKING_REACTION = "hourglass_flowing_sand"


@dataclass(frozen=True)
class Responder:
    engine: Callable[[], Engine]  # called per request: in HTTP mode the app opens it at start-up
    feedback: Callable[[], FeedbackStore]
    base_url: str
    scopes: ChannelScopes
    user_key: bytes  # keys the hash that stands in for a Slack user id in the feedback store

    def _ask(self, channel: str, question: str, history: Sequence[Turn] = ()) -> Asked:
        question = checked_query(question, "Spørsmålet er tomt.")
        return self.engine().ask(question, history, self.scopes.filters_for(channel))

    def _remember(self, asked: Asked) -> int:
        chunk_ids = [hit.chunk.chunk_id for _, hit in asked.answer.citations]
        return self.feedback().remember_answer(asked.typed, asked.answer.text, chunk_ids)

    def _failure_text(self, error: Exception) -> str:
        if isinstance(error, InvalidQuery):
            return str(error)
        if isinstance(error, IndexMissing):
            return f"Beklager, jeg kan ikke svare akkurat nå: {error}"
        logger.exception("Slack-svaret feilet", exc_info=error)
        return APOLOGY

    def answer_in_thread(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str,
        message_ts: str,
        question: str,
        history: Sequence[Turn] = (),
    ) -> None:
        """A placeholder in the thread at once, replaced by the answer (or an apology)."""
        self._react(client, channel, message_ts, "reactions_add")
        placeholder = client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=WORKING, blocks=notice_blocks(WORKING)
        )
        try:
            asked = self._ask(channel, question, history)
            answer_id = self._remember(asked)
            text, blocks = answer_text(asked), answer_blocks(asked, self.base_url, answer_id)
        except Exception as error:
            text = self._failure_text(error)
            blocks = notice_blocks(text)
        client.chat_update(channel=channel, ts=placeholder["ts"], text=text, blocks=blocks)
        self._react(client, channel, message_ts, "reactions_remove")

    def _react(self, client: WebClient, channel: str, ts: str, method: str) -> None:
        """The ⏳ on the question is a courtesy: a workspace that has not granted
        reactions:write still gets its answer."""
        try:
            getattr(client, method)(channel=channel, timestamp=ts, name=WORKING_REACTION)
        except SlackApiError as error:
            logger.warning("Kunne ikke endre reaksjon i %s: %s", channel, error)

    def answer_privately(
        self, client: WebClient, channel: str, user: str, question: str, respond: Callable
    ) -> None:
        """The slash command's answer, seen only by the asker, with "Del i kanalen"."""
        try:
            asked = self._ask(channel, question)
            answer_id = self._remember(asked)
            text = answer_text(asked)
            blocks = answer_blocks(asked, self.base_url, answer_id, shareable=True)
        except Exception as error:
            text = self._failure_text(error)
            blocks = notice_blocks(text)
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
        except SlackApiError:
            # Refark is not a member of the channel: the command's response URL still reaches
            # the asker there.
            respond(text=text, blocks=blocks, response_type="ephemeral")

    def share(self, client: WebClient, channel: str, user: str, answer_id: str) -> None:
        """The answer behind a private answer's "Del i kanalen", posted for everyone."""
        remembered = self.feedback().remembered(int(answer_id))
        if remembered is None:
            self._tell(client, channel, user, "Svaret er for gammelt til å deles; spør igjen.")
            return
        try:
            asked = self._ask(channel, remembered.question)
            shared_id = self._remember(asked)
            text = answer_text(asked)
            blocks = answer_blocks(asked, self.base_url, shared_id, shared_by=user)
        except Exception as error:
            self._tell(client, channel, user, self._failure_text(error))
            return
        client.chat_postMessage(channel=channel, text=text, blocks=blocks)

    def vote(
        self,
        client: WebClient,
        channel: str,
        user: str,
        answer_id: str,
        vote: str,
        thread_ts: str | None,
        trigger_id: str | None,
    ) -> None:
        """Store the vote at once; after a 👎, ask in a dialog what was wrong (optional)."""
        remembered = self.feedback().remembered(int(answer_id))
        if remembered is None:
            self._tell(client, channel, user, "Svaret er for gammelt til å stemme på.", thread_ts)
            return
        feedback_id = self.feedback().add(
            Feedback(
                question=remembered.question,
                answer=remembered.answer,
                chunk_ids=remembered.chunk_ids,
                vote=vote,  # type: ignore[arg-type]
                channel="slack",
                user_hash=self.user_hash(user),
                place=channel,
            )
        )
        if vote == "down" and trigger_id:
            try:
                client.views_open(trigger_id=trigger_id, view=comment_view(feedback_id))
                return
            except SlackApiError as error:  # e.g. the trigger expired: the vote is kept
                logger.warning("Kunne ikke åpne kommentarvinduet: %s", error)
        self._tell(client, channel, user, THANKS, thread_ts)

    def comment(self, feedback_id: str, text: str | None) -> None:
        self.feedback().set_comment(int(feedback_id), text)

    def _tell(
        self, client: WebClient, channel: str, user: str, text: str, thread_ts: str | None = None
    ) -> None:
        client.chat_postEphemeral(
            channel=channel,
            user=user,
            text=text,
            **({"thread_ts": thread_ts} if thread_ts else {}),
        )

    def user_hash(self, user: str) -> str:
        """A keyed hash: the store can tell votes of one person apart without holding who it
        is, and Slack user ids (which are not secret) cannot be hashed to find a match."""
        return hmac.new(self.user_key, user.encode(), hashlib.sha256).hexdigest()[:32]

"""HTTP mode: the Slack app on `refark serve`'s FastAPI app at POST /slack/events, on whenever
SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set. Installed through the `refark.front_ends`
entry point, so the service itself knows nothing of Slack."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response

from bots.slack.app import create_slack_app
from service.settings import Settings

logger = logging.getLogger("refark.slack")


def install(app: FastAPI, settings: Settings) -> None:
    if not (settings.slack_signing_secret and settings.slack_bot_token):
        logger.info("Slack er av (SLACK_SIGNING_SECRET og SLACK_BOT_TOKEN er ikke satt).")
        return
    try:
        slack = create_slack_app(
            settings,
            engine=lambda: app.state.engine,
            feedback=lambda: app.state.feedback,
        )
    except Exception as error:  # a wrong token or no route to Slack: the rest still serves
        logger.error("Slack er av: kunne ikke koble til Slack (%s).", error)
        return

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        # bolt verifies the signature (401 for a forged or stale request), acks, and runs the
        # listener on its own threads; dispatch itself blocks, so keep it off the event loop.
        response = await run_in_threadpool(slack.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    logger.info("Slack er på: hendelser tas imot på /slack/events.")

"""Socket Mode (`refark slack`): the Slack app over an outgoing WebSocket, for municipal
networks where Slack cannot reach a public URL of the service.

The `refark` command lists this module among its commands on every call, so it imports the
model and Slack's libraries only when the command runs."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from service.settings import Settings

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from service.engine import Engine
    from service.feedback import FeedbackStore

HELP = "kjør Slack-appen i Socket Mode (uten offentlig adresse)"


def run(args: argparse.Namespace, settings: Settings) -> int:
    missing = [
        name
        for name, value in (
            ("SLACK_BOT_TOKEN", settings.slack_bot_token),
            ("SLACK_APP_TOKEN", settings.slack_app_token),
        )
        if not value
    ]
    if missing:
        print(f"Feil: {' og '.join(missing)} må være satt for `refark slack`.", file=sys.stderr)
        return 2
    from service.engine import Engine
    from service.feedback import FeedbackStore

    slack = handler(settings, Engine(settings), FeedbackStore(settings.feedback_db))
    print("Slack-appen kjører i Socket Mode. Stopp med Ctrl+C.")
    slack.start()
    return 0


def handler(settings: Settings, engine: Engine, feedback: FeedbackStore) -> SocketModeHandler:
    """The app on a Socket Mode connection, not yet connected (`start()` blocks, `connect()`
    returns)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bots.slack.app import create_slack_app

    app = create_slack_app(settings, engine=lambda: engine, feedback=lambda: feedback)
    return SocketModeHandler(app, settings.slack_app_token)

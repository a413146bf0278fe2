"""The app manifest a workspace admin installs asks for what the app uses, and no more."""

from __future__ import annotations

from pathlib import Path

import yaml

import bots.slack

MANIFEST = Path(bots.slack.__file__).parent / "manifest.yaml"


def test_the_manifest_subscribes_to_what_the_listeners_handle():
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {
        "app_mention",
        "message.channels",
        "message.groups",
        "message.im",
        "message.mpim",
    }
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/refark"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "app_mentions:read",
        "channels:history",
        "groups:history",
        "im:history",
        "mpim:history",
        "chat:write",
        "commands",
        "reactions:write",
    }
    urls = {
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        manifest["features"]["slash_commands"][0]["url"],
    }
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")

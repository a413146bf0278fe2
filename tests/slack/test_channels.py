"""Channel scoping: maintainers give channels their own document filters in a YAML file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bots.slack.channels import ChannelScopeError, ChannelScopes, parse_scopes
from index.search import Filters


def test_each_channel_gets_the_filters_of_its_entry():
    scopes = parse_scopes(
        "C1:\n  type: [standard]\nC2:\n  publisher: [KS]\n  year_from: 2020\n", "kanaler.yaml"
    )
    assert scopes["C1"] == Filters(doc_types=("standard",))
    assert scopes["C2"] == Filters(publishers=("KS",), year_from=2020)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("C1: [standard", "ikke gyldig YAML"),
        ("- C1", "kanal-ID-er med filtre"),
        ("C1:\n  typer: [standard]\n", "ukjent filter for C1: typer"),
        ("C1:\n  year_from: tjue\n", "ugyldige filtre for C1"),
        ("C1:\n  type: [standarder]\n", "ukjent dokumenttype for C1: standarder"),
    ],
)
def test_a_broken_file_is_refused_naming_the_fault(text: str, fault: str):
    with pytest.raises(ChannelScopeError, match=fault):
        parse_scopes(text, "kanaler.yaml")


def test_an_edit_takes_effect_without_a_restart_and_a_broken_edit_keeps_the_last_good(
    tmp_path: Path,
):
    path = tmp_path / "kanaler.yaml"
    path.write_text("C1:\n  type: [standard]\n", encoding="utf-8")
    scopes = ChannelScopes(path)
    assert scopes.filters_for("C1") == Filters(doc_types=("standard",))
    assert scopes.filters_for("C9") is None

    path.write_text("C1:\n  type: [veileder]\n", encoding="utf-8")
    os.utime(path, (1, 1))  # a new stamp even within the file system's time resolution
    assert scopes.filters_for("C1") == Filters(doc_types=("veileder",))

    path.write_text("C1:\n  type: [veileder\n", encoding="utf-8")
    os.utime(path, (2, 2))
    assert scopes.filters_for("C1") == Filters(doc_types=("veileder",))


def test_without_a_file_every_channel_searches_everything():
    assert ChannelScopes(None).filters_for("C1") is None

"""The README is the manual: every setting a user can change is in its table."""

from __future__ import annotations

from service.settings import Settings
from tests.conftest import REPO


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    # Slack's settings keep Slack's own variable names (their validation alias).
    names = [
        field.validation_alias or f"REFARK_{name.upper()}"
        for name, field in Settings.model_fields.items()
    ]
    missing = [name for name in names if f"`{name}`" not in readme]
    assert missing == []

"""The README is the manual: every setting a user can change is in its table."""

from __future__ import annotations

from service.settings import Settings
from tests.conftest import REPO


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [
        f"REFARK_{name.upper()}"
        for name in Settings.model_fields
        if f"`REFARK_{name.upper()}`" not in readme
    ]
    assert missing == []

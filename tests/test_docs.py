"""The README documents every setting and every URL the app has."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from blog.settings import declared

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    settings = (Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", settings, flags=re.MULTILINE))
    assert {f.name for f, _ in declared()} == documented


def test_every_url_is_documented(app: Flask) -> None:
    rules = {re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", r.rule) for r in app.url_map.iter_rules()}
    rules = {r.replace("<filename>", "<path>").replace("<number>", "<n>") for r in rules}
    missing = [rule for rule in rules if f"`{rule}`" not in README]
    assert missing == []


def test_readme_gives_the_two_commands() -> None:
    assert "make serve" in README and "make test" in README

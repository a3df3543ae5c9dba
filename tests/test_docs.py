"""The docs keep up with the code: every setting, URL, command and package is documented where
a reader looks for it, and every link between the docs leads somewhere.

The README is the way in (what the site is, the two commands, the map); the settings are in
docs/settings.md (generated from blog/settings.py: tests/test_config.py keeps the two equal),
URLs and the site's workings in docs/operators.md, the editors' commands in docs/editors.md,
`freeze` in docs/deploy.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from flask import Flask

from blog.editor.cli import check_main, content, freeze_command
from blog.settings import declared

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SETTINGS = (ROOT / "docs" / "settings.md").read_text()
OPERATORS = (ROOT / "docs" / "operators.md").read_text()
EDITORS = (ROOT / "docs" / "editors.md").read_text()
DEPLOY = (ROOT / "docs" / "deploy.md").read_text()
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
# A table row whose first cell is one setting-like name in backticks.
SETTING_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]+)` \|", re.MULTILINE)


def section(text: str, heading: str) -> str:
    """The text under a ``## heading``, up to the next heading of that level."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no section '## {heading}'"
    return match.group(1)


def table_rows(text: str, header: str) -> list[list[str]]:
    """The cells of each row of the table with this header row."""
    lines = text.splitlines()
    start = lines.index(header) + 2  # past the header and the |---| line
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def test_every_setting_is_documented() -> None:
    documented = set(SETTING_ROW.findall(SETTINGS))
    assert {f.name for f, _ in declared()} == documented


def test_settings_are_documented_in_one_place() -> None:
    names = {f.name for f, _ in declared()}
    for doc in DOCS:
        if doc.name != "settings.md":
            assert not set(SETTING_ROW.findall(doc.read_text())) & names, doc.name


def test_every_gunicorn_variable_is_documented() -> None:
    used = set(re.findall(r"GUNICORN_[A-Z_]+", (ROOT / "gunicorn.conf.py").read_text()))
    rows = table_rows(section(OPERATORS, "Settings"), "| variable | default | meaning |")
    assert all(len(row) == 3 and all(row) for row in rows), rows
    assert {row[0].strip("`") for row in rows} == used


def test_every_url_is_documented(app: Flask) -> None:
    # <slug>, <int:number>, <int(fixed_digits=4):year> are all written <name> in the docs.
    variable = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")
    rules = {variable.sub(r"<\1>", r.rule) for r in app.url_map.iter_rules()}
    rules = {r.replace("<filename>", "<path>").replace("<number>", "<n>") for r in rules}
    urls = section(OPERATORS, "URLs")
    missing = [rule for rule in rules if f"`{rule}`" not in urls]
    assert missing == []


def _documented_command(doc: str, usage: str, command: click.Command) -> None:
    """A table row starting with the command's usage, naming each of its options."""
    rows = [line for line in doc.splitlines() if line.startswith(f"| `{usage}")]
    assert len(rows) == 1, usage
    options = [o for p in command.params if isinstance(p, click.Option) for o in p.opts]
    assert [o for o in options if o not in rows[0]] == [], usage


@pytest.mark.parametrize("name", sorted(content.commands))
def test_every_content_command_is_documented_for_editors(name: str) -> None:
    _documented_command(EDITORS, f"content {name}", content.commands[name])


def test_freeze_is_documented_for_operators() -> None:
    _documented_command(DEPLOY, "freeze", freeze_command)


def test_courier_check_is_documented_for_content_repositories() -> None:
    repositories = section(OPERATORS, "The check in a content repository")
    assert "id: courier-check" in repositories
    options = [o for p in check_main.params if isinstance(p, click.Option) for o in p.opts]
    assert [o for o in options if o not in repositories] == []


def test_readme_gives_the_two_commands() -> None:
    commands = section(README, "Two commands")
    assert "make serve" in commands and "make test" in commands


def test_readme_maps_every_package_and_top_level_folder() -> None:
    mapped = {row[0].strip("`") for row in table_rows(section(README, "Map"), "| path | holds |")}
    packages = {f"blog/{p.parent.name}/" for p in (ROOT / "blog").glob("*/__init__.py")}
    folders = {
        f"{p.name}/"
        for p in ROOT.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and p.name not in ("blog", "node_modules", "build", "dist", "__pycache__")
        and not p.name.endswith(".egg-info")
    }
    assert packages and folders
    modules = {
        "app.py",
        "gunicorn.conf.py",
        "blog/__init__.py",
        "blog/factory.py",
        "blog/settings.py",
        "blog/paths.py",
    }
    assert packages | folders | modules <= mapped


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_links_between_the_docs_lead_somewhere(doc: Path) -> None:
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text())
    local = [t for t in targets if not re.match(r"^[a-z]+:", t)]
    missing = [t for t in local if not (doc.parent / t).exists()]
    assert missing == [], doc.name

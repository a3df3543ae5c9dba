"""The editors' tools without traps, as a new editor meets them: a new article is a draft with
every field to fill, the check says everything about a file in one run and once, YAML errors
name their fix, folded sections follow one rule, the list reads as a table, previews say what
they need and show that they are not published."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from flask import Flask

from blog.content.models import ArticleError, parse_article
from tests.articles import Content, article_text
from tests.html import elements, parse, text_of
from tests.live import ROOT


def cli(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["content", *args])


def findings(app: Flask, *paths: str) -> list[str]:
    return cli(app, "check", *paths).stdout.splitlines()[:-1]  # the summary aside


def test_a_new_article_is_a_draft_with_every_field_to_fill(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    app = make_app()
    result = cli(app, "new", "Night Ferries Return")
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    meta = yaml.safe_load(path.read_text().split("---")[1])
    assert meta["draft"] is True
    for key in ("author", "featuredimage", "featuredimage_alt", "short-description", "mk1"):
        assert key in meta, key
    assert "draft: true" in result.stderr  # says how to publish it
    client = make_app().test_client()
    assert client.get("/news/night-ferries-return/").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert "Night Ferries Return" not in home  # not the lead story, not anywhere


def test_the_check_reports_every_problem_of_a_file_in_one_run(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    content.write(
        "four.md",
        "---\ntitle: Four Mistakes\ndate: tomorrow morning\ndeals: perhaps\n"
        "tags:\n  - #Storm\npriority: high\n---\nBody.\n",
    )
    lines = findings(make_app())
    assert [line.split(": ")[2] for line in lines] == ["date", "deals", "tags", "priority"]
    assert [int(line.split(":")[1]) for line in lines] == [3, 4, 6, 7]


def test_a_parse_error_carries_the_files_other_problems() -> None:
    text = "---\ntitle: T\ndate: 2025-01-01T00:00:00Z\ndraft: maybe\nbreaking: often\n---\nBody.\n"
    with pytest.raises(ArticleError) as caught:
        parse_article("a.md", text.encode(), "h", dt.UTC)
    assert [(p.line, p.field) for p in caught.value.problems] == [(4, "draft"), (5, "breaking")]


def test_a_colon_in_the_title_says_to_put_it_in_quotes(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    content.write("a.md", article_text(title="Breaking: Storm Hits the Harbour"))
    [line] = findings(make_app())
    assert line.startswith("a.md:2: error: title: ")
    assert 'put the whole title in quotes: title: "Breaking: Storm Hits the Harbour"' in line


def test_an_unclosed_quote_is_found_behind_another_error(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    content.write(
        "a.md",
        '---\ntitle: Breaking: Storm\ndate: 2025-01-01T10:00:00Z\nshort-description: "Open\n'
        "---\nBody.\n",
    )
    lines = findings(make_app())
    assert [line.split(": ")[0] for line in lines] == ["a.md:2", "a.md:4"]
    assert "quotes" in lines[0]
    assert 'short-description: a quote (") opened here is never closed' in lines[1]


def test_the_check_prints_each_problem_once_and_nothing_on_stderr(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "bad.md").write_text(article_text(front="deals: perhaps"))
    env = {**os.environ, "FLASK_CONTENT_DIR": str(folder), "FLASK_STORE_DIR": "off"}
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "content", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stdout.count("perhaps") == 1, done.stdout
    assert "perhaps" not in done.stderr, done.stderr


def test_checking_one_file_outside_the_content_folder_shows_only_that_file(
    tmp_path: Path, make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "good.md").write_text(article_text())
    (elsewhere / "broken.md").write_text("---\ntitle: [\n---\n")
    app = make_app()
    caplog.clear()
    result = cli(app, "check", str(elsewhere / "good.md"))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 file checked: 0 errors, 0 warnings, 0 notes"
    assert "broken.md" not in caplog.text


@pytest.mark.parametrize(
    ("section", "line", "message"),
    [
        ("### A Heading\n  Text under it.", 6, "folded into the heading above it"),
        ("### A Heading\n  * a list", 6, "folded into the one before it"),
        ("Intro.\n  ### A Heading", 6, "folded into the one before it"),
        ("Intro.\n\n  * a list", 7, "a list straight after a paragraph"),
        ("First.\n\n  Second.", 7, "runs into the one above it"),
    ],
)
def test_every_folding_finding_gives_the_one_rule(
    content: Content, make_app: Callable[..., Flask], section: str, line: int, message: str
) -> None:
    content.write("a.md", article_text(front=f"mk1: >-\n  {section}"))
    [found] = findings(make_app())
    assert found.startswith(f"a.md:{line}: warning: mk1: ")
    assert message in found
    assert "two blank lines" in found


def test_a_heading_that_swallows_its_text_is_real(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    """The trap is real: the text becomes part of the heading."""
    content.write(
        "2025-06-01-a.md", article_text(front="mk1: >-\n  ### A Heading\n  Text under it.")
    )
    page = parse(make_app().test_client().get("/news/a/").data)
    headings = [text_of(h) for h in elements(page, "h2")]
    assert "A Heading Text under it." in headings


def test_the_docs_and_readme_give_the_same_rule() -> None:
    guide = (ROOT / "docs" / "editors.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for text in (guide, readme):
        assert "two blank lines" in text
        assert "leave a blank line" not in text


def test_the_list_is_a_table_newest_first(content: Content, make_app: Callable[..., Flask]) -> None:
    content.write("old.md", article_text(title="Old", date="2024-01-01T00:00:00Z"))
    content.write("new.md", article_text(title="New", date="2025-06-01T00:00:00Z"))
    content.write("mid.md", article_text(title="Mid", date="2025-01-01T00:00:00Z"))
    lines = cli(make_app(), "list").output.splitlines()
    assert lines[0].split("\t") == ["state", "date", "slug", "file", "title"]
    assert [line.split("\t")[4] for line in lines[1:]] == ["New", "Mid", "Old"]


def test_the_list_as_json(content: Content, make_app: Callable[..., Flask]) -> None:
    content.write("new.md", article_text(title="New", date="2025-06-01T08:30:00Z"))
    content.write("broken.md", "---\ntitle: [\n---\n")
    rows = json.loads(cli(make_app(), "list", "--format", "json").output)
    assert rows[0] == {
        "state": "published",
        "date": "2025-06-01T08:30:00Z",
        "slug": "new",
        "file": "new.md",
        "title": "New",
    }
    assert rows[1]["state"] == "broken" and rows[1]["file"] == "broken.md"


def test_a_preview_needs_the_sites_address(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    content.write("draft.md", article_text(front="draft: true"))
    result = cli(make_app(SECRET_KEY="s" * 32), "preview", str(content.root / "draft.md"))
    assert result.exit_code != 0
    assert "SITE_URL" in result.output
    assert "127.0.0.1" not in result.output


def test_a_preview_page_says_it_is_not_published(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    content.write("draft.md", article_text(title="Draft Story", front="draft: true"))
    app = make_app(SECRET_KEY="s" * 32, SITE_URL="https://news.example")
    link = cli(app, "preview", str(content.root / "draft.md")).stdout.strip()
    page = parse(app.test_client().get(link.removeprefix("https://news.example")).data)
    banners = [text_of(p) for p in elements(page, "p") if p.get("class") == "preview-banner"]
    assert banners == ["Preview — not published"]
    published = parse(app.test_client().get("/").data)
    assert not [p for p in elements(published, "p") if p.get("class") == "preview-banner"]

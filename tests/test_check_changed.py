"""``check --changed``: the files git says differ from HEAD or a given commit, or are new,
checked as the whole check checks them; in a real repository whose content folder is a
subfolder, as a newsroom's is."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask

from tests.articles import Content, article_text

GOOD = article_text(front="categoria: Business")
ZONELESS = article_text(date="2025-06-02 09:00:00", front="categoria: Business")
BROKEN = article_text(title='""', front="categoria: Business")


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.fixture
def repository(content: Content) -> Path:
    """The content folder's parent as a checkout: three good articles and a profile,
    committed."""
    top = content.root.parent
    for name in ("2025-01-01-one.md", "2025-01-02-two.md", "2025-01-03-three.md"):
        content.write(name, GOOD)
    content.profile("ada", front="name: Ada")
    git(top, "init", "-q", "-b", "main")
    git(top, "config", "user.email", "desk@example.org")
    git(top, "config", "user.name", "Desk")
    (top / "notes.md").write_text("outside the content folder\n")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "First articles")
    return top


def check(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["content", "check", *args])


def named(result: Result) -> set[str]:
    """The files the findings name."""
    return {line.split(":", 1)[0] for line in result.output.splitlines() if ".md:" in line}


def test_changed_checks_what_differs_from_head_staged_or_not_and_new_files(
    make_app: Callable[..., Flask], content: Content, repository: Path
) -> None:
    content.write("2025-01-02-two.md", ZONELESS)  # changed, not staged
    content.write("2025-01-03-three.md", BROKEN)
    git(repository, "add", "content/2025-01-03-three.md")  # changed, staged
    content.write("2025-01-04-four.md", GOOD)  # new
    (content.root / "2025-01-01-one.md").unlink()  # deleted: nothing to check
    (repository / "notes.md").write_text("changed, but not content\n")
    app = make_app()

    result = check(app, "--changed")

    assert result.exit_code == 1  # the broken title
    assert result.output.splitlines()[-1].startswith("3 files checked: 1 errors, 1 warnings")
    assert {"2025-01-02-two.md", "2025-01-03-three.md"} <= named(result)
    assert "2025-01-01-one.md" not in result.output
    whole = check(app).output.splitlines()
    for line in result.output.splitlines()[:-1]:
        assert line in whole  # the same findings as the whole check's, word for word


def test_changed_against_a_commit_takes_every_change_since_it(
    make_app: Callable[..., Flask], content: Content, repository: Path
) -> None:
    first = git(repository, "rev-parse", "HEAD")
    content.write("2025-01-02-two.md", ZONELESS)
    git(repository, "commit", "-q", "-am", "A date without its zone")
    app = make_app()

    since_first = check(app, "--changed", first)
    since_head = check(app, "--changed")

    assert named(since_first) == {"2025-01-02-two.md"}
    assert "1 files checked" in since_first.output or "1 file checked" in since_first.output
    assert since_head.exit_code == 0
    assert since_head.output.splitlines()[-1].startswith("0 files checked")


def test_changed_takes_a_profile_and_stays_within_the_paths_given(
    make_app: Callable[..., Flask], content: Content, repository: Path
) -> None:
    content.write("2025-01-02-two.md", ZONELESS)
    content.profile("ada", front="name: Ada Lovelace")
    app = make_app()

    everything = check(app, "--changed")
    only_profiles = check(app, "--changed", "HEAD", str(content.root / "authors"))

    assert everything.output.splitlines()[-1].startswith("2 files checked")
    assert only_profiles.output.splitlines()[-1].startswith("1 file checked")
    assert "2025-01-02-two.md" not in only_profiles.output


def test_changed_outside_a_checkout_or_with_an_unknown_commit_says_why(
    make_app: Callable[..., Flask], content: Content, repository: Path, tmp_path: Path
) -> None:
    app = make_app()
    unknown = check(app, "--changed", "no-such-commit")
    (repository / ".git").rename(tmp_path / "moved.git")
    outside = check(app, "--changed")

    assert unknown.exit_code != 0
    assert "--changed no-such-commit:" in unknown.output
    assert "no-such-commit" in unknown.output.splitlines()[-1]
    assert outside.exit_code != 0
    assert "not a git repository" in outside.output

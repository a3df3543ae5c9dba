"""Push to publish, with real git: a bare remote, an editor's clone, and the site's clone."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import blog.content.git
from blog import get_library
from tests.articles import article_text
from tests.html import elements, parse, text_of

SECRET = "hook-secret"


class Repo:
    """A git working copy driven by the git command line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str, when: str = "2025-05-05T10:00:00Z") -> str:
        env = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            env={**_git_env(), **env},
            check=True,
        )
        return done.stdout

    def commit(self, name: str, text: str, when: str = "2025-05-05T10:00:00Z") -> None:
        (self.path / name).write_text(text)
        self.git("add", name, when=when)
        self.git("commit", "-q", "-m", f"write {name}", when=when)

    def push(self) -> None:
        self.git("push", "-q", "origin", "main")


def _git_env() -> dict[str, str]:
    import os

    return {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ed Itor",
        "GIT_AUTHOR_EMAIL": "ed@example.org",
        "GIT_COMMITTER_NAME": "Ed Itor",
        "GIT_COMMITTER_EMAIL": "ed@example.org",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
    }


@pytest.fixture
def repos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Repo, Repo]:
    """(editor's clone, site's clone) of one bare remote, with one article published."""
    for key, value in _git_env().items():
        monkeypatch.setenv(key, value)
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "main", str(tmp_path / "remote.git")], check=True
    )
    subprocess.run(
        ["git", "clone", "-q", str(tmp_path / "remote.git"), str(tmp_path / "editor")],
        check=True,
        capture_output=True,
    )
    editor = Repo(tmp_path / "editor")
    editor.git("checkout", "-q", "-b", "main")
    editor.commit(
        "2025-05-01-first.md", article_text(title="First Story", date="2025-05-01T08:00:00Z")
    )
    editor.push()
    subprocess.run(
        ["git", "clone", "-q", str(tmp_path / "remote.git"), str(tmp_path / "site")], check=True
    )
    return editor, Repo(tmp_path / "site")


@pytest.fixture
def site(repos: tuple[Repo, Repo], make_app: Callable[..., Flask]) -> Flask:
    return make_app(CONTENT_DIR=str(repos[1].path), WEBHOOK_SECRET=SECRET)


def hook(client: FlaskClient, secret: str = SECRET, header: str = "X-Hub-Signature-256"):
    body = json.dumps({"ref": "refs/heads/main"}).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    value = f"sha256={digest}" if header == "X-Hub-Signature-256" else digest
    return client.post(
        "/-/hooks/git", data=body, headers={header: value}, content_type="application/json"
    )


def headline(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return text_of(elements(parse(response.data), "h1")[0])


@pytest.mark.parametrize("header", ["X-Hub-Signature-256", "X-Gitea-Signature"])
def test_push_then_hook_publishes(repos: tuple[Repo, Repo], site: Flask, header: str) -> None:
    editor, _ = repos
    client = site.test_client()
    assert client.get("/news/second/").status_code == 404
    editor.commit(
        "2025-05-02-second.md", article_text(title="Second Story", date="2025-05-02T08:00:00Z")
    )
    editor.push()
    response = hook(client, header=header)
    assert response.status_code == 200, response.json
    assert response.json["ok"] is True
    assert headline(client, "/news/second/") == "Second Story"


def test_wrong_or_missing_signature_runs_nothing(repos: tuple[Repo, Repo], site: Flask) -> None:
    editor, site_repo = repos
    editor.commit("2025-05-02-second.md", article_text(title="Second Story"))
    editor.push()
    before = site_repo.git("rev-parse", "HEAD")
    client = site.test_client()
    assert hook(client, secret="wrong").status_code == 401
    assert client.post("/-/hooks/git", data=b"{}").status_code == 401
    assert site_repo.git("rev-parse", "HEAD") == before
    assert client.get("/news/second/").status_code == 404


def test_hook_is_off_without_a_secret(
    repos: tuple[Repo, Repo], make_app: Callable[..., Flask]
) -> None:
    client = make_app(CONTENT_DIR=str(repos[1].path)).test_client()
    assert hook(client).status_code == 404
    assert client.get("/-/hooks/git").status_code == 405  # POST only, secret or not


def test_pushed_broken_file_keeps_the_last_good_version_and_fails_the_check(
    repos: tuple[Repo, Repo], site: Flask
) -> None:
    editor, _ = repos
    client = site.test_client()
    assert headline(client, "/news/first/") == "First Story"
    editor.commit("2025-05-01-first.md", "---\ntitle: First Story, broken\ntags: [oops\n---\n")
    editor.push()
    assert hook(client).status_code == 200
    assert headline(client, "/news/first/") == "First Story"
    check = site.test_cli_runner().invoke(args=["content", "check"])
    assert check.exit_code == 1
    assert "2025-05-01-first.md:3: error: file: YAML syntax error" in check.output


def test_failed_pull_is_reported_and_the_site_keeps_serving(
    repos: tuple[Repo, Repo], site: Flask
) -> None:
    editor, site_repo = repos
    site_repo.commit("local.md", article_text(title="Local Change"))  # the clones diverge
    editor.commit("2025-05-03-third.md", article_text(title="Third"))
    editor.push()
    client = site.test_client()
    response = hook(client)
    assert response.status_code == 502
    assert response.json["ok"] is False and response.json["output"]
    assert headline(client, "/news/first/") == "First Story"
    assert client.get("/news/third/").status_code == 404


def test_pull_command(repos: tuple[Repo, Repo], site: Flask) -> None:
    editor, _ = repos
    editor.commit("2025-05-02-second.md", article_text(title="Second Story"))
    editor.push()
    result = site.test_cli_runner().invoke(args=["content", "pull"])
    assert result.exit_code == 0, result.output
    assert headline(site.test_client(), "/news/second/") == "Second Story"


def test_last_commit_time_is_the_modified_time(repos: tuple[Repo, Repo], site: Flask) -> None:
    editor, _ = repos
    editor.commit(
        "2025-05-01-first.md",
        article_text(title="First Story, corrected", date="2025-05-01T08:00:00Z"),
        when="2025-05-07T16:30:00Z",
    )
    editor.commit(
        "2025-05-02-pinned.md",
        article_text(
            title="Pinned", date="2025-05-02T08:00:00Z", front="updated: 2025-05-03T00:00:00Z"
        ),
        when="2025-05-08T00:00:00Z",
    )
    editor.push()
    client = site.test_client()
    assert hook(client).status_code == 200
    index = get_library(site).index()
    assert index.by_slug["first"].modified == dt.datetime(2025, 5, 7, 16, 30, tzinfo=dt.UTC)
    assert index.by_slug["pinned"].modified == dt.datetime(2025, 5, 3, tzinfo=dt.UTC)
    times = [t.get("datetime") for t in elements(parse(client.get("/news/first/").data), "time")]
    assert "2025-05-07T16:30:00+00:00" in times
    assert client.get("/news/first/").headers["Last-Modified"] == "Wed, 07 May 2025 16:30:00 GMT"


def test_git_log_runs_once_per_change_not_per_request(
    repos: tuple[Repo, Repo], site: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor, _ = repos
    calls: list[tuple[str, ...]] = []
    real = blog.content.git._git
    monkeypatch.setattr(
        blog.content.git,
        "_git",
        lambda root, *args, **kw: calls.append(args) or real(root, *args, **kw),
    )
    client = site.test_client()
    for _ in range(5):
        client.get("/")
    assert [c for c in calls if c[0] == "log"] == []
    editor.commit("2025-05-02-second.md", article_text(title="Second"))
    editor.commit("2025-05-03-third.md", article_text(title="Third"))
    editor.push()
    assert hook(client).status_code == 200
    for _ in range(5):
        client.get("/")
    logs = [c for c in calls if c[0] == "log"]
    assert len(logs) == 1 and ".." in logs[0][-1]  # only the commits since the last HEAD


def test_content_folder_inside_another_repository_uses_no_git_times(
    repos: tuple[Repo, Repo], make_app: Callable[..., Flask]
) -> None:
    editor, _ = repos
    (editor.path / "sub").mkdir()
    editor.commit(
        "sub/2025-05-02-x.md",
        article_text(title="X", date="2025-05-02T08:00:00Z"),
        when="2025-06-01T00:00:00Z",
    )
    app = make_app(CONTENT_DIR=str(editor.path / "sub"))
    assert get_library(app).index().by_slug["x"].committed is None

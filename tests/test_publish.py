"""Push to publish, with real git: a bare remote, an editor's clone, and the site's clone."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import blog.content.git
from blog import get_library
from blog.web.webhook import SIGNATURE_HEADERS, TOKEN_HEADER, get_puller
from tests.articles import article_text
from tests.html import elements, parse, text_of
from tests.live import all_workers, fetch, gunicorn

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
    if header == "X-Gitlab-Token":  # GitLab signs nothing: it sends the secret
        value = secret
    return client.post(
        "/-/hooks/git", data=body, headers={header: value}, content_type="application/json"
    )


def settled(app: Flask) -> None:
    """Wait for the webhook's background pulls (and the refresh after each) to finish."""
    assert get_puller(app).wait(timeout=60), "the pulls did not finish"


def headline(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return text_of(elements(parse(response.data), "h1")[0])


@pytest.mark.parametrize("header", ["X-Hub-Signature-256", "X-Gitea-Signature", "X-Gitlab-Token"])
def test_push_then_hook_publishes(repos: tuple[Repo, Repo], site: Flask, header: str) -> None:
    editor, _ = repos
    client = site.test_client()
    assert client.get("/news/second/").status_code == 404
    editor.commit(
        "2025-05-02-second.md", article_text(title="Second Story", date="2025-05-02T08:00:00Z")
    )
    editor.push()
    response = hook(client, header=header)
    assert response.status_code == 202, response.json
    assert response.json["ok"] is True
    settled(site)
    assert headline(client, "/news/second/") == "Second Story"


def test_wrong_or_missing_signature_runs_nothing(repos: tuple[Repo, Repo], site: Flask) -> None:
    editor, site_repo = repos
    editor.commit("2025-05-02-second.md", article_text(title="Second Story"))
    editor.push()
    before = site_repo.git("rev-parse", "HEAD")
    client = site.test_client()
    assert hook(client, secret="wrong").status_code == 401
    assert hook(client, secret="wrong", header="X-Gitlab-Token").status_code == 401
    assert hook(client, secret=SECRET[:-1], header="X-Gitlab-Token").status_code == 401
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
    assert hook(client).status_code == 202
    settled(site)
    assert headline(client, "/news/first/") == "First Story"
    check = site.test_cli_runner().invoke(args=["content", "check"])
    assert check.exit_code == 1
    assert "2025-05-01-first.md:3: error: tags: YAML syntax error" in check.output


def test_failed_pull_is_logged_reported_and_the_site_keeps_serving(
    repos: tuple[Repo, Repo], site: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    editor, site_repo = repos
    site_repo.commit("local.md", article_text(title="Local Change"))  # the clones diverge
    editor.commit("2025-05-03-third.md", article_text(title="Third"))
    editor.push()
    client = site.test_client()
    assert hook(client).status_code == 202
    settled(site)
    assert any("git pull" in r.message and "failed" in r.message for r in caplog.records)
    again = hook(client)  # the next delivery reports how the last pull went
    assert again.json["last_pull"]["ok"] is False and again.json["last_pull"]["output"]
    settled(site)
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
    assert hook(client).status_code == 202
    settled(site)
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
    assert hook(client).status_code == 202
    settled(site)
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


# Many deliveries at once: gunicorn's workers are processes, and two `git pull`s in one
# checkout fail on git's own locks (`cannot lock ref`, `index.lock` exists).


def origin_head(editor: Repo) -> str:
    return editor.git("rev-parse", "origin/main").strip()


def blocked_pulls(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, list[float]]:
    """Make every ``git pull`` wait for the returned event; the list gets one entry a pull."""
    release = threading.Event()
    pulls: list[float] = []
    real = blog.content.git._git

    def git(root: Path, *args: str, **kw: Any) -> blog.content.git.GitResult:
        if args[0] == "pull":
            pulls.append(time.monotonic())
            release.wait(timeout=30)
        return real(root, *args, **kw)

    monkeypatch.setattr(blog.content.git, "_git", git)
    return release, pulls


def eventually(condition: Callable[[], bool], timeout: float = 10) -> bool:
    """Whether ``condition`` holds within ``timeout`` seconds (another thread makes it so)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def deliver_in_threads(site: Flask, count: int, timeout: float) -> list[int | None]:
    """``count`` deliveries at once, each from a thread of its own; their statuses (None for
    one still unanswered after ``timeout`` seconds)."""
    statuses: list[int | None] = [None] * count

    def one(i: int) -> None:
        statuses[i] = hook(site.test_client()).status_code

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return statuses


def test_a_delivery_is_answered_without_waiting_for_git(
    repos: tuple[Repo, Repo], site: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    release, pulls = blocked_pulls(monkeypatch)
    try:
        assert deliver_in_threads(site, 1, timeout=5) == [202]
        assert eventually(lambda: len(pulls) == 1)  # the pull started, and waits for git
    finally:
        release.set()
    settled(site)


def test_deliveries_during_a_pull_coalesce_into_one_more_pull(
    repos: tuple[Repo, Repo], site: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor, site_repo = repos
    release, pulls = blocked_pulls(monkeypatch)
    try:
        assert deliver_in_threads(site, 1, timeout=5) == [202]
        assert eventually(lambda: len(pulls) == 1)
        editor.commit("2025-05-02-second.md", article_text(title="Second Story"))
        editor.push()  # announced while a pull runs
        assert deliver_in_threads(site, 20, timeout=10) == [202] * 20
    finally:
        release.set()
    settled(site)
    assert len(pulls) == 2
    assert site_repo.git("rev-parse", "HEAD") == editor.git("rev-parse", "HEAD")
    assert headline(site.test_client(), "/news/second/") == "Second Story"


def test_many_deliveries_at_once_all_publish(repos: tuple[Repo, Repo], site: Flask) -> None:
    editor, site_repo = repos
    editor.commit("2025-05-02-second.md", article_text(title="Second Story"))
    editor.push()
    assert deliver_in_threads(site, 30, timeout=30) == [202] * 30
    settled(site)
    assert site_repo.git("rev-parse", "HEAD") == editor.git("rev-parse", "HEAD")
    assert headline(site.test_client(), "/news/second/") == "Second Story"


def test_replayed_delivery_pulls_again_harmlessly(repos: tuple[Repo, Repo], site: Flask) -> None:
    editor, site_repo = repos
    editor.commit("2025-05-02-second.md", article_text(title="Second Story"))
    editor.push()
    client = site.test_client()
    for _ in range(3):  # the same signed body, delivered again by the git host or anyone
        assert hook(client).status_code == 202
        settled(site)
        last = get_puller(site).last
        assert last is not None and last.ok, last
    assert site_repo.git("rev-parse", "HEAD") == editor.git("rev-parse", "HEAD")
    assert headline(client, "/news/second/") == "Second Story"


def test_a_pull_waits_while_another_process_pulls(repos: tuple[Repo, Repo], site: Flask) -> None:
    editor, site_repo = repos
    before = site_repo.git("rev-parse", "HEAD")
    editor.commit("2025-05-02-second.md", article_text(title="Second Story"))
    editor.push()
    lock = site_repo.path / ".git" / blog.content.git.PULL_LOCK
    holder = subprocess.Popen(  # another process of the host, in the middle of its pull
        [
            sys.executable,
            "-c",
            "import fcntl, sys\n"
            f"held = open({str(lock)!r}, 'ab'); fcntl.flock(held, fcntl.LOCK_EX)\n"
            "print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert hook(site.test_client()).status_code == 202
        assert not get_puller(site).wait(timeout=1)
        assert site_repo.git("rev-parse", "HEAD") == before
    finally:
        holder.communicate("")  # the other process finishes, and lets go of the lock
    settled(site)
    assert site_repo.git("rev-parse", "HEAD") == editor.git("rev-parse", "HEAD")
    assert headline(site.test_client(), "/news/second/") == "Second Story"


@pytest.mark.server
def test_concurrent_deliveries_to_two_gunicorn_workers_all_publish(
    repos: tuple[Repo, Repo],
) -> None:
    editor, site_repo = repos
    body = json.dumps({"ref": "refs/heads/main"}).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()

    def deliver(base: str) -> int:
        request = urllib.request.Request(
            base + "/-/hooks/git",
            data=body,
            headers={"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return int(response.status)
        except urllib.error.HTTPError as e:
            return e.code

    with gunicorn(site_repo.path, WEBHOOK_SECRET=SECRET, STORE_DIR="off") as base:
        assert len(all_workers(base)) == 2
        statuses: list[int] = []
        for n in (2, 3):  # a push, then its deliveries all at once: twice
            editor.commit(f"2025-05-0{n}-story-{n}.md", article_text(title=f"Story {n}"))
            editor.push()
            with ThreadPoolExecutor(max_workers=20) as pool:
                statuses += pool.map(lambda _: deliver(base), range(20))
        assert statuses == [202] * 40
        deadline = time.monotonic() + 60
        while site_repo.git("rev-parse", "HEAD") != editor.git("rev-parse", "HEAD"):
            assert time.monotonic() < deadline, "the checkout never reached origin's HEAD"
            time.sleep(0.2)
        # git moves HEAD a moment before the worker's refresh: soon, ten answers in a row
        # (from both workers) serve the new article
        served = 0
        while served < 10:
            assert time.monotonic() < deadline, "the new article was never served"
            status, _, page = fetch(base + "/news/story-3/")
            served = served + 1 if status == 200 else 0
            if status == 200:
                assert text_of(elements(parse(page), "h1")[0]) == "Story 3"
            else:
                time.sleep(0.1)


ODD_SIGNATURES = [
    "sha256=é",
    "ü" * 64,
    "sha256=" + "0" * 63 + "é",
    "\u2028",
    "sha256=" + "f" * 100_000,
    "sha256=",
    "=?utf-8?q?=C3=A9?=",
]


@pytest.mark.parametrize("header", [*SIGNATURE_HEADERS, TOKEN_HEADER])
def test_odd_or_non_ascii_signature_is_refused(
    repos: tuple[Repo, Repo], site: Flask, header: str
) -> None:
    editor, site_repo = repos
    editor.commit("2025-05-02-second.md", article_text(title="Second Story"))
    editor.push()
    before = site_repo.git("rev-parse", "HEAD")
    client = site.test_client()
    for signature in ODD_SIGNATURES:  # one checkout for them all: none may pull
        response = client.post(
            "/-/hooks/git", data=b"{}", headers={header: signature}, content_type="application/json"
        )
        assert response.status_code == 401, signature[:20]
        settled(site)
        assert get_puller(site).last is None, signature[:20]
        assert site_repo.git("rev-parse", "HEAD") == before, signature[:20]


def test_git_itself_holds_the_pull_lock(repos: tuple[Repo, Repo], site: Flask) -> None:
    """So a pull outlives, still locked, a worker stopped in the middle of it."""
    editor, site_repo = repos
    editor.commit("2025-05-02-second.md", article_text(title="Second Story"))
    editor.push()
    hooks = site_repo.path / ".git" / "hooks"
    seen = site_repo.path.parent / "seen-by-git"
    (hooks / "post-merge").write_text(  # runs inside `git pull`, after its merge
        f"#!/bin/sh\nls -l /proc/$PPID/fd > {seen}\n"
    )
    (hooks / "post-merge").chmod(0o755)
    assert hook(site.test_client()).status_code == 202
    settled(site)
    assert blog.content.git.PULL_LOCK in seen.read_text()

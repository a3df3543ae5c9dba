"""Faults: the content folder missing or moved away, a file written in two halves, a worker
killed under load. The site keeps answering, serves the last good content, logs once."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

import blog.content.watch
from blog import get_library
from tests.articles import Content, article_text
from tests.live import all_workers, gunicorn


@pytest.fixture(params=["inotify", "scan"])
def watch_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "scan":
        monkeypatch.setattr(blog.content.watch, "INotify", None)
    return request.param


def test_a_missing_folder_at_start_serves_an_empty_site_then_the_articles(
    tmp_path: Path, make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "not-yet"
    with caplog.at_level(logging.ERROR, logger="blog"):
        app = make_app(CONTENT_DIR=str(folder))
        client = app.test_client()
        for _ in range(5):
            assert client.get("/").status_code == 200
    assert caplog.text.count("unreadable") == 1  # once, not per request
    folder.mkdir()
    (folder / "first.md").write_text(article_text(title="First Light"))
    assert b"First Light" in client.get("/").data


def test_a_folder_moved_away_keeps_the_last_good_content(
    content: Content,
    make_app: Callable[..., Flask],
    watch_mode: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    content.article("2025-01-02-quay.md", title="The Quay")
    app = make_app()
    client = app.test_client()
    assert b"The Quay" in client.get("/news/quay/").data
    moved = content.root.with_name("moved-away")
    with caplog.at_level(logging.WARNING, logger="blog"):
        content.root.rename(moved)
        for _ in range(3):
            assert b"The Quay" in client.get("/news/quay/").data
            assert b"The Quay" in client.get("/").data
        moved.rename(content.root)
        (content.root / "2025-01-03-new.md").write_text(article_text(title="Back Again"))
        get_library(app).refresh()
        assert b"Back Again" in client.get("/").data
    assert caplog.text.count("unreadable") == 1
    assert "readable again" in caplog.text


def test_a_file_written_in_two_halves_serves_the_old_then_the_new(
    content: Content, make_app: Callable[..., Flask], watch_mode: str
) -> None:
    path = content.article("2025-01-02-quay.md", title="Old Headline", body="Old body.")
    client = make_app().test_client()
    assert b"Old Headline" in client.get("/news/quay/").data
    whole = article_text(title="New Headline", body="New body. " * 200).encode()
    cut = whole.index(b"date:")  # mid front matter: the first half is not an article
    with path.open("wb") as file:  # an editor's tool writing in place, not by rename
        file.write(whole[:cut])
        file.flush()
        os.fsync(file.fileno())
        half = client.get("/news/quay/")
        assert half.status_code == 200 and b"Old Headline" in half.data
        file.write(whole[cut:])
    assert b"New Headline" in client.get("/news/quay/").data


@pytest.mark.server
def test_a_worker_killed_under_load_costs_no_error_page(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    for n in range(30):
        (content / f"s{n}.md").write_text(article_text(title=f"Story {n}"))
    statuses: list[int] = []
    stop = threading.Event()

    def load(base: str) -> None:
        while not stop.is_set():
            for path in ("/", "/news/s7/", "/feed.xml", "/search?q=story"):
                try:
                    with urllib.request.urlopen(base + path, timeout=10) as response:
                        statuses.append(response.status)
                except urllib.error.HTTPError as e:
                    statuses.append(e.code)
                except OSError:
                    statuses.append(0)  # the killed worker's own connection: dropped

    with gunicorn(content) as base:
        pids_before = all_workers(base)
        assert len(pids_before) == 2, pids_before
        threads = [threading.Thread(target=load, args=(base,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        os.kill(pids_before[0], signal.SIGKILL)
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join()
        after = [urllib.request.urlopen(base + "/", timeout=10).status for _ in range(20)]
        pids_after = all_workers(base)  # the arbiter replaces it within its loop
    assert not any(status >= 500 for status in statuses), sorted(set(statuses))
    assert statuses.count(200) > 100
    assert statuses.count(0) <= 8  # only what the killed worker was serving
    assert after == [200] * 20
    assert len(pids_after) == len(pids_before) and pids_before[0] not in pids_after


def test_a_folder_swapped_for_another_is_followed(
    content: Content, make_app: Callable[..., Flask], watch_mode: str
) -> None:
    """A deploy that moves the old folder away and a new one into place."""
    content.article("2025-01-02-quay.md", title="The Quay")
    client = make_app().test_client()
    assert b"The Quay" in client.get("/").data
    fresh = content.root.with_name("fresh")
    fresh.mkdir()
    (fresh / "2025-01-05-harbour.md").write_text(article_text(title="Harbour Reborn"))
    content.root.rename(content.root.with_name("old"))
    fresh.rename(content.root)
    client.get("/")
    page = client.get("/").data
    assert b"Harbour Reborn" in page and b"The Quay" not in page
    (content.root / "2025-01-06-later.md").write_text(article_text(title="Later Edit"))
    assert b"Later Edit" in client.get("/").data

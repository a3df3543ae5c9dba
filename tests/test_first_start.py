"""Starting with a big archive: a first start reads in bulk and answers before its
background filling ends (and says so), a restart reads its state back in one piece, and any
doubt about that state reads the folder instead."""

from __future__ import annotations

import logging
import os
import pickle
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

import blog.content.bulk
import blog.content.library
import blog.content.reading
import blog.content.snapshot
import blog.search.engine
from blog import get_library
from blog.content.index import Index
from blog.web.state import get_search
from tests.articles import Content
from tests.test_index_update import summary

STORIES = 14


def write_archive(content: Content) -> None:
    """A small archive with every kind of file a big one has: sections, a broken file, a
    draft, a scheduled article, a slug clash, an alias, a front-page flag, authors."""
    for n in range(STORIES):
        section = f"mk1: >-\n  ### Part {n}\n\n\n  Words of the ferry story number {n}.\n"
        content.article(
            f"2025-06-{n + 1:02d}-story-{n}.md",
            title=f"Ferry story {n}",
            date=f"2025-06-{n + 1:02d}T08:00:00Z",
            front=f"categoria: {'Business' if n % 2 else 'Sport'}\n"
            f'tags:\n  - "#Harbour #T{n % 3}"\nauthor: Mira Okonjo\n{section}',
            body=f"The ferry body {n}.",
        )
    content.write("broken.md", "---\ntitle: [\n---\n")
    content.article("draft.md", title="A draft", front="draft: true")
    content.article("later.md", title="Later", date="2027-01-01T00:00:00Z")
    content.article("clash.md", title="Clash", front="slug: story-1")
    content.article("moved.md", title="Moved", front="aliases:\n  - /old/moved")
    content.article("lead.md", title="Lead", front="featured: true\npriority: 2")


@pytest.fixture
def in_bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    """First starts of this small archive read it in bulk, in several chunks."""
    monkeypatch.setattr(blog.content.bulk, "BULK_FROM", 5)
    monkeypatch.setattr(blog.content.bulk, "CHUNK", 4)


@pytest.fixture
def stored(content: Content, make_app: Callable[..., Flask], tmp_path: Path):
    write_archive(content)

    def make(**config: object) -> Flask:
        return make_app(STORE_DIR=str(tmp_path / "store"), **config)

    return make


def spy_parsing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = blog.content.reading.parse_article
    monkeypatch.setattr(
        blog.content.reading,
        "parse_article",
        lambda path, *a: parsed.append(path) or real(path, *a),
    )
    return parsed


def index_of(app: Flask) -> Index:
    return get_library(app).index()


def test_a_first_start_in_bulk_indexes_what_reading_file_by_file_does(
    content: Content, make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_archive(content)
    one_by_one = summary(index_of(make_app()))
    monkeypatch.setattr(blog.content.bulk, "BULK_FROM", 5)
    monkeypatch.setattr(blog.content.bulk, "CHUNK", 4)
    app = make_app()
    assert summary(index_of(app)) == one_by_one
    assert "broken.md" in index_of(app).errors
    page = app.test_client().get("/news/story-3/")
    assert "Words of the ferry story number 3." in page.get_data(as_text=True)


@pytest.fixture
def held_search(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Search builds in the background, and waits there until the event is set."""
    release = threading.Event()
    real = blog.search.engine._rows
    monkeypatch.setattr(blog.search.engine, "INLINE", 0)
    monkeypatch.setattr(blog.search.engine, "_rows", lambda *a: release.wait(30) and real(*a))
    yield release
    release.set()


def test_a_first_start_answers_before_its_background_filling_ends_and_says_so(
    stored: Callable[..., Flask], in_bulk: None, held_search: threading.Event
) -> None:
    app = stored()
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert home.index(">Ferry story 13<") < home.index(">Ferry story 12<")  # newest first
    category = client.get("/category/sport/").get_data(as_text=True)
    assert "Ferry story 12" in category and "Ferry story 11" not in category
    searching = client.get("/search?q=ferry")
    assert "still being built" in searching.get_data(as_text=True)
    assert searching.headers["Cache-Control"] == "no-store"
    assert client.get("/-/ready").status_code == 503
    assert client.get("/-/health").status_code == 200
    held_search.set()
    worker = get_search(app).engine._worker
    assert worker is not None
    worker.join(timeout=30)
    ready = client.get("/-/ready")
    assert (ready.status_code, ready.json["unsearchable"]) == (200, 0)
    found = client.get("/search?q=ferry").get_data(as_text=True)
    assert "still being built" not in found and "14 articles found" in found


def test_readiness_and_liveness_are_kept_by_no_cache(app: Flask) -> None:
    client = app.test_client()
    for url in ("/-/health", "/-/ready"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/-/health").json["alive"] is True


def test_a_restart_reads_no_file_and_serves_what_it_served(
    stored: Callable[..., Flask], in_bulk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = summary(index_of(stored()))
    parsed = spy_parsing(monkeypatch)
    after = summary(index_of(stored()))
    assert after == before
    assert parsed == ["broken.md"]  # a broken file is read again at every start


def test_a_restart_serves_a_file_changed_while_the_site_was_down(
    content: Content,
    stored: Callable[..., Flask],
    in_bulk: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored()
    content.article(
        "2025-06-04-story-3.md",
        title="Ferry story 3, corrected",
        date="2025-06-04T08:00:00Z",
        body="The corrected body.",
    )
    (content.root / "2025-06-06-story-5.md").unlink()
    parsed = spy_parsing(monkeypatch)
    app = stored()
    assert sorted(parsed) == ["2025-06-04-story-3.md", "broken.md"]
    page = app.test_client().get("/news/story-3/").get_data(as_text=True)
    assert "Ferry story 3, corrected" in page and "The corrected body." in page
    assert app.test_client().get("/news/story-5/").status_code == 404


@pytest.mark.parametrize("doubt", ["another index code", "other settings", "damaged", "garbled"])
def test_any_doubt_about_the_kept_state_reads_the_folder(
    stored: Callable[..., Flask],
    doubt: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = summary(index_of(stored()))
    store = get_library(stored()).store
    if doubt == "another index code":
        monkeypatch.setattr(blog.content.snapshot, "KEY", "a-newer-format")
    elif doubt == "damaged":
        with store.transaction() as db:
            db.execute("UPDATE snapshot SET data = substr(data, 1, length(data) / 2)")
    elif doubt == "garbled":  # whole, by its checksum, but not the state: a pickled None
        garbled = pickle.dumps(None)
        with store.transaction() as db:
            db.execute("UPDATE snapshot SET data = ?, checksum = ?", (garbled, zlib.crc32(garbled)))
    parsed = spy_parsing(monkeypatch)
    config = {"FEATURED_HOURS": 24.0} if doubt == "other settings" else {}
    with caplog.at_level(logging.WARNING, logger="blog"):
        app = stored(**config)
    assert len(parsed) == STORIES + 6  # every file read again
    if doubt == "other settings":
        assert summary(index_of(app))["articles"] == before["articles"]
    else:
        assert summary(index_of(app)) == before
    if doubt in ("damaged", "garbled"):
        assert "snapshot" in caplog.text


def test_a_first_start_parses_here_only_the_files_its_bulk_read_found_broken(
    stored: Callable[..., Flask], in_bulk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = spy_parsing(monkeypatch)  # in this process: the bulk read's are elsewhere
    app = stored()
    assert parsed == ["broken.md"]  # read again here, to report its error
    assert "broken.md" in index_of(app).errors
    assert len(index_of(app).articles) == STORIES + 3  # the draft and the later one apart


def test_a_file_changed_while_a_first_start_reads_it_is_served_after_the_next_look(
    content: Content, stored: Callable[..., Flask], in_bulk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = blog.content.bulk.light_article

    def read_then_edit(path: str, *args: object) -> object:
        article = real(path, *args)  # type: ignore[arg-type]
        if path == "2025-06-04-story-3.md":  # an editor saves just after the read
            content.article(path, title="Ferry story 3, corrected", date="2025-06-04T08:00:00Z")
        return article

    monkeypatch.setattr(blog.content.bulk, "light_article", read_then_edit)
    app = stored()
    get_library(app).refresh()
    page = app.test_client().get("/news/story-3/").get_data(as_text=True)
    assert "Ferry story 3, corrected" in page


def test_a_first_start_whose_reading_child_dies_reads_the_folder_itself(
    content: Content,
    stored: Callable[..., Flask],
    make_app: Callable[..., Flask],
    in_bulk: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(blog.content.bulk, "BULK_FROM", 10**6)
    one_by_one = summary(index_of(make_app()))
    monkeypatch.setattr(blog.content.bulk, "BULK_FROM", 5)
    monkeypatch.setattr(
        blog.content.library.Library, "_bulk_child", lambda self, sending: os._exit(3)
    )
    with caplog.at_level(logging.WARNING, logger="blog"):
        app = stored()
    assert "failed; reading here" in caplog.text
    assert summary(index_of(app)) == one_by_one

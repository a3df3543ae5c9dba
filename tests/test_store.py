"""The on-disk store: texts by content hash out of memory, last good versions kept, and a
restart that reads only the files that changed."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

import blog.content.library
import blog.content.reading
from blog import get_library
from blog.content.store import Store
from tests.articles import Content, article_text


@pytest.fixture
def stored_app(content: Content, make_app: Callable[..., Flask], tmp_path: Path):
    folder = tmp_path / "store"

    def make(**config: object) -> Flask:
        return make_app(STORE_DIR=str(folder), **config)

    for n in range(5):
        content.article(f"s{n}.md", title=f"Story {n}", body=f"Body of story {n}.")
    return make, folder


def spy_parsing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = blog.content.reading.parse_article
    monkeypatch.setattr(
        blog.content.reading,
        "parse_article",
        lambda path, *a: parsed.append(path) or real(path, *a),
    )
    return parsed


def test_restart_reads_only_changed_files(
    content: Content, stored_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, folder = stored_app
    first = get_library(make()).index()
    assert list(folder.glob("*.sqlite3"))
    parsed = spy_parsing(monkeypatch)
    content.article("s3.md", title="Story 3, edited")
    second = get_library(make()).index()
    assert parsed == ["s3.md"]
    assert second.by_slug["s3"].title == "Story 3, edited"
    assert [a.title for a in second.articles if a.slug != "s3"] == [
        a.title for a in first.articles if a.slug != "s3"
    ]


def test_edits_while_running_are_remembered_for_the_next_start(
    content: Content, stored_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, _ = stored_app
    library = get_library(make())
    content.article("s1.md", title="Story 1, edited")
    (content.root / "s2.md").unlink()
    library.refresh()
    parsed = spy_parsing(monkeypatch)
    restarted = get_library(make()).index()
    assert parsed == []
    assert restarted.by_slug["s1"].title == "Story 1, edited"
    assert "s2" not in restarted.by_slug


def test_articles_in_memory_carry_no_text_and_pages_still_have_it(
    stored_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, _ = stored_app
    app = make()
    article = get_library(app).index().by_slug["s2"]
    assert article.has_text is False and article.body == ""
    with pytest.raises(LookupError):
        _ = article.markdown
    parsed = spy_parsing(monkeypatch)
    page = app.test_client().get("/news/s2/")
    assert "Body of story 2." in page.get_data(as_text=True)
    assert parsed == []  # from the store, not from the file


def test_a_broken_file_keeps_its_last_good_text_across_a_restart(
    content: Content, stored_app
) -> None:
    make, _ = stored_app
    make()
    content.write("s4.md", "---\ntitle: [\n---\nHalf an edit.\n")
    app = make()
    page = app.test_client().get("/news/s4/")
    assert page.status_code == 200
    assert "Body of story 4." in page.get_data(as_text=True)
    assert "s4.md" in get_library(app).index().errors


def test_a_text_missing_from_the_store_is_read_from_its_unchanged_file(
    stored_app, caplog: pytest.LogCaptureFixture
) -> None:
    make, _ = stored_app
    app = make()
    library = get_library(app)
    library.store.prune([], older_than=-1)
    page = app.test_client().get("/news/s1/")
    assert "Body of story 1." in page.get_data(as_text=True)
    assert library.store.parts(library.index().by_slug["s1"].source_hash) is not None


def test_a_text_gone_from_store_and_file_is_logged_not_a_500(
    content: Content, stored_app, caplog: pytest.LogCaptureFixture
) -> None:
    make, _ = stored_app
    app = make()
    library = get_library(app)
    library.store.prune([], older_than=-1)
    content.write("s1.md", "---\ntitle: [\n---\n")  # broken: the last good version stays
    library.refresh()
    with caplog.at_level(logging.ERROR, logger="blog"):
        page = app.test_client().get("/news/s1/")
    assert page.status_code == 200
    assert "Story 1" in page.get_data(as_text=True)
    assert "text of this version lost" in caplog.text


def test_prune_keeps_recent_and_used_texts() -> None:
    store = Store.temporary()
    store.put([("used", [("body", "a")]), ("unused", [("body", "b")])])
    assert store.prune(["used"]) == 0  # stored just now: another process may need it
    assert store.prune(["used"], older_than=-1) == 1
    assert store.parts("used") == [("body", "a")] and store.parts("unused") is None


def test_a_store_for_another_time_zone_is_not_used(
    stored_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, _ = stored_app
    make()
    parsed = spy_parsing(monkeypatch)
    make(SITE_TIMEZONE="Europe/Madrid")
    assert len(parsed) == 5


def test_a_store_folder_others_can_write_is_not_used(
    stored_app, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    make, folder = stored_app
    make()
    folder.chmod(0o777)
    parsed = spy_parsing(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="blog"):
        app = make()
    assert len(parsed) == 5
    assert not get_library(app).store.path.is_relative_to(folder)
    assert "writable by others" in caplog.text


def test_a_damaged_store_costs_only_time(
    stored_app, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    make, folder = stored_app
    make()
    for path in folder.glob("*.sqlite3*"):
        path.write_bytes(b"this is not a database" * 100)
    parsed = spy_parsing(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="blog"):
        app = make()
    assert len(parsed) == 5 and len(get_library(app).index().articles) == 5
    assert "damaged" in caplog.text
    assert get_library(app).store.path.is_relative_to(folder)  # started again in place


def test_a_store_of_another_parser_is_removed_after_a_day(stored_app) -> None:
    make, folder = stored_app
    app = make()
    name = get_library(app).store.path.name.split("-")[0]
    old, recent = folder / f"{name}-0000.sqlite3", folder / f"{name}-1111.sqlite3"
    old.write_bytes(b"")
    recent.write_bytes(b"")
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    make()
    assert not old.exists() and recent.exists()


def test_broken_files_without_a_good_version_are_read_at_every_start(
    content: Content, stored_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, _ = stored_app
    content.write("bad.md", "---\ntitle: [\n---\n")
    make()
    parsed = spy_parsing(monkeypatch)
    make()
    assert parsed == ["bad.md"]


def test_off_keeps_nothing_after_the_store_is_gone(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    content.write("x.md", article_text())
    library = get_library(make_app(STORE_DIR="off"))
    folder = library.store.path.parent
    assert folder.is_dir()
    store = library.store
    del library, store
    import gc

    gc.collect()
    assert not folder.exists()


def test_a_store_locked_by_another_process_is_left_alone(
    stored_app, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sqlite3

    import blog.content.store

    make, folder = stored_app
    path = get_library(make()).store.path
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process, in the middle of a long write
    monkeypatch.setattr(blog.content.store, "BUSY_TIMEOUT", 0.2)
    try:
        with caplog.at_level(logging.WARNING, logger="blog"):
            app = make()
        assert len(get_library(app).index().articles) == 5
        assert not get_library(app).store.path.is_relative_to(folder)  # a temporary one
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert path.exists() and "using a temporary one" in caplog.text
    assert get_library(make()).store.path == path  # and the next start uses it again


def test_a_page_whose_text_is_lost_is_kept_by_no_cache(content: Content, stored_app) -> None:
    make, _ = stored_app
    app = make()
    library = get_library(app)
    library.store.prune([], older_than=-1)
    content.write("s1.md", "---\ntitle: [\n---\n")  # broken: the last good version stays
    library.refresh()
    page = app.test_client().get("/news/s1/")
    assert "Story 1" in page.get_data(as_text=True)
    assert "no-store" in page.headers["Cache-Control"]

"""A store that fails (a corrupt file, a file deleted or replaced by a folder while the site
runs) never costs a reader an article's text: pages come from the files, search says it is
unavailable, the log says so once, and everything recovers when the store does."""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blog import get_library
from tests.articles import Content


def corrupt(path: Path) -> None:
    """The store's files overwritten with garbage, as a failing disk leaves them."""
    for part in path.parent.glob(f"{path.name}*"):
        part.write_bytes(b"\x13 not a database \x37" * 512)


def truncate(path: Path) -> None:
    """The store's file cut to nothing, its log and index gone (a disk that filled up)."""
    delete(path)
    path.write_bytes(b"")


def delete(path: Path) -> None:
    """The store's files deleted (a clean-up of the temporary folder, say)."""
    for part in path.parent.glob(f"{path.name}*"):
        part.unlink()


def replace_by_folder(path: Path) -> None:
    """The store's file replaced by a folder: it can be neither read nor written."""
    delete(path)
    path.mkdir()


BREAKS = [corrupt, truncate, delete, replace_by_folder]


@pytest.fixture
def site(content: Content, make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    for n in range(3):
        content.article(f"s{n}.md", title=f"Story {n}", body=f"Body of story {n}.")
    return make_app(STORE_DIR=str(tmp_path / "store"))


def get(client: FlaskClient, url: str) -> TestResponse:
    """``url`` answered by a thread of its own, as a threaded server answers each request
    (each thread opens its own connection to the store)."""
    answers: list[TestResponse | BaseException] = []

    def answer() -> None:
        try:
            answers.append(client.get(url))
        except BaseException as e:  # raised in the test's thread instead
            answers.append(e)

    thread = threading.Thread(target=answer)
    thread.start()
    thread.join()
    if isinstance(answers[0], BaseException):
        raise answers[0]
    return answers[0]


def body_of(client: FlaskClient, url: str) -> str:
    response = get(client, url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("damage", BREAKS)
def test_an_edit_is_served_whole_while_the_store_is_broken(
    content: Content, site: Flask, damage: Callable[[Path], None]
) -> None:
    client = site.test_client()
    assert "Body of story 1." in body_of(client, "/news/s1/")
    damage(get_library(site).store.path)
    content.article("s1.md", title="Story 1", body="The corrected body of story 1.")
    assert "The corrected body of story 1." in body_of(client, "/news/s1/")


@pytest.mark.parametrize("damage", BREAKS)
def test_a_new_article_is_served_whole_while_the_store_is_broken(
    content: Content, site: Flask, damage: Callable[[Path], None]
) -> None:
    client = site.test_client()
    damage(get_library(site).store.path)
    content.article("s7.md", title="Story 7", body="Body of the new story 7.")
    assert "Body of the new story 7." in body_of(client, "/news/s7/")


@pytest.mark.parametrize("damage", BREAKS)
def test_untouched_articles_are_served_whole_while_the_store_is_broken(
    site: Flask, damage: Callable[[Path], None]
) -> None:
    damage(get_library(site).store.path)
    client = site.test_client()
    for n in range(3):
        assert f"Body of story {n}." in body_of(client, f"/news/s{n}/")


def test_search_on_a_store_that_cannot_be_opened_says_so_uncached(
    content: Content, site: Flask
) -> None:
    client = site.test_client()
    replace_by_folder(get_library(site).store.path)
    content.article("s1.md", title="Story 1", body="A lighthouse in story 1.")
    for _ in range(2):
        response = get(client, "/search?q=lighthouse")
        assert response.status_code == 503
        assert "no-store" in response.headers["Cache-Control"]
        assert "Search is unavailable" in response.get_data(as_text=True)


@pytest.mark.parametrize("damage", [corrupt, truncate, delete])
def test_search_finds_an_edit_in_a_store_started_again(
    content: Content, site: Flask, damage: Callable[[Path], None]
) -> None:
    client = site.test_client()
    assert get(client, "/search?q=story").status_code == 200
    damage(get_library(site).store.path)
    content.article("s1.md", title="Story 1", body="A lighthouse in story 1.")
    response = get(client, "/search?q=lighthouse")
    assert response.status_code == 200
    assert "/news/s1/" in response.get_data(as_text=True)


def test_a_store_failure_is_logged_once(
    content: Content, site: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = site.test_client()
    replace_by_folder(get_library(site).store.path)
    with caplog.at_level(logging.ERROR, logger="blog"):
        for n in range(3):
            content.article("s1.md", title="Story 1", body=f"Edit {n} of story 1.")
            assert f"Edit {n} of story 1." in body_of(client, "/news/s1/")
            body_of(client, f"/news/s{n}/")
    store_messages = [r for r in caplog.records if "store" in r.getMessage()]
    assert len(store_messages) == 1, caplog.text


def test_everything_recovers_when_the_store_is_fine_again(content: Content, site: Flask) -> None:
    library = get_library(site)
    client = site.test_client()
    path = library.store.path
    replace_by_folder(path)
    content.article("s1.md", title="Story 1", body="A lighthouse in story 1.")
    assert "A lighthouse in story 1." in body_of(client, "/news/s1/")
    assert get(client, "/search?q=lighthouse").status_code == 503
    shutil.rmtree(path)  # the disk is fine again
    assert "A lighthouse in story 1." in body_of(client, "/news/s1/")
    results = get(client, "/search?q=lighthouse")
    assert results.status_code == 200 and "/news/s1/" in results.get_data(as_text=True)
    library.refresh()  # the texts that could not be written are written now
    edited = library.index().by_slug["s1"]
    assert library.store.parts(edited.source_hash) is not None
    assert path.is_file()


def test_a_store_damaged_past_its_first_page_costs_a_start_only_time(
    content: Content, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    for n in range(40):
        content.article(f"s{n}.md", title=f"Story {n}", body=f"Body of story {n}. " * 200)
    folder = tmp_path / "store"
    path = get_library(make_app(STORE_DIR=str(folder))).store.path
    with path.open("r+b") as file:  # the header and the schema intact, the rows not
        file.seek(4096 * 3)
        file.write(b"\xff" * 4096 * 8)
    app = make_app(STORE_DIR=str(folder))
    client = app.test_client()
    for n in (0, 39):
        assert f"Body of story {n}." in body_of(client, f"/news/s{n}/")
    library = get_library(app)
    assert library.store.parts(library.index().by_slug["s39"].source_hash) is not None


def test_the_end_of_a_store_failure_is_logged_once(
    content: Content, site: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    library = get_library(site)
    client = site.test_client()
    path = library.store.path
    aside = path.with_name("aside")
    with caplog.at_level(logging.WARNING, logger="blog"):
        path.rename(aside)  # the file, all its texts in it, out of reach for a while
        path.mkdir()
        assert get(client, "/search?q=story").status_code == 503  # nothing to write
        path.rmdir()
        aside.rename(path)
        for _ in range(3):
            library.refresh()
            assert get(client, "/search?q=story").status_code == 200
    assert caplog.text.count("failing") == 1
    assert caplog.text.count("works again") == 1

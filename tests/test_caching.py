"""Response cache and HTTP caching: validators, 304s, lifetimes, keys that follow content."""

from __future__ import annotations

import datetime as dt
import logging
import socket

import pytest
from flask import Flask
from flask.testing import FlaskClient

import blog.web.pages
from blog.web.state import get_html
from tests.articles import Content
from tests.conftest import FIXED_NOW

PAGES = [
    "/",
    "/news/story/",
    "/category/business/",
    "/tag/economy/",
    "/categories/",
    "/tags/",
    "/deals/",
]


@pytest.fixture
def story(content: Content) -> Content:
    content.article(
        "2025-01-01-story.md",
        title="Story",
        date="2025-01-01T09:00:00Z",
        front=(
            'categoria: Business\ntags:\n  - "#Economy"\ndeals: Yes\nupdated: 2025-01-02T10:30:00Z'
        ),
    )
    return content


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_validators_and_a_lifetime(
    story: Content, client: FlaskClient, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Last-Modified"] == "Thu, 02 Jan 2025 10:30:00 GMT"
    assert response.headers["Cache-Control"] in ("public, max-age=60", "max-age=60, public")


@pytest.mark.parametrize("url", PAGES)
def test_matching_etag_gets_304(story: Content, client: FlaskClient, url: str) -> None:
    etag = client.get(url).headers["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.data == b""
    assert response.headers["ETag"] == etag


def test_matching_last_modified_gets_304(story: Content, client: FlaskClient) -> None:
    last_modified = client.get("/news/story/").headers["Last-Modified"]
    assert (
        client.get("/news/story/", headers={"If-Modified-Since": last_modified}).status_code == 304
    )
    older = "Wed, 01 Jan 2025 00:00:00 GMT"
    assert client.get("/news/story/", headers={"If-Modified-Since": older}).status_code == 200


def test_stale_etag_gets_the_page(story: Content, client: FlaskClient) -> None:
    response = client.get("/news/story/", headers={"If-None-Match": '"not-this-one"'})
    assert response.status_code == 200 and b"Story" in response.data


def test_edit_changes_etag_and_page(story: Content, client: FlaskClient) -> None:
    first = client.get("/news/story/")
    story.article(
        "2025-01-01-story.md",
        title="Story, corrected",
        date="2025-01-01T09:00:00Z",
        front="categoria: Business",
    )
    second = client.get("/news/story/", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert b"Story, corrected" in second.data
    assert second.headers["ETag"] != first.headers["ETag"]


def test_pages_are_rendered_once_until_what_they_show_changes(
    story: Content, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[str] = []
    real = blog.web.pages.render_template
    monkeypatch.setattr(
        blog.web.pages,
        "render_template",
        lambda name, **ctx: renders.append(name) or real(name, **ctx),
    )
    story.article("before.md", title="Before", date="2024-06-01T00:00:00Z")  # its neighbour
    for _ in range(3):
        assert client.get("/news/story/").status_code == 200
    assert renders == ["article.html"]
    story.article("other.md", title="Another", date="2024-01-01T00:00:00Z")  # not shown
    assert client.get("/news/story/").status_code == 200
    assert renders == ["article.html"]
    story.article("other.md", title="Another", date="2025-01-02T00:00:00Z")  # its neighbour
    assert client.get("/news/story/").status_code == 200
    assert renders == ["article.html", "article.html"]


def test_article_html_is_rendered_once_per_file_version(
    story: Content, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = get_html(app).renderer
    calls: list[object] = []
    real = renderer.html_of_parts
    monkeypatch.setattr(renderer, "html_of_parts", lambda parts: calls.append(parts) or real(parts))
    client = app.test_client()
    client.get("/news/story/")
    story.article("other.md", title="Another")  # new version of the site, same story file
    client.get("/news/story/")
    assert len(calls) == 1


def test_max_age_is_a_setting(story: Content, make_app) -> None:
    response = make_app(HTTP_MAX_AGE=300).test_client().get("/")
    assert response.cache_control.max_age == 300


def test_max_age_never_runs_past_the_next_publication(story: Content, make_app) -> None:
    at = FIXED_NOW + dt.timedelta(seconds=25)
    story.article("soon.md", title="Soon", date=at.isoformat())
    client = make_app().test_client()
    for url in ("/", "/news/story/", "/nope/"):
        assert client.get(url).cache_control.max_age == 25, url


def test_not_found_is_not_cached_as_a_page(story: Content, client: FlaskClient) -> None:
    assert client.get("/news/later/").status_code == 404
    story.article("later.md", title="Later")
    assert client.get("/news/later/").status_code == 200


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cache_outage_degrades_to_uncached(
    story: Content, make_app, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="blog"):
        for _ in range(3):
            response = client.get("/news/story/")
            assert response.status_code == 200 and b"Story" in response.data
    assert caplog.text.count("response cache unavailable") == 1


def test_an_edit_replaces_a_page_in_the_in_process_cache_rather_than_adding_one(
    content: Content, client: FlaskClient
) -> None:
    content.article("2025-01-02-quay.md", title="The Quay")
    for url in ("/", "/news/quay/", "/feed.xml", "/tags/"):
        client.get(url)
    backend = client.application.extensions["blog.page_cache"].cache.cache
    assert len(backend._cache) == 4
    for n in range(3):
        content.article("2025-01-02-quay.md", title=f"The Quay, edited {n}")
        for url in ("/", "/news/quay/", "/feed.xml", "/tags/"):
            assert f"edited {n}".encode() in client.get(url).data or url == "/tags/"
    assert len(backend._cache) == 4  # one entry per URL, whatever the edits: memory stays flat

"""The fast lane: cached pages answered before Flask, byte for byte as Flask answers them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import flask
import pytest
from flask import Flask
from werkzeug.test import Client

from tests.articles import Content, article_text

URLS = ["/", "/news/quay/", "/category/harbour/", "/tag/ferries/", "/feed.xml", "/sitemap.xml"]


@pytest.fixture
def site(content: Content, app: Flask) -> Flask:
    content.write(
        "2025-01-02-quay.md",
        article_text(
            title="The Quay Reopens",
            front='categoria: Harbour\ntags:\n  - "#Ferries"',
            body="A long story. " * 200,
        ),
    )
    return app


@pytest.fixture
def flask_requests(site: Flask) -> Iterator[Callable[[], list[str]]]:
    """Start recording the paths of the requests that reach Flask."""
    seen: list[str] = []
    recording = [False]

    def record(sender: Flask, **extra: object) -> None:
        if recording[0]:
            seen.append(flask.request.path)

    def start() -> list[str]:
        recording[0] = True
        return seen

    flask.request_started.connect(record, site)
    yield start
    flask.request_started.disconnect(record, site)


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Accept-Encoding": "br, gzip"}, {"Accept-Encoding": "gzip"}, {"Accept-Encoding": "x"}],
    ids=["plain", "br", "gzip", "unknown-coding"],
)
def test_a_hit_in_the_fast_lane_is_what_flask_would_send(
    site: Flask, flask_requests: Callable[[], list[str]], url: str, headers: dict[str, str]
) -> None:
    client = site.test_client()
    through_flask = Client(lambda env, start: Flask.wsgi_app(site, env, start))  # no middleware
    assert client.get(url, headers=headers).status_code == 200  # fills the cache
    seen = flask_requests()

    fast = client.get(url, headers=headers)
    slow = through_flask.get(url, headers=headers)

    assert seen == [url]  # only the request sent past the lane reached Flask
    assert fast.status_code == slow.status_code == 200
    assert sorted(fast.headers.items()) == sorted(slow.headers.items())
    assert fast.data == slow.data


@pytest.mark.parametrize("url", URLS)
def test_conditional_and_head_requests_in_the_fast_lane(
    site: Flask, flask_requests: Callable[[], list[str]], url: str
) -> None:
    client = site.test_client()
    etag = client.get(url).headers["ETag"]
    seen = flask_requests()

    not_modified = client.get(url, headers={"If-None-Match": etag})
    head = client.head(url)

    assert seen == []
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    assert head.status_code == 200 and head.data == b""
    assert int(head.headers["Content-Length"]) == len(client.get(url).data)


def test_requests_the_lane_does_not_know_go_to_flask(
    site: Flask, flask_requests: Callable[[], list[str]]
) -> None:
    client = site.test_client()
    client.get("/")
    seen = flask_requests()

    client.post("/")
    client.get("/news/nope/")  # never cached: not a 200
    client.get("/search?q=quay")  # not cached yet
    client.get("/search?q=%ff")  # not UTF-8: Flask decides

    assert seen == ["/", "/news/nope/", "/search", "/search"]


@pytest.mark.parametrize(
    "first, then",
    [
        ("/", "/?utm_source=social&utm_medium=x"),  # a page that ignores its query
        ("/search?q=quay", "/search?q=quay"),
        ("/search?q=quay&page=1", "/search?q=quay&page=1&utm_source=x"),
        ("/search?q=quay", "/search?q=quay&q=other"),  # Flask reads the first q
        ("/search?q=quay+reopens", "/search?q=quay%20reopens"),
    ],
)
def test_query_strings_are_read_as_flask_reads_them(
    site: Flask, flask_requests: Callable[[], list[str]], first: str, then: str
) -> None:
    client = site.test_client()
    through_flask = Client(lambda env, start: Flask.wsgi_app(site, env, start))
    client.get(first)
    seen = flask_requests()

    fast = client.get(then)
    slow = through_flask.get(then)

    assert seen == [then.split("?")[0]]  # only the request sent past the lane
    assert fast.data == slow.data
    assert sorted(fast.headers.items()) == sorted(slow.headers.items())


def test_a_different_query_is_a_different_page(site: Flask) -> None:
    client = site.test_client()
    quay = client.get("/search?q=quay").data
    assert client.get("/search?q=ferries").data != quay
    assert client.get("/search?q=quay&page=2").status_code == 404


def test_an_edit_is_served_at_once_through_the_lane(content: Content, site: Flask) -> None:
    client = site.test_client()
    assert b"The Quay Reopens" in client.get("/news/quay/").data
    content.write(
        "2025-01-02-quay.md",
        article_text(title="The Quay Closes", front="categoria: Harbour", body="Short."),
    )
    assert b"The Quay Closes" in client.get("/news/quay/").data


@pytest.mark.parametrize("validator", ["ETag", "Last-Modified"])
def test_a_304_in_the_fast_lane_is_what_flask_would_send(
    site: Flask, flask_requests: Callable[[], list[str]], validator: str
) -> None:
    client = site.test_client()
    through_flask = Client(lambda env, start: Flask.wsgi_app(site, env, start))
    stored = client.get("/news/quay/").headers[validator]
    asks = {"ETag": "If-None-Match", "Last-Modified": "If-Modified-Since"}[validator]
    seen = flask_requests()

    fast = client.get("/news/quay/", headers={asks: stored})
    slow = through_flask.get("/news/quay/", headers={asks: stored})

    assert seen == ["/news/quay/"]  # only the request sent past the lane reached Flask
    assert fast.status_code == slow.status_code == 304
    assert sorted(fast.headers.items()) == sorted(slow.headers.items())

"""Behind a proxy: which forwarded headers shape a page, and the response cache keyed by all
that does, so one reader's forged header never reaches the copy everyone else gets."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import flask
import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder

from blog.web.cache import PageCache, current_index
from tests.articles import Content, article_text

FORGED = {"X-Forwarded-Prefix": "//evil.example", "X-Forwarded-Port": "6666"}
PAGES = ["/", "/news/quay/", "/feed.xml", "/sitemap.xml"]


@pytest.fixture
def quay(content: Content) -> Content:
    content.write("quay.md", article_text(title="The Quay Reopens", front="aliases:\n  - /old/"))
    return content


def page_cache(app: Flask) -> PageCache:
    pages: PageCache = app.extensions["blog.page_cache"]
    return pages


@pytest.fixture
def flask_requests(app: Flask) -> Iterator[list[str]]:
    """The paths of the requests that reached Flask (past the fast lane)."""
    seen: list[str] = []

    def record(sender: Flask, **extra: object) -> None:
        seen.append(flask.request.path)

    flask.request_started.connect(record, app)
    yield seen
    flask.request_started.disconnect(record, app)


@pytest.mark.parametrize("site_url", ["", "https://news.example"])
def test_a_forwarded_prefix_reaches_no_page_and_no_cached_copy(
    quay: Content, make_app: Callable[..., Flask], site_url: str
) -> None:
    client = make_app(PROXY_FIX=1, SITE_URL=site_url).test_client()
    for path in PAGES:
        forged = client.get(path, headers=FORGED)
        later = client.get(path)  # a reader without the header: the cached copy
        for response in (forged, later):
            assert response.status_code == 200, path
            assert b"evil.example" not in response.data, path
        # The port is the proxy's to say (PROXY_FIX): it shapes links only without SITE_URL,
        # and only in the answer to the request that carried it.
        assert b"6666" not in later.data, path
        assert (b"localhost:6666" in forged.data) == (not site_url), path


def test_an_alias_redirects_on_the_site_whatever_the_forwarded_prefix(
    quay: Content, make_app: Callable[..., Flask]
) -> None:
    client = make_app(PROXY_FIX=1).test_client()
    for headers in (FORGED, {}):
        response = client.get("/old/", headers=headers)
        assert response.status_code == 301
        assert response.headers["Location"] == "/news/quay/"


def test_the_configured_prefix_shapes_every_url_and_a_forwarded_one_none(
    quay: Content, make_app: Callable[..., Flask]
) -> None:
    client = make_app(PROXY_FIX=1, SCRIPT_NAME="/courier").test_client()
    for headers in ({"X-Forwarded-Prefix": "//evil.example"}, {"X-Forwarded-Prefix": "/other"}, {}):
        page = client.get("/news/quay/", headers=headers).get_data(as_text=True)
        assert '<link rel="canonical" href="http://localhost/courier/news/quay/">' in page
        assert 'href="/courier/assets/css/site.' in page
        assert "evil.example" not in page and "/other" not in page
        assert client.get("/old/", headers=headers).headers["Location"] == "/courier/news/quay/"


def test_an_empty_prefix_setting_overrides_what_the_server_says(
    quay: Content, make_app: Callable[..., Flask]
) -> None:
    client = make_app().test_client()
    page = client.get("/news/quay/", environ_overrides={"SCRIPT_NAME": "//evil.example"})
    assert b"evil.example" not in page.data
    assert b"evil.example" not in client.get("/news/quay/").data


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ({"base_url": "http://news.example/"}, {"base_url": "https://news.example/"}),
        ({"base_url": "http://news.example/"}, {"base_url": "http://news.example:8080/"}),
        ({"base_url": "http://news.example:8080/"}, {"base_url": "http://news.example:8081/"}),
        ({"base_url": "http://news.example/"}, {"base_url": "http://mirror.example/"}),
        ({"base_url": "http://news.example/"}, {"base_url": "http://news.example/courier/"}),
        ({"base_url": "http://news.example/a/"}, {"base_url": "http://news.example/b/"}),
    ],
    ids=["scheme", "port", "other-port", "host", "prefix", "other-prefix"],
)
@pytest.mark.parametrize("site_url", ["", "https://news.example"])
def test_the_cache_key_holds_what_shapes_a_pages_urls(
    quay: Content,
    make_app: Callable[..., Flask],
    site_url: str,
    one: dict[str, str],
    other: dict[str, str],
) -> None:
    app = make_app(SITE_URL=site_url)
    pages = page_cache(app)
    with app.test_request_context("/news/quay/"):
        index = current_index()
    builders = [EnvironBuilder(path="/news/quay/", **b) for b in (one, other)]
    keys = [pages.page_key(index, builder.get_environ()) for builder in builders]
    prefixes = [builder.script_root for builder in builders]
    # With SITE_URL the origin is the setting's; the mount path always shapes the page.
    assert (keys[0] != keys[1]) == (not site_url or prefixes[0] != prefixes[1])


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "mirror.example"},
        {"X-Forwarded-Port": "8080"},
        {"Host": "mirror.example"},
    ],
)
def test_with_site_url_the_request_origin_shapes_no_page(
    quay: Content, make_app: Callable[..., Flask], headers: dict[str, str]
) -> None:
    # Why the cache key leaves the request's origin out when SITE_URL is set.
    settings = {"PROXY_FIX": 1, "SITE_URL": "https://news.example"}
    for path in PAGES:
        plain = make_app(**settings).test_client().get(path)
        forwarded = make_app(**settings).test_client().get(path, headers=headers)
        assert forwarded.data == plain.data, path


def test_hot_pages_expire_with_the_cache_timeout(
    quay: Content, app: Flask, flask_requests: list[str]
) -> None:
    pages = page_cache(app)
    now = [1_000_000.0]
    pages.clock = lambda: now[0]  # type: ignore[method-assign]
    client = app.test_client()
    client.get("/news/quay/")  # rendered and cached
    client.get("/news/quay/")  # from the hot set, in the fast lane
    assert flask_requests == ["/news/quay/"]
    now[0] += app.config["CACHE_DEFAULT_TIMEOUT"] - 1
    client.get("/news/quay/")
    assert flask_requests == ["/news/quay/"]
    now[0] += 1  # the cache's timeout since the page was stored: it is gone
    assert client.get("/news/quay/").status_code == 200
    assert flask_requests == ["/news/quay/", "/news/quay/"]

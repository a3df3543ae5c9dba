"""Several hosts, one Redis: a real redis-server shared by real gunicorn instances."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from tests.articles import Content, article_text
from tests.html import elements, parse, text_of
from tests.live import ROOT, RedisServer, fetch, gunicorn, require_binary

pytestmark = pytest.mark.server  # redis-server, and gunicorn for two hosts
SITE_URL = "https://news.example"


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(require_binary("redis-server"))
    server.start()
    yield server
    server.stop()


def page_keys(server: RedisServer) -> list[bytes]:
    return sorted(redis.Redis.from_url(server.url).keys("*page:*"))


def headline(body: bytes) -> str:
    return text_of(elements(parse(body), "h1")[0])


def test_two_gunicorn_hosts_share_one_redis(redis_server: RedisServer, tmp_path: Path) -> None:
    copies = []
    for host in ("a", "b"):
        folder = tmp_path / host / "content"
        shutil.copytree(ROOT / "content", folder)
        copies.append(folder)
    settings = {
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": redis_server.url,
        "SITE_URL": SITE_URL,
    }
    url = "/news/kestrel-rovers-clinch-promotion/"
    with gunicorn(copies[0], **settings) as host_a, gunicorn(copies[1], **settings) as host_b:
        before = page_keys(redis_server)  # the home page each host fetched as it started
        first = fetch(host_a + url)
        keys = page_keys(redis_server)
        assert first[0] == 200 and len(keys) == len(before) + 1
        second = fetch(host_b + url)
        assert second[0] == 200
        assert page_keys(redis_server) == keys  # host B used host A's entry
        assert second[1]["ETag"] == first[1]["ETag"] and second[2] == first[2]
        # The same edit lands on both hosts (as a git pull would): both serve it.
        name = "2025-05-03-kestrel-rovers-clinch-promotion.md"
        edited = article_text(title="Kestrel Rovers Promoted, Edited", date="2025-05-03")
        for folder in copies:
            (folder / name).write_text(edited)
        deadline = time.monotonic() + 10
        seen: set[str] = set()
        while time.monotonic() < deadline and seen != {"Kestrel Rovers Promoted, Edited"}:
            seen = {headline(fetch(base + url)[2]) for base in (host_a, host_b)}
            time.sleep(0.1)
        assert seen == {"Kestrel Rovers Promoted, Edited"}
        # One entry per page, shared, replaced by the new version's
        assert page_keys(redis_server) == keys


def test_redis_outage_serves_uncached_then_recovers(
    redis_server: RedisServer,
    content: Content,
    make_app: Callable[..., Flask],
    caplog: pytest.LogCaptureFixture,
) -> None:
    for n in range(4):
        content.write(f"story-{n}.md", article_text(title=f"Still Here {n}"))
    client = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_server.url).test_client()
    assert client.get("/news/story-0/").status_code == 200
    assert len(page_keys(redis_server)) == 1
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="blog"):
        for n in (1, 2, 1, 2):  # pages the process has not kept itself: Redis is asked
            response = client.get(f"/news/story-{n}/")
            assert response.status_code == 200 and headline(response.data) == f"Still Here {n}"
        redis_server.start()  # same port, empty
        assert client.get("/news/story-3/").status_code == 200
    assert caplog.text.count("response cache unavailable") == 1
    assert "response cache is back" in caplog.text
    assert len(page_keys(redis_server)) == 1  # the cache is used again

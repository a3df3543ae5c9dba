"""One purge per change, whatever the number of workers and hosts that see it: real
gunicorn workers sharing a host's ledger, two hosts sharing a real redis-server, and a
local server standing in for Varnish that records the purges."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.articles import article_text
from tests.live import RedisServer, all_workers, gunicorn, require_binary
from tests.recorder import Recorder, recording

pytestmark = pytest.mark.server


@pytest.fixture
def varnish() -> Iterator[Recorder]:
    with recording() as recorder:
        yield recorder


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(require_binary("redis-server"))
    server.start()
    yield server
    server.stop()


def folder(root: Path) -> Path:
    root.mkdir(parents=True)
    for name, date in (("quay", "2025-06-02"), ("ferry", "2025-01-10")):
        (root / f"{name}.md").write_text(article_text(title=f"The {name}", date=f"{date}T07:00Z"))
    return root


def edit(*folders: Path, body: str) -> None:
    for content in folders:
        partial = content / ".quay.md.tmp"
        partial.write_text(article_text(title="The quay", date="2025-06-02T07:00Z", body=body))
        os.replace(partial, content / "quay.md")


def purges_of(varnish: Recorder, key: str, wait: float = 2.0) -> int:
    """PURGE calls naming ``key``, once ``wait`` seconds have let every worker act."""
    time.sleep(wait)
    return sum(key in call.headers["xkey-purge"].split(" ") for call in varnish.calls)


def test_the_workers_of_a_host_purge_a_change_once(varnish: Recorder, tmp_path: Path) -> None:
    content = folder(tmp_path / "content")
    settings = {
        "PURGE_VARNISH_URL": varnish.url,
        "STORE_DIR": str(tmp_path / "store"),
        "SHARED_MAX_AGE": "3600",
    }
    with gunicorn(content, **settings) as base:
        assert len(all_workers(base)) == 2  # both watch the folder, both see each edit
        for n in range(3):
            edit(content, body=f"Version {n}.")
            time.sleep(1.2)
        assert purges_of(varnish, "article-quay") == 3


def test_two_hosts_on_one_redis_purge_a_change_once_and_a_late_host_again(
    varnish: Recorder, redis_server: RedisServer, tmp_path: Path
) -> None:
    copies = [folder(tmp_path / host / "content") for host in ("a", "b")]
    settings = {
        "PURGE_VARNISH_URL": varnish.url,
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": redis_server.url,
        "SHARED_MAX_AGE": "3600",
        "PURGE_DELAY": "1",
    }
    with ExitStack() as hosts:
        for n, content in enumerate(copies):
            store = str(tmp_path / f"store{n}")
            hosts.enter_context(gunicorn(content, **settings, STORE_DIR=store))
        edit(*copies, body="Pulled by both at once.")  # as a webhook's pulls on both hosts
        assert purges_of(varnish, "article-quay") == 1
        edit(copies[0], body="Pulled by host A first.")
        time.sleep(3)  # host B pulls later: it served the old page meanwhile, so it purges too
        edit(copies[1], body="Pulled by host A first.")
        assert purges_of(varnish, "article-quay") == 3

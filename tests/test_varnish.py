"""Varnish from Debian (with varnish-modules' xkey) in front of gunicorn, with
deploy/varnish.vcl: pages kept an hour, an edit served within 2 s of its write, and every
page that does not show what changed still served from Varnish's copy."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.varnish import stat, varnishd, vcl_for
from tests.articles import article_text
from tests.live import fetch, free_port, gunicorn, require_binary

pytestmark = pytest.mark.server
ARTICLES = {  # name: date; quay and ferry are far apart (not each other's neighbours)
    "ferry": "2025-01-10",
    "trams": "2025-02-10",
    "market": "2025-03-10",
    "rowing": "2025-04-10",
    "quay": "2025-06-02",
}

CATEGORIES = {"quay": "Harbour", "trams": "Harbour", "rowing": "Sport", "regatta": "Sport"}


@dataclass
class Stack:
    varnish: str
    app: str
    content: Path
    name: Path  # varnishd's -n

    def stat(self, counter: str) -> int:
        return stat(self.name, counter)

    def get(self, path: str) -> tuple[str, int, bytes]:
        """X-Cache (HIT or MISS), X-Cache-Hits and the body, through Varnish."""
        status, headers, body = fetch(self.varnish + path)
        assert status == 200, (path, status)
        return headers["X-Cache"], int(headers["X-Cache-Hits"]), body


def write(content: Path, name: str, body: str = "") -> None:
    text = article_text(
        title=f"The {name}",
        date=f"{ARTICLES.get(name, '2025-07-01')}T07:00:00Z",
        body=body or f"About {name}.",
        front="categoria: " + CATEGORIES.get(name, "Town"),
    )
    partial = content / f".{name}.md.tmp"
    partial.write_text(text)
    os.replace(partial, content / f"{name}.md")  # as git does


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    content = tmp_path / "content"
    content.mkdir()
    for name in ARTICLES:
        write(content, name)
    port = free_port()
    settings = {
        "SHARED_MAX_AGE": "3600",  # Varnish keeps pages an hour: only a purge refreshes them
        "PURGE_VARNISH_URL": f"http://127.0.0.1:{port}",
        "PURGE_DELAY": "0.2",
        "STORE_DIR": str(tmp_path / "store"),
        "PROXY_FIX": "1",
    }
    binary = require_binary("varnishd")
    with gunicorn(content, log=tmp_path / "gunicorn.log", **settings) as app:
        vcl = vcl_for(int(app.rsplit(":", 1)[1]))
        with varnishd(vcl, port, tmp_path / "varnish", binary) as name:
            yield Stack(f"http://127.0.0.1:{port}", app, content, name)


def test_varnish_keeps_pages_and_readers_never_see_the_keys(stack: Stack) -> None:
    assert stack.get("/news/quay/")[0] == "MISS"
    status, headers, _ = fetch(stack.varnish + "/news/quay/")
    assert headers["X-Cache"] == "HIT"
    assert headers["Cache-Control"] == "public, max-age=60, s-maxage=3600"
    assert not {"Surrogate-Key", "Cache-Tag", "Surrogate-Control", "xkey"} & set(headers)
    assert "Surrogate-Key" in fetch(stack.app + "/news/quay/")[1]  # the app did send them


def test_an_edit_is_served_within_two_seconds_and_other_pages_stay_hits(stack: Stack) -> None:
    others = ["/news/ferry/", "/category/town/", "/tag/nothing/"]
    for path in ["/news/quay/", *others[:2]]:
        stack.get(path)
        assert stack.get(path)[0] == "HIT"
    write(stack.content, "quay", body="Ferries sail again at dawn.")
    written = time.monotonic()
    while b"Ferries sail again" not in stack.get("/news/quay/")[2]:
        assert time.monotonic() - written < 2, "the edit was not served within 2 s"
        time.sleep(0.05)
    print(f"edit served by Varnish {time.monotonic() - written:.2f} s after its write")  # -s
    # The pages that show nothing of the quay: Varnish's copies, not one fetch from the app.
    time.sleep(0.5)  # past PURGE_DELAY: every purge of this edit is done
    for path in others[:2]:
        _, hits_before, _ = stack.get(path)
        fetches = stack.stat("MAIN.backend_req")
        status, hits, _ = stack.get(path)
        assert status == "HIT" and hits > hits_before, path
        assert stack.stat("MAIN.backend_req") == fetches, path


def test_a_new_article_is_on_the_pages_that_list_it_within_two_seconds(stack: Stack) -> None:
    for path in ("/category/harbour/", "/news/ferry/", "/"):
        stack.get(path)
    write(stack.content, "regatta")  # July: the newest, in Sport
    written = time.monotonic()
    while b"The regatta" not in stack.get("/")[2]:
        assert time.monotonic() - written < 2, "the new article is not on the front page"
        time.sleep(0.05)
    assert stack.get("/news/regatta/")[2].count(b"The regatta") >= 1
    assert stack.get("/category/harbour/")[0] == "HIT"  # not in Harbour
    assert stack.get("/news/ferry/")[0] == "HIT"  # far from it, and not related


def test_a_scheduled_article_is_on_the_front_page_within_two_seconds_of_its_time(
    stack: Stack,
) -> None:
    """No file changes at its time: the clock publishes it, and the purge follows."""
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)
    text = article_text(title="The regatta starts", date=at.isoformat(), front="categoria: Sport")
    (stack.content / "regatta.md").write_text(text)
    time.sleep(1.5)  # seen, and not yet published
    stack.get("/news/ferry/")
    assert b"The regatta starts" not in stack.get("/")[2]
    assert stack.get("/")[0] == "HIT"
    while b"The regatta starts" not in stack.get("/")[2]:
        assert dt.datetime.now(dt.UTC) < at + dt.timedelta(seconds=2), "not on time"
        time.sleep(0.05)
    assert stack.get("/news/ferry/")[0] == "HIT"

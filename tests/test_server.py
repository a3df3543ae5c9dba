"""A real gunicorn, with the production configuration, serving the sample content over HTTP."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import article_text
from tests.html import elements, parse, text_of
from tests.live import ROOT, fetch, gunicorn

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """gunicorn app:app with gunicorn.conf.py (2 workers, preloaded) on a copy of content/."""
    content = tmp_path_factory.mktemp("site") / "content"
    shutil.copytree(ROOT / "content", content)
    with gunicorn(content) as base:
        yield base, content


def test_gunicorn_serves_the_sample_pages(server: tuple[str, Path]) -> None:
    base, _ = server
    status, headers, body = fetch(base + "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    links = [a.get("href") for a in elements(parse(body), "a")]
    article = next(h for h in links if h.startswith("/news/"))
    category = next(h for h in links if h.startswith("/category/"))
    for url in (article, category, "/tags/", "/categories/", "/deals/"):
        assert fetch(base + url)[0] == 200, url
    assert fetch(base + "/news/no-such-article/")[0] == 404
    assert fetch(base + "/static/css/site.css")[0] == 200


def test_gunicorn_answers_conditional_requests(server: tuple[str, Path]) -> None:
    base, _ = server
    _, headers, _ = fetch(base + "/categories/")
    status, _, body = fetch(base + "/categories/", {"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")


def test_edit_reaches_every_worker_within_the_interval(server: tuple[str, Path]) -> None:
    base, content = server
    (content / "2026-11-20-breaking.md").write_text(article_text(title="Breaking Over HTTP"))
    deadline = time.monotonic() + 5  # CONTENT_CHECK_INTERVAL is 1 s
    seen = 0
    while seen < 10 and time.monotonic() < deadline:
        status, _, body = fetch(base + "/news/breaking/")
        seen = seen + 1 if status == 200 else 0
        time.sleep(0.05)
    assert seen == 10, "not every request saw the new article"
    assert text_of(elements(parse(body), "h1")[0]) == "Breaking Over HTTP"

"""The whole site as static files: every page, feed and sitemap, the bytes the app serves.

``flask --app app freeze DIR`` fetches each URL through the app itself (so nothing can
differ from what gunicorn would send) and writes ``/news/x/`` as ``DIR/news/x/index.html``,
``/feed.xml`` as ``DIR/feed.xml``. Search is not static and is left to the app.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from flask import Flask

from blog.content.index import Index
from blog.web.state import get_library

FIXED = [
    "/",
    "/categories/",
    "/tags/",
    "/deals/",
    "/feed.xml",
    "/atom.xml",
    "/feed.json",
    "/deals/feed.xml",
    "/sitemap.xml",
    "/news-sitemap.xml",
    "/robots.txt",
]


def _pages(base: str, count: int, per_page: int) -> Iterator[str]:
    for number in range(2, max(1, math.ceil(count / per_page)) + 1):
        yield f"{base}page/{number}/"


def site_urls(index: Index, per_page: int, sitemap_limit: int) -> Iterator[str]:
    """Every URL of the published site, pages of listings included."""
    yield from FIXED
    yield from _pages("/", len(index.articles), per_page)
    yield from _pages("/deals/", len(index.deals), per_page)
    for kind, groups in (("category", index.categories), ("tag", index.tags)):
        for group in groups.values():
            yield f"/{kind}/{group.slug}/"
            yield from _pages(f"/{kind}/{group.slug}/", group.count, per_page)
            yield f"/{kind}/{group.slug}/feed.xml"
            yield f"/{kind}/{group.slug}/atom.xml"
    for article in index.articles:
        yield f"/news/{article.slug}/"
    sitemap_size = 1 + len(index.categories) + len(index.tags) + len(index.articles)
    if sitemap_size > sitemap_limit:
        for number in range(1, math.ceil(sitemap_size / sitemap_limit) + 1):
            yield f"/sitemap-{number}.xml"


def _file_for(url: str, target: Path) -> Path:
    path = target / url.lstrip("/")
    return path / "index.html" if url.endswith("/") else path


def freeze(app: Flask, target: Path, base_url: str, only: Sequence[str] | None = None) -> int:
    """Write the site into ``target`` (or just the ``only`` URLs, with the assets and the 404
    page); returns the number of files written."""
    index = get_library(app).index()
    config = app.config
    client = app.test_client()
    written = 0
    urls = only or site_urls(index, int(config["PER_PAGE"]), int(config["SITEMAP_MAX_URLS"]))
    for url in urls:
        response = client.get(url, base_url=base_url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        file = _file_for(url, target)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(response.data)
        written += 1
    missing = client.get("/-/no-such-page/", base_url=base_url)
    (target / "404.html").write_bytes(missing.data)
    for asset, digest in app.extensions["blog.assets"].items():
        stem, _, suffix = asset.rpartition(".")
        response = client.get(f"/assets/{stem}.{digest}.{suffix}", base_url=base_url)
        file = target / "assets" / f"{stem}.{digest}.{suffix}"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(response.data)
        written += 1
    if app.static_folder:
        shutil.copytree(app.static_folder, target / "static", dirs_exist_ok=True)
    return written + 1

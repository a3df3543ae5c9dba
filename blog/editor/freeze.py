"""The whole site as static files: every page, feed and sitemap, the bytes the app serves.

``flask --app app freeze DIR`` fetches each URL through the app itself (so nothing can
differ from what gunicorn would send) and writes ``/news/x/`` as ``DIR/news/x/index.html``,
``/feed.xml`` as ``DIR/feed.xml``. The URLs come from the app's own URL map, filled from the
index, so a new page or feed is frozen without being listed here. Search and previews are
not static and are left to the app. First every article's pictures are fetched and sized, as
the site shows them once it has; the sizes the pages name are written as ``DIR/img/<name>``
and the uploads as ``DIR/media/…``.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from blog.content import archive
from blog.content.archive import Period
from blog.content.index import Index
from blog.content.models import Article
from blog.images.background import ImagePreparer
from blog.settings import Settings
from blog.web.discovery import sitemap_parts
from blog.web.pagination import page_count
from blog.web.state import get_images, get_library, get_settings

#: Answers a static copy cannot hold (they depend on the query or a secret), and the files
#: copied as they are rather than fetched as pages (``freeze`` below). The editor at /admin/
#: (``admin.*``) is the live site's alone, as are its health and readiness answers.
NOT_PAGES = frozenset(
    {
        "search.search",
        "site.preview_article",
        "static",
        "assets.asset",
        "media.media_file",
        "media.variant",
        "status.health",
        "status.ready",
    }
)
# The image sizes pages name (``/img/<name>``), written beside them.
VARIANT_URL = re.compile(
    rb"/img/([0-9a-f]{16}-(?:w\d{1,4}|social|1x1|4x3|16x9)-[0-9a-f]{10}\.(?:avif|webp|jpg|png))"
)
SITEMAP_PART = "discovery.sitemap_part"
VARIANT_TRIES = 20  # answers of "busy" before a size is left out

Listing = tuple[dict[str, Any], Sequence[Article]]  # a rule's values so far, what it lists


def site_urls(app: Flask, index: Index) -> Iterator[str]:
    """Every URL of the published site: each GET rule of the app's URL map, its ``<slug>``
    filled from the index, its page ``<number>`` up to the count the views use."""
    adapter = app.url_map.bind("localhost")  # paths only: the host is never written
    seen: set[str] = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_PAGES or "GET" not in (rule.methods or ()):
            continue
        if rule.endpoint.startswith("admin."):
            continue
        for values in _fillings(rule, index, get_settings(app), get_library(app).timezone):
            url = adapter.build(rule.endpoint, values)
            if url not in seen:  # page 1 of a listing is also its own rule's URL
                seen.add(url)
                yield url


def _fillings(
    rule: Rule, index: Index, settings: Settings, tz: dt.tzinfo
) -> Iterator[dict[str, Any]]:
    """The values of each page ``rule`` has (its arguments without a default filled)."""
    needed = rule.arguments - set(rule.defaults or ())
    if "slug" in needed:
        listings = _by_slug(rule, index)
    elif "year" in needed:
        listings = _by_period(index, tz, monthly="month" in needed)
    else:
        listings = [({}, _listing(rule, index))]
    for values, articles in listings:
        if "number" not in needed:
            yield values
        elif rule.endpoint == SITEMAP_PART:
            parts = sitemap_parts(index, settings.SITEMAP_MAX_URLS, tz)
            yield from ({**values, "number": n} for n in range(1, parts + 1))
        else:  # page 1 is the listing's own URL, another rule of the endpoint
            pages = page_count(len(articles), settings.PER_PAGE)
            yield from ({**values, "number": n} for n in range(2, pages + 1))


def _by_slug(rule: Rule, index: Index) -> list[Listing]:
    """What ``<slug>`` names, by the section of the URL it is in: an article, a category, a
    tag or an author; with the articles a page of it lists."""
    section = rule.rule.split("/")[1]
    if section == "news":
        return [({"slug": a.slug}, ()) for a in index.articles]
    groups = {"category": index.categories, "tag": index.tags, "author": index.authors}.get(section)
    if groups is None:
        raise LookupError(f"freeze cannot tell what <slug> names in {rule.rule}")
    return [({"slug": g.slug}, g.articles) for g in groups.values()]


def _by_period(index: Index, tz: dt.tzinfo, monthly: bool) -> list[Listing]:
    """Every year (or month) that has articles, with its articles."""
    months = list(archive.months(index.articles, tz))
    periods = (
        [m.period for m in months] if monthly else [Period(y) for y in {m.year for m in months}]
    )
    listings: list[Listing] = []
    for period in periods:
        values = {"year": period.year, **({"month": period.month} if monthly else {})}
        listings.append((values, archive.in_period(index.articles, period, tz)))
    return listings


def _listing(rule: Rule, index: Index) -> Sequence[Article]:
    """The articles a page without a slug lists (only its page count is asked of it)."""
    return index.deals if rule.endpoint == "site.deals" else index.articles


def _file_for(url: str, target: Path) -> Path:
    path = target / url.lstrip("/")
    return path / "index.html" if url.endswith("/") else path


def freeze(app: Flask, target: Path, base_url: str, only: Sequence[str] | None = None) -> int:
    """Write the site into ``target`` (or just the ``only`` URLs, with the assets and the 404
    page); returns the number of files written."""
    index = get_library(app).index()
    client = app.test_client()
    if not only:  # every picture fetched and made, as the site shows them once it has
        preparer = ImagePreparer(get_images(app), get_library(app).parts)
        for article in index.articles:
            preparer.prepare_article(article)
    written = 0
    variants: set[str] = set()
    for url in only or site_urls(app, index):
        response = client.get(url, base_url=base_url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        file = _file_for(url, target)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(response.data)
        variants.update(name.decode() for name in VARIANT_URL.findall(response.data))
        written += 1
    written += _write_variants(client, base_url, sorted(variants), target / "img")
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
    media = get_settings(app).MEDIA_DIR  # uploads, named /media/… in articles
    if media and Path(media).is_dir():
        shutil.copytree(media, target / "media", dirs_exist_ok=True)
    return written + 1


def _write_variants(client: FlaskClient, base_url: str, names: list[str], folder: Path) -> int:
    """Write the image sizes pages name, made now if they are not yet; a size that
    cannot be made (its original is damaged) is left out, as the site answers it (404)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for name in names:
        for _ in range(VARIANT_TRIES):
            response = client.get(f"/img/{name}", base_url=base_url)
            if response.status_code != 503:
                break
            time.sleep(0.5)  # others being made: the freeze waits its turn
        if response.status_code == 200:
            (folder / name).write_bytes(response.data)
            written += 1
    return written

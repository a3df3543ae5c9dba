"""The whole site as static files: every page, feed and sitemap, the bytes the app serves.

``flask --app app freeze DIR`` fetches each URL through the app itself (so nothing can
differ from what gunicorn would send) and writes ``/news/x/`` as ``DIR/news/x/index.html``,
``/feed.xml`` as ``DIR/feed.xml``. The URLs come from the app's own URL map, filled from the
index, so a new page or feed is frozen without being listed here. Search and previews are
not static and are left to the app. First every article's pictures are fetched and sized, as
the site shows them once it has; the sizes the pages name are written as ``DIR/img/<name>``
and the uploads as ``DIR/media/…``. Pages are fetched on every core; a freeze into a folder
frozen before writes only the pages that show an article changed since (its manifest).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from blog.content import archive
from blog.content.archive import Period
from blog.content.index import Index
from blog.content.models import Article
from blog.content.tables import ArticleList
from blog.images.background import ImagePreparer
from blog.settings import Settings
from blog.web import urls as urls_module
from blog.web.discovery import sitemap_parts
from blog.web.pagination import page_count
from blog.web.state import get_html, get_images, get_library, get_settings

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
        articles = index.articles
        slugs = (
            articles.slugs() if isinstance(articles, ArticleList) else (a.slug for a in articles)
        )
        return [({"slug": slug}, ()) for slug in slugs]
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


@dataclass(frozen=True)
class Frozen:
    """What a freeze did: files written (pages, assets, the 404 page), pages left as they
    were (an incremental freeze), the manifest's verdict."""

    written: int
    kept: int
    why: str  # "incremental", or why every page was written


@dataclass(frozen=True)
class _State:
    """What the pages of a freeze were built from: the site as a whole (code, settings,
    origin, profiles, the front page's flags, and where every article is listed), and each
    article's own version."""

    site: str
    articles: dict[str, str]  # path → its version (source, modified)
    slugs: dict[str, str]  # path → slug


def freeze(
    app: Flask,
    target: Path,
    base_url: str,
    only: Sequence[str] | None = None,
    full: bool = False,
) -> Frozen:
    """Write the site into ``target`` (or just the ``only`` URLs, with the assets and the 404
    page). When ``target`` holds the manifest of an earlier freeze of the same site (the same
    code, settings and listings: only articles' texts differ), only the pages that show a
    changed article are written again, unless ``full``. Pages are fetched on every core."""
    index = get_library(app).index()
    state = _state(app, index, base_url)
    urls = list(only) if only else list(site_urls(app, index))
    manifest, why = (None, "--only") if only else (None, "--full") if full else (None, "")
    if not only and not full:
        manifest, why = _manifest(target, state)
    if manifest is not None:
        changed = _changed(manifest, state)
        stale = _stale(manifest, {state.slugs[path] for path in changed})
        todo = [url for url in urls if url in stale or url not in manifest["pages"]]
        articles: Iterable[Article | None] = [index.files.get(path) for path in changed]
        if len(todo) < PARALLEL_FROM:  # fetched in this process: no fork to come
            get_html(app).expect(a for a in articles if a is not None)
    else:
        todo, articles = urls, index.articles
    if not only:  # every picture fetched and made, as the site shows them once it has
        preparer = ImagePreparer(get_images(app), get_library(app).parts)
        for article in articles:
            if article is not None:
                preparer.prepare_article(article)
        (target / MANIFEST).unlink(missing_ok=True)  # a freeze stopped half-way leaves none
    target.mkdir(parents=True, exist_ok=True)
    fetched = _fetch_all(app, todo, target, base_url)
    variants = sorted({name for _, names in fetched.values() for name in names})
    written = _write_variants(app.test_client(), base_url, variants, target / "img")
    if not only:
        before = dict(manifest["pages"]) if manifest is not None else {}
        pages = {url: fetched[url][0] if url in fetched else before.get(url, []) for url in urls}
        _write_manifest(target, state, pages)
    written += len(todo) + _copy_the_rest(app, target, base_url)
    return Frozen(written, len(urls) - len(todo), why or "incremental")


def _copy_the_rest(app: Flask, target: Path, base_url: str) -> int:
    """The 404 page, the assets, static files and uploads; the files written."""
    client = app.test_client()
    written = 0
    missing = _get(app, client, "/-/no-such-page/", base_url)
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


# The manifest: what each page was built from

MANIFEST = ".freeze-manifest.json"  # in the target folder; nginx serves no dot-file
MANIFEST_FORMAT = 1


def _state(app: Flask, index: Index, base_url: str) -> _State:
    """The site's fingerprint and each published article's version. An article's place in
    the listings (slug, date, category, tags, authors, flags, aliases) is part of the
    site's: when one moves, pages of listings shift, and every page is written again."""
    settings = get_settings(app)
    site = hashlib.sha256()
    for part in (MANIFEST_FORMAT, settings, base_url, sorted(index.profiles.items())):
        site.update(repr(part).encode())
    site.update(repr(index.flags).encode())
    articles: dict[str, str] = {}
    slugs: dict[str, str] = {}
    for article in index.articles:
        place = (
            article.path,
            article.slug,
            article.date,
            article.category,
            article.tags,
            article.authors,
            article.deals,
            article.priority,
            article.breaking,
            article.breaking_until,
            article.pinned_until,
            article.aliases,
        )
        site.update(repr(place).encode())
        articles[article.path] = f"{article.source_hash} {article.modified.isoformat()}"
        slugs[article.path] = article.slug
    return _State(site.hexdigest(), articles, slugs)


def _manifest(target: Path, state: _State) -> tuple[dict[str, Any] | None, str]:
    """The earlier freeze's manifest if its pages can be kept, else None and why not."""
    try:
        manifest = json.loads((target / MANIFEST).read_bytes())
    except FileNotFoundError:
        return None, "no manifest"
    except (OSError, ValueError) as e:
        return None, f"manifest unreadable ({e.__class__.__name__})"
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return None, "manifest of another format"
    if manifest.get("site") != state.site:
        return None, "the site changed beyond articles' texts"
    if not isinstance(manifest.get("pages"), dict) or not isinstance(
        manifest.get("articles"), dict
    ):
        return None, "manifest unreadable"
    return manifest, ""


def _changed(manifest: dict[str, Any], state: _State) -> list[str]:
    """The articles whose version differs from the manifest's."""
    before = manifest["articles"]
    return [path for path, version in state.articles.items() if before.get(path) != version]


def _stale(manifest: dict[str, Any], slugs: set[str]) -> set[str]:
    """The pages that show one of these articles: those that link to it (its own page,
    listings, feeds, sitemaps, other articles' related links)."""
    if not slugs:
        return set()
    return {url for url, linked in manifest["pages"].items() if slugs.intersection(linked)}


def _write_manifest(target: Path, state: _State, pages: dict[str, list[str]]) -> None:
    data = {
        "format": MANIFEST_FORMAT,
        "site": state.site,
        "articles": state.articles,
        "pages": pages,
    }
    partial = target / f"{MANIFEST}.partial"
    partial.write_text(json.dumps(data, separators=(",", ":")))
    partial.replace(target / MANIFEST)


# Fetching pages, on every core

PARALLEL_FROM = 100  # pages; below this, one process
CHUNK = 32  # pages a worker takes at a time

_job: tuple[Flask, Path, str] | None = None  # inherited by the workers across the fork


def _fetch_all(
    app: Flask, urls: list[str], target: Path, base_url: str
) -> dict[str, tuple[list[str], list[str]]]:
    """Fetch and write each page; by URL, the article slugs it links to and the picture
    sizes it names."""
    global _job
    if len(urls) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return _fetch(app, urls, target, base_url)
    chunks = [urls[i : i + CHUNK] for i in range(0, len(urls), CHUNK)]
    get_library(app).store.close()  # each worker opens its own connection
    _job = (app, target, base_url)
    try:
        with multiprocessing.get_context("fork").Pool(os.cpu_count()) as pool:
            parts = pool.map(_fetch_chunk, chunks, chunksize=1)
    finally:
        _job = None
    return {url: found for part in parts for url, found in part.items()}


def _fetch_chunk(urls: list[str]) -> dict[str, tuple[list[str], list[str]]]:
    assert _job is not None
    return _fetch(_job[0], urls, _job[1], _job[2])


def _fetch(
    app: Flask, urls: Sequence[str], target: Path, base_url: str
) -> dict[str, tuple[list[str], list[str]]]:
    client = app.test_client()
    prefix = re.escape(urls_module.article_path("").encode())
    linked = re.compile(prefix + rb"([^/\"'<>\s?#]+)/")
    found: dict[str, tuple[list[str], list[str]]] = {}
    for url in urls:
        response = _get(app, client, url, base_url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        file = _file_for(url, target)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(response.data)
        slugs = {unquote(m.decode()) for m in linked.findall(response.data)}
        variants = {name.decode() for name in VARIANT_URL.findall(response.data)}
        found[url] = (sorted(slugs), sorted(variants))
    return found


def _get(app: Flask, client: FlaskClient, url: str, base_url: str) -> TestResponse:
    """The page as a reader gets it. The command runs inside its own app context, which a
    request would reuse, sharing ``flask.g`` with every page fetched before (the keys and
    pictures each page shows): a context of its own for each page."""
    with app.app_context():
        return client.get(url, base_url=base_url)


def _write_variants(client: FlaskClient, base_url: str, names: list[str], folder: Path) -> int:
    """Write the image sizes pages name, made now if they are not yet; a size that
    cannot be made (its original is damaged) is left out, as the site answers it (404)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for name in names:
        if (folder / name).is_file():
            continue  # a name holds its original's hash: the file is this size already
        for _ in range(VARIANT_TRIES):
            response = client.get(f"/img/{name}", base_url=base_url)
            if response.status_code != 503:
                break
            time.sleep(0.5)  # others being made: the freeze waits its turn
        if response.status_code == 200:
            (folder / name).write_bytes(response.data)
            written += 1
    return written

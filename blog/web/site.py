"""The site's parts, assembled for one app: the content library, the HTML memo, search, the
images, the response cache, and the WSGI middleware in front of Flask (the fast lane, the
host check, the mount path and ``ProxyFix``: ``proxy.py``). ``create_app`` calls
``assemble``; nothing else builds these."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Mapping
from itertools import chain
from pathlib import Path

import click
from flask import Flask

from blog.content.flags import Windows
from blog.content.library import Library
from blog.content.models import site_timezone
from blog.content.refresher import keep_fresh
from blog.content.store import Store, default_folder
from blog.images.background import ImagePreparer
from blog.images.configured import image_rules, media_roots
from blog.images.pictures import Images
from blog.markup.html import ArticleHtml
from blog.markup.render import Renderer
from blog.search.engine import SearchIndex
from blog.search.live import LiveSearch
from blog.settings import Settings
from blog.web import pictures, proxy, security, urls
from blog.web.cache import PageCache
from blog.web.fastlane import FastLane
from blog.web.ledger import FileLedger, Ledger, RedisLedger
from blog.web.purgers import Cloudflare, Fastly, Nginx, Varnish
from blog.web.purging import Items, Purging, Target
from blog.web.state import get_html, get_images, get_library, get_search
from blog.web.websub import ChangedFeeds, Hub

log = logging.getLogger(__name__)


def assemble(app: Flask, settings: Settings) -> None:
    """Build the app's parts from its settings, read the content, wrap the WSGI app."""
    store = _store(settings)
    library = Library(
        Path(settings.CONTENT_DIR),
        timezone=site_timezone(settings.SITE_TIMEZONE),
        check_interval=settings.CONTENT_CHECK_INTERVAL,
        max_bytes=settings.MAX_ARTICLE_BYTES,
        article_path=urls.article_path,
        windows=Windows(settings.FEATURED_HOURS, settings.BREAKING_HOURS),
        store=store,
    )
    app.extensions["blog.library"] = library
    renderer = Renderer(settings.EMBED_HOSTS)
    html = ArticleHtml(library.parts, renderer, budget=settings.RENDER_BUDGET)
    app.extensions["blog.html"] = html
    library.listeners.append(html.replaced)
    # Beside the store's file (in its temporary folder with "off") unless IMAGES_DIR says
    # where: images are kept by the hash of their bytes, so content folders can share them.
    folder = Path(settings.IMAGES_DIR) if settings.IMAGES_DIR else store.path.parent / "images"
    images = Images(folder, media_roots(settings), image_rules(settings))
    app.extensions["blog.images"] = images
    app.extensions["blog.page_cache"] = pages = PageCache(app)
    # A page showing a picture that changed (fetched, failed) is not current any more.
    pages.picture_version = lambda reference: pictures.version(images.picture(reference))
    images.listeners.append(pages.pictures_changed)
    search = SearchIndex(store, text_of=library.markdown)
    app.extensions["blog.search"] = LiveSearch(search, library)
    if click.get_current_context(silent=True) is not None:
        # Made for a command (flask content check, courier-check…), which may show the
        # content's problems itself: kept until it says, or until a first request (flask run).
        library.reports.hold()
        app.before_request(library.reports.release)
    library.load()
    purging = _purging(app, settings, store.path.parent, pages)
    if purging is not None:
        # From now on: what the caches hold is what was there at the start.
        app.extensions["blog.purging"] = purging
        purging.listen(library)
        pages.picture_purged = purging.picture_changed
    search.prune()
    store.close()  # the master's connection must not cross gunicorn's fork
    headers = security.init_app(app)
    app.wsgi_app = FastLane(  # type: ignore[method-assign]
        app.wsgi_app, library, pages, settings.HTTP_MAX_AGE, headers
    )
    app.wsgi_app = security.HostCheck(app.wsgi_app, headers)  # type: ignore[method-assign]
    # Outermost: the fast lane needs the real host and mount path too.
    app.wsgi_app = proxy.behind_proxy(app.wsgi_app, settings)  # type: ignore[assignment]


def prepare_worker(app: Flask) -> None:
    """A new gunicorn worker's work, none of it before its first request (gunicorn.conf.py
    calls it): a thread of the worker's own looks for changes (``refresher.py``), at once
    for the edits made since the master read the content, then as the kernel reports
    them; another brings the search index up to date (building it, behind a first start,
    newest first: ``/-/ready`` says when it is done); another prepares the images of every
    article, then of each one that changes (``images/background.py``)."""
    library = get_library(app)
    keep_fresh(library, prerender=get_html(app).html)
    # Texts from the store only: over every article a file read per article would cost each
    # worker a full parse of the archive (behind a first start, the store has them later).
    preparer = app.extensions["blog.image_preparer"] = ImagePreparer(
        get_images(app), library.stored_parts
    )
    library.listeners.append(
        lambda old, changed: preparer.submit_all(library.current.files.get(p) for p in changed)
    )
    preparer.start()
    index = library.current  # newest first, each article made only when its turn comes
    preparer.submit_backlog(chain(index.articles, index.unpublished.values()))
    threading.Thread(target=_sync_search, args=(app,), name="search-sync", daemon=True).start()


def _sync_search(app: Flask) -> None:
    try:
        get_search(app).current()
    except sqlite3.Error as e:  # pages do not need search: the worker serves them regardless
        log.error("search index unavailable: %s", e)


def _purging(app: Flask, settings: Settings, folder: Path, pages: PageCache) -> Purging | None:
    """The caches to purge and the hub to tell, from the settings; None when there are none."""
    local = FileLedger(folder / "purge.sqlite", keep=shared_lifetime(settings))
    shared: Ledger = local
    if settings.CACHE_TYPE == "RedisCache":  # the hosts meet there
        client = getattr(pages.cache.cache, "_write_client")  # noqa: B009 (flask-caching's)
        shared = RedisLedger(client, settings.CACHE_KEY_PREFIX, shared_lifetime(settings))
    targets: list[Target] = []
    items: dict[str, Items] = {}
    if settings.PURGE_VARNISH_URL:
        targets.append(Varnish(settings.PURGE_VARNISH_URL))
    if settings.PURGE_NGINX_URL:
        targets.append(Nginx(settings.PURGE_NGINX_URL, settings.SITE_URL, shared))
    if settings.FASTLY_SERVICE_ID:
        targets.append(
            Fastly(settings.FASTLY_API_URL, settings.FASTLY_SERVICE_ID, settings.FASTLY_API_TOKEN)
        )
    if settings.CLOUDFLARE_ZONE_ID:
        targets.append(
            Cloudflare(
                settings.CLOUDFLARE_API_URL,
                settings.CLOUDFLARE_ZONE_ID,
                settings.CLOUDFLARE_API_TOKEN,
            )
        )
    if settings.WEBSUB_HUB:
        targets.append(Hub(settings.WEBSUB_HUB))
        items["websub"] = ChangedFeeds(
            app, settings.SITE_URL, settings.SCRIPT_NAME, settings.FEED_ITEMS
        )
    if not targets:
        if settings.SHARED_MAX_AGE:
            log.warning(
                "SHARED_MAX_AGE=%d but no cache is purged (PURGE_VARNISH_URL, PURGE_NGINX_URL, "
                "FASTLY_*, CLOUDFLARE_*): shared caches keep pages that long after they change",
                settings.SHARED_MAX_AGE,
            )
        return None
    purging = Purging(targets, shared, local, delay=settings.PURGE_DELAY, items=items)
    if settings.PURGE_NGINX_URL:
        pages.noted = purging.note
    return purging


def shared_lifetime(settings: Settings) -> int:
    """How long shared caches keep a page: what the ledger must remember its paths for."""
    return max(settings.SHARED_MAX_AGE, settings.HTTP_MAX_AGE, 3600)


def _store(settings: Settings) -> Store:
    """The on-disk store in ``STORE_DIR`` (or its default); with "off", or when that folder
    cannot be used, a temporary one that nothing outlives."""
    folder = settings.STORE_DIR
    if folder != "off":
        store = Store.in_folder(
            Path(folder) if folder else default_folder(),
            Path(settings.CONTENT_DIR),
            settings.SITE_TIMEZONE,
        )
        if store is not None:
            return store
    return Store.temporary()


def code_fingerprint(folders: Mapping[str, Path]) -> str:
    """A deploy id that changes with the code, templates and static files, and is equal on
    every host with the same files, checked out or installed (where templates and static
    sit inside the package: each file is counted once, under its own folder's name)."""
    digest = hashlib.sha256()
    roots = {folder.resolve() for folder in folders.values()}
    for name, folder in sorted(folders.items()):
        # Another folder inside this one (templates/ in an installed package) counts its own.
        inner = {r for r in roots if r != folder.resolve() and r.is_relative_to(folder.resolve())}
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            if inner & set(path.resolve().parents):
                continue
            digest.update(f"{name}/{path.relative_to(folder)}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]

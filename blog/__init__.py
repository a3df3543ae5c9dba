"""The Harbour Courier: a news site that reads its articles from Markdown files.

``create_app`` is the only place configuration is read: defaults in code, then environment
variables with the ``FLASK_`` prefix, then the test configuration.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from blog.content.library import Library
from blog.content.models import site_timezone
from blog.content.refresher import keep_fresh
from blog.content.store import Store, default_folder
from blog.markup.html import ArticleHtml
from blog.markup.render import Renderer
from blog.search.engine import SearchIndex
from blog.web import security, urls
from blog.web.cache import PageCache
from blog.web.fastlane import FastLane
from blog.web.search import LiveSearch
from blog.web.state import get_html, get_library

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Every setting, its default and (in the README) its meaning. Environment variables override
#: them as ``FLASK_<NAME>``; values that parse as JSON are read as JSON (numbers, lists).
DEFAULTS: dict[str, Any] = {
    "SITE_NAME": "The Harbour Courier",
    "SITE_DESCRIPTION": "News from the harbour towns and the wider world.",
    "SITE_LANGUAGE": "en",
    "SITE_URL": "",
    "SITE_LOGO": "/static/images/logo.png",
    "PROXY_FIX": 0,
    "PROXY_SENDS_SECURITY_HEADERS": False,
    "SITE_TIMEZONE": "UTC",
    "CONTENT_DIR": str(PROJECT_ROOT / "content"),
    "CONTENT_CHECK_INTERVAL": 1.0,
    "MAX_ARTICLE_BYTES": 2 * 1024 * 1024,
    "STORE_DIR": "",
    "PER_PAGE": 20,
    "FEED_ITEMS": 50,
    "FEED_TTL": 15,
    "SITEMAP_MAX_URLS": 50_000,
    "EMBED_HOSTS": ["www.youtube.com", "www.youtube-nocookie.com", "player.vimeo.com"],
    "HTTP_MAX_AGE": 60,
    "CACHE_TYPE": "SimpleCache",
    "CACHE_DEFAULT_TIMEOUT": 300,
    "CACHE_THRESHOLD": 2000,
    "CACHE_KEY_PREFIX": "courier:",
    "CACHE_REDIS_URL": "redis://127.0.0.1:6379/0",
    "DEPLOY_ID": "",
    "SECRET_KEY": "",
    "PREVIEW_HOURS": 72,
    "WEBHOOK_SECRET": "",
    "CATEGORIES": [],
    "LOG_LEVEL": "INFO",
}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the site: configuration, content library, response cache, routes."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    # Block tags leave no blank lines behind: smaller pages, readable source.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env()
    if test_config:
        app.config.from_mapping(test_config)
    _normalise_config(app)
    logging.getLogger("blog").setLevel(app.config["LOG_LEVEL"])

    store = _store(app)
    library = Library(
        Path(app.config["CONTENT_DIR"]),
        timezone=site_timezone(app.config["SITE_TIMEZONE"]),
        check_interval=float(app.config["CONTENT_CHECK_INTERVAL"]),
        max_bytes=int(app.config["MAX_ARTICLE_BYTES"]),
        article_path=urls.article_path,
        store=store,
    )
    app.extensions["blog.library"] = library
    app.extensions["blog.html"] = html = ArticleHtml(
        library.markdown, Renderer(app.config["EMBED_HOSTS"])
    )
    library.listeners.append(html.replaced)
    app.extensions["blog.page_cache"] = pages = PageCache(app)
    search = SearchIndex(store, text_of=library.markdown)
    app.extensions["blog.search"] = LiveSearch(search, library)
    library.load()
    search.prune()
    store.close()  # the master's connection must not cross gunicorn's fork
    headers = security.init_app(app)
    app.wsgi_app = FastLane(  # type: ignore[method-assign]
        app.wsgi_app, library, pages, app.config, headers
    )
    app.wsgi_app = security.HostCheck(app.wsgi_app, headers)  # type: ignore[method-assign]
    if int(app.config["PROXY_FIX"]):  # outermost: the fast lane needs the real host too
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )

    from blog.editor import cli
    from blog.web import assets, discovery, templating, webhook
    from blog.web import pages as page_views
    from blog.web import search as search_views

    assets.init_app(app)
    templating.init_app(app)
    app.register_blueprint(page_views.bp)
    app.register_blueprint(discovery.bp)
    app.register_blueprint(search_views.bp)
    app.register_blueprint(webhook.bp)
    app.cli.add_command(cli.content)
    app.cli.add_command(cli.freeze_command)
    return app


def prepare_worker(app: Flask) -> None:
    """A new gunicorn worker's work before its first request (gunicorn.conf.py calls it):
    start watching the content folder, with the scan that catches edits since the master
    loaded, and bring the search index up to date. Requests would otherwise pay for both.
    From then on a thread of the worker's own looks for changes (``refresher.py``)."""
    library = get_library(app)
    library.refresh()
    keep_fresh(library, prerender=get_html(app).html)
    try:
        app.extensions["blog.search"].current()
    except sqlite3.Error as e:  # pages do not need search: the worker serves them regardless
        logging.getLogger(__name__).error("search index unavailable: %s", e)


def _normalise_config(app: Flask) -> None:
    """Accept the forms an environment variable can take; derive what is left unset."""
    for key in ("EMBED_HOSTS", "CATEGORIES"):
        if isinstance(app.config[key], str):
            app.config[key] = [item.strip() for item in app.config[key].split(",") if item.strip()]
    if isinstance(app.config["PROXY_SENDS_SECURITY_HEADERS"], str):  # "no" must not be true
        words = ("1", "true", "yes", "on")
        app.config["PROXY_SENDS_SECURITY_HEADERS"] = (
            app.config["PROXY_SENDS_SECURITY_HEADERS"].strip().lower() in words
        )
    if not app.config["DEPLOY_ID"]:
        app.config["DEPLOY_ID"] = _code_fingerprint()


def _store(app: Flask) -> Store:
    """The on-disk store in ``STORE_DIR`` (or its default); with "off", or when that folder
    cannot be used, a temporary one that nothing outlives."""
    folder = str(app.config["STORE_DIR"])
    if folder != "off":
        store = Store.in_folder(
            Path(folder) if folder else default_folder(),
            Path(app.config["CONTENT_DIR"]),
            app.config["SITE_TIMEZONE"],
        )
        if store is not None:
            return store
    return Store.temporary()


def _code_fingerprint() -> str:
    """A deploy id that changes with the code, templates and static files, equal on every host."""
    digest = hashlib.sha256()
    for folder in ("blog", "templates", "static"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


__all__ = ["create_app", "get_library", "prepare_worker"]

"""Response caching and HTTP freshness: keyed by content version, never invalidated.

A page is rendered once per (deploy, content version, URL) and kept in flask-caching's
backend (in-process by default, Redis for several hosts). Every page carries an ETag and a
Last-Modified, answers conditional requests with 304, and tells caches to keep it no longer
than ``HTTP_MAX_AGE`` seconds, nor past the next scheduled article's publication or the end
of a front-page flag (a breaking strip's, say).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from flask import Flask, Response, current_app, g, make_response, request
from flask_caching import Cache
from flask_caching.backends.simplecache import SimpleCache
from werkzeug.wrappers import Response as HTTPResponse
from werkzeug.wsgi import get_host

from blog.content.index import Index
from blog.web.state import get_library, get_settings
from blog.web.stored import StoredPage

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

log = logging.getLogger(__name__)

HOT_PAGES = 128  # pages kept unpickled in each process, in front of the shared backend
PENDING_MAX_AGE = 5  # seconds a page showing a picture not fetched yet may be kept anywhere
SHOWING_LIMIT = 100_000  # pictures whose pages are remembered, before starting afresh

CACHE_ERRORS: tuple[type[Exception], ...] = (OSError,)  # and the Redis client's, with it


def _cache_errors(app: Flask) -> tuple[type[Exception], ...]:
    """What a backend outage raises. The Redis client is imported only for its backend (it
    takes a tenth of a second to import: a restart is meant to take less than a second)."""
    if "redis" not in str(app.config.get("CACHE_TYPE", "")).lower():
        return CACHE_ERRORS
    try:
        from redis.exceptions import RedisError
    except ImportError:
        return CACHE_ERRORS
    return (OSError, RedisError)


class PageCache:
    """flask-caching with the failure mode we want: an outage means uncached, not a 500."""

    def __init__(self, app: Flask) -> None:
        self.cache = Cache(app)
        self.errors = _cache_errors(app)
        self.site_url = get_settings(app).SITE_URL
        self.deploy_id = get_settings(app).DEPLOY_ID
        self.timeout = get_settings(app).CACHE_DEFAULT_TIMEOUT  # 0: no expiry, as the backend's
        self.clock: Callable[[], float] = time.time  # the pages' stored_at, and their expiry
        self._failing = False
        self._version: str | None = None  # the newest content version seen, and its time
        self._built_at: dt.datetime | None = None
        # The hottest pages, unpickled, in this process, each with the time it expires. Keys
        # carry the content version, so an entry here is never stale; it only saves the
        # backend a round trip. It expires with the backend's copy all the same: a page
        # carries the request's origin, so a wrong one must not outlive the cache's timeout.
        self._hot: OrderedDict[str, tuple[float, StoredPage]] = OrderedDict()
        self._hot_lock = threading.Lock()
        # Path → the query parameters its page varies by, as the views have said (the fast
        # lane computes the same keys from them).
        self.varying: dict[str, tuple[str, ...]] = {}
        # Pictures: the keys of the pages this process stored, by the image references they
        # show, and when each reference last changed (a count of changes so far).
        self.picture_changes = 0
        self._showing: dict[str, set[str]] = {}
        self._changed_at: dict[str, int] = {}
        self._showing_lock = threading.Lock()

    def page_key(
        self, index: Index, environ: WSGIEnvironment, names: tuple[str, ...] | None = None
    ) -> str | None:
        """The one cache key of the page a request asks for, in the fast lane and the view
        wrapper alike: origin, mount path, path and the query parameters ``names`` (None:
        those the page's view declared, for the fast lane, which does not know the view).
        None when the query cannot be read as Flask reads it: Flask then answers, uncached."""
        path = request_path(environ)
        varying = _query_values(
            environ.get("QUERY_STRING", ""), self.varying.get(path, ()) if names is None else names
        )
        if varying is None:
            return None
        # Pages carry absolute links built from the request's scheme, host and port when
        # SITE_URL is not set, and every link carries the mount path (proxy.py sets it).
        origin = self.site_url or f"{environ['wsgi.url_scheme']}://{get_host(environ)}"
        return self._key(index, f"{origin}{environ.get('SCRIPT_NAME', '')}{path}?{varying}")

    def _key(self, index: Index, url: str) -> str:
        """Pages differ by deploy, content version and absolute URL."""
        if index.version != self._version:
            self._moved_on(index)
        url = hashlib.sha256(url.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return f"page:{self.deploy_id}:{index.version}:{url}"

    def _moved_on(self, index: Index) -> None:
        """A newer content version: no key of an older one will be asked for again. In this
        process their pages are dead weight (under frequent edits they would fill memory up
        to the threshold), so they go; a shared backend lets them age out instead."""
        if index.built_at is None or (self._built_at and index.built_at < self._built_at):
            return  # a request still on an older index: nothing to drop for it
        self._version, self._built_at = index.version, index.built_at
        with self._hot_lock:
            self._hot.clear()
        with self._showing_lock:
            self._showing.clear()  # their keys are of the older version: never asked again
        if isinstance(self.cache.cache, SimpleCache):
            self.cache.clear()

    def hot(self, key: str) -> StoredPage | None:
        """The page if this process holds it unpickled (no backend round trip), unexpired."""
        entry = self._hot.get(key)
        if entry is None or entry[0] <= self.clock():
            return None  # an expired entry is replaced when the page is stored again
        return entry[1]

    def get(self, key: str) -> StoredPage | None:
        page = self.hot(key)
        if page is not None:
            return page
        try:
            page = self.cache.get(key)
        except self.errors as e:
            self._failed(e)
            return None
        self._recovered()
        if not isinstance(page, StoredPage) or self._expires(page) <= self.clock():
            return None  # (a backend on another host's clock may keep it a little longer)
        self._remember(key, page)
        return page

    def set(self, key: str, page: StoredPage) -> None:
        self._remember(key, page)
        try:
            self.cache.set(key, page)
        except self.errors as e:
            self._failed(e)

    def set_showing(
        self, key: str, page: StoredPage, pictures: Collection[str], since: int
    ) -> None:
        """Store a page that shows ``pictures``, rendered when ``picture_changes`` was
        ``since``: unless one of them changed meanwhile (it would show the old one)."""
        with self._showing_lock:
            if len(self._showing) > SHOWING_LIMIT:
                self._showing.clear()  # a change then finds fewer pages: they expire instead
            for reference in pictures:
                self._showing.setdefault(reference, set()).add(key)
        self.set(key, page)
        if any(self._changed_at.get(reference, -1) >= since for reference in pictures):
            self._delete([key])  # changed while it was rendered (or before it was stored)

    def pictures_changed(self, reference: str) -> None:
        """The images layer's listener: ``reference``'s picture changed (fetched, failed,
        found damaged). The pages this process stored that show it are deleted, from the
        shared backend too; other processes delete theirs when they see the change."""
        with self._showing_lock:
            self._changed_at[reference] = self.picture_changes
            self.picture_changes += 1
            keys = self._showing.pop(reference, set())
        self._delete(keys)

    def _delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if not keys:
            return
        with self._hot_lock:
            for key in keys:
                self._hot.pop(key, None)
        try:
            self.cache.delete_many(*keys)
        except CACHE_ERRORS as e:
            self._failed(e)

    def _expires(self, page: StoredPage) -> float:
        return page.stored_at + self.timeout if self.timeout > 0 else math.inf

    def _remember(self, key: str, page: StoredPage) -> None:
        with self._hot_lock:
            self._hot[key] = (self._expires(page), page)
            while len(self._hot) > HOT_PAGES:
                self._hot.popitem(last=False)

    def _failed(self, error: Exception) -> None:
        if not self._failing:
            self._failing = True
            log.error("response cache unavailable, serving uncached: %s", error)

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            log.warning("response cache is back")


def current_index() -> Index:
    """One index per request, so every part of a page sees the same content version."""
    if "index" not in g:
        g.index = get_library().index()
    index: Index = g.index
    return index


def max_age(index: Index, now: dt.datetime, limit: int | None = None) -> int:
    """Seconds a cache may keep a page: the setting (or ``limit``), cut short by the next
    change that needs no edit (a publication, the end of a breaking strip...)."""
    if limit is None:
        limit = get_settings().HTTP_MAX_AGE
    if index.next_change is not None:
        limit = min(limit, max(0, math.ceil((index.next_change - now).total_seconds())))
    return limit


def set_freshness(response: HTTPResponse, index: Index) -> HTTPResponse:
    """``Cache-Control`` for a public response built from ``index``."""
    response.cache_control.public = True
    response.cache_control.max_age = max_age(index, get_library().clock())
    return response


def cached_page(view: Callable[..., Any]) -> Callable[..., HTTPResponse]:
    """Serve a view's 200 responses from the response cache, with validators and 304s.

    The key is the URL's path: query strings are ignored (so ``?utm_source=…`` cannot fill
    the cache) except by views wrapped with ``cached_page_varying``.
    """
    return _cached(view, ())


def cached_page_varying(*query: str) -> Callable[[Callable[..., Any]], Callable[..., HTTPResponse]]:
    """``cached_page`` for a view whose page depends on these query parameters too."""
    return lambda view: _cached(view, query)


def _cached(view: Callable[..., Any], query: tuple[str, ...]) -> Callable[..., HTTPResponse]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> HTTPResponse:
        index = current_index()
        pages: PageCache = current_app.extensions["blog.page_cache"]
        key = pages.page_key(index, request.environ, query)
        page = pages.get(key) if key is not None else None
        freshness = max_age(index, get_library().clock())
        if page is None:
            since = pages.picture_changes
            response = make_response(view(*args, **kwargs))
            if key is None or response.status_code != 200 or response.cache_control.no_store:
                return response
            page = StoredPage.of(response, pages.clock())
            if g.get("pictures_pending"):
                # A picture not fetched yet (``pictures.py``): not kept, so the next reader
                # after the fetch gets it; and not for long by any cache in front.
                freshness = min(freshness, PENDING_MAX_AGE)
            else:
                pages.set_showing(key, page, g.get("pictures_shown", set()), since)
            if query:
                pages.varying.setdefault(request_path(request.environ), query)
        status, headers, body = page.answer(
            request.environ, freshness, current_app.extensions["blog.security_headers"]
        )
        return Response(body, status=status, headers=headers)

    return wrapper


def request_path(environ: WSGIEnvironment) -> str:
    """The path as the server passed it (so no decoding), with Flask's single leading slash."""
    return "/" + (environ.get("PATH_INFO") or "").lstrip("/")


def _query_values(query: str, names: tuple[str, ...]) -> str | None:
    """``name=value&…`` for ``names``, each the first value as Flask's ``request.args`` reads
    it; None when Flask could not read the query."""
    if not names:
        return ""  # the page ignores its query string (?utm_source=…)
    try:
        pairs = parse_qsl(
            query.encode("latin1").decode(), keep_blank_values=True, errors="werkzeug.url_quote"
        )
    except UnicodeError:
        return None
    args: dict[str, str] = {}
    for name, value in pairs:
        args.setdefault(name, value)
    return "&".join(f"{name}={args.get(name, '')}" for name in names)

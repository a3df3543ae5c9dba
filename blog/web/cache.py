"""Response caching and HTTP freshness: pages kept under the versions of what they show.

A page is rendered once per (deploy, URL, versions of the parts of the index it shows) and
kept in flask-caching's backend (in-process by default, Redis for several hosts). Every page
carries an ETag and a Last-Modified, answers conditional requests with 304, and tells
browsers to keep it no longer than ``HTTP_MAX_AGE`` seconds, nor past the next scheduled
article's publication or the end of a front-page flag (a breaking strip's, say); shared
caches may keep it ``SHARED_MAX_AGE`` (``s-maxage``), as they are purged when what it shows
changes (``purging.py``).

Pictures are parts too: a page showing an image shows ``picture:<reference>`` at the version
the images layer gave it while the page was rendered (``pictures.look``: the original's hash,
or ``pending``, ``failed``...). When a picture changes (fetched, failed, found damaged) the
pages showing it are no longer current here, and the caches in front are purged of them by
that key: the article's page, the listings and feeds showing its image, the pages whose
``og:image`` it is; no other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import fields as dataclass_fields
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from flask import Flask, Response, current_app, g, make_response, request
from flask_caching import Cache
from werkzeug.wrappers import Response as HTTPResponse
from werkzeug.wsgi import get_host

from blog.content import keys
from blog.content.index import Index
from blog.settings import HOST_SETTINGS, Settings
from blog.web import shown
from blog.web.state import get_library, get_settings
from blog.web.stored import StoredPage

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

log = logging.getLogger(__name__)

PICTURE_KEY = keys.PICTURE + ":"
HOT_PAGES = 128  # pages kept unpickled in each process, in front of the shared backend
PENDING_MAX_AGE = 5  # seconds a page showing a picture not fetched yet may be kept anywhere

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
    """flask-caching with the failure mode we want: an outage means uncached, not a 500.

    A page is kept under its URL with the keys it shows (``shown.py``) and their versions
    when it was rendered, and served while the index has the same versions of them: an edit
    renders again only the pages that show what it changed. (``CACHE_PER_PAGE`` off: every
    page shows ``content``, the whole content version, and any edit renders them all.)
    """

    def __init__(self, app: Flask) -> None:
        settings = get_settings(app)
        self.cache = Cache(app)
        self.errors = _cache_errors(app)
        self.site_url = settings.SITE_URL
        # Pages differ by deploy and by the settings that shape them; a new deploy, or a
        # host with other settings, never takes another's pages.
        self.deploy_id = f"{settings.DEPLOY_ID}-{settings_fingerprint(settings)}"
        self.per_page = settings.CACHE_PER_PAGE
        self.shared_max_age = settings.SHARED_MAX_AGE
        self.timeout = settings.CACHE_DEFAULT_TIMEOUT  # 0: no expiry, as the backend's
        self.clock: Callable[[], float] = time.time  # the pages' stored_at, and their expiry
        self._failing = False
        # The hottest pages, unpickled, in this process: (expiry, page, the content version
        # and count of picture changes it was last found current for). It only saves the
        # backend a round trip, and it expires with the backend's copy all the same: a page
        # carries the request's origin, so a wrong one must not outlive the cache's timeout.
        self._hot: OrderedDict[str, tuple[float, StoredPage, str]] = OrderedDict()
        self._hot_lock = threading.Lock()
        # Path → the query parameters its page varies by, as the views have said (the fast
        # lane computes the same keys from them).
        self.varying: dict[str, tuple[str, ...]] = {}
        # Pictures: a picture's version as the images layer sees it now (``site.py`` sets
        # it), the changes this process has seen, and who is told of them (``Purging``).
        self.picture_version: Callable[[str], str] = lambda reference: "-"
        self.picture_changes = 0
        self.picture_purged: Callable[[str, str], None] | None = None
        self.renders = 0  # pages rendered because none was current (bench/soak.py counts)
        # Told of each page stored, by its path as a proxy's cache keys it, and the keys it
        # shows (``Purging.note``: nginx purges by URL); None when nothing asks.
        self.noted: Callable[[str, tuple[str, ...]], None] | None = None

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
        url = f"{origin}{environ.get('SCRIPT_NAME', '')}{path}?{varying}"
        digest = hashlib.sha256(url.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return f"page:{self.deploy_id}:{digest}"

    def shown(self, index: Index) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The keys of the page just rendered, as its view said (``shown.py``), and the
        pictures it showed (``pictures.look``); with their versions as it showed them."""
        names = shown.declared() if self.per_page else (keys.CONTENT,)
        pictures: dict[str, str] = g.get("pictures_shown") or {}
        seen = sorted(pictures.items())
        return (
            (*names, *(name for name, _ in seen)),
            (*keys.versions(index, names), *(version for _, version in seen)),
        )

    def current(self, index: Index, page: StoredPage) -> bool:
        """True when what ``page`` shows is as it was when it was rendered."""
        return page.versions == tuple(
            self.picture_version(name.partition(":")[2])
            if name.startswith(PICTURE_KEY)
            else keys.version(index, name)
            for name in page.names
        )

    def pictures_changed(self, reference: str) -> None:
        """The images layer's listener: ``reference``'s picture changed (fetched, failed,
        found damaged; here or, as this process found, in another). The pages showing it are
        not current any more (their version of it is not the images layer's), and the caches
        in front are purged of them."""
        with self._hot_lock:
            self.picture_changes += 1  # every hot page is checked again
        if self.picture_purged is not None:
            self.picture_purged(keys.key(keys.PICTURE, reference), self.picture_version(reference))

    def _checked(self, index: Index) -> str:
        return f"{index.version}/{self.picture_changes}"

    def hot(self, key: str, index: Index) -> StoredPage | None:
        """The page if this process holds it unpickled (no backend round trip), unexpired
        and current for ``index``."""
        entry = self._hot.get(key)
        if entry is None or entry[0] <= self.clock():
            return None  # an expired entry is replaced when the page is stored again
        expires, page, checked = entry
        now = self._checked(index)
        if checked == now:
            return page  # the common case: found current for this version already
        if not self.current(index, page):
            return None
        with self._hot_lock:  # current for this version too: found at once next time
            if self._hot.get(key) is entry:
                self._hot[key] = (expires, page, now)
        return page

    def get(self, key: str, index: Index) -> StoredPage | None:
        page = self.hot(key, index)
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
        if not self.current(index, page):
            return None  # what it shows has changed since
        self._remember(key, page, self._checked(index))
        return page

    def page_of(self, response: HTTPResponse, index: Index, pending: bool = False) -> StoredPage:
        """A page just rendered from ``index``, with the versions of what it shows; one
        showing a picture not fetched yet (``pending``) is kept by no cache for long."""
        self.renders += 1
        names, versions = self.shown(index)
        shared_max_age = (
            min(self.shared_max_age, PENDING_MAX_AGE) if pending else self.shared_max_age
        )
        return StoredPage.of(
            response,
            self.clock(),
            names,
            versions,
            shown.surrogate_headers(names),
            shared_max_age,
        )

    def store(self, key: str, page: StoredPage, index: Index, proxy_path: str = "") -> None:
        """Keep a page rendered from ``index``; ``proxy_path``: its path as a proxy in front
        keys it."""
        log.debug("rendered %s", proxy_path or key)  # (bench/soak.py counts these)
        checked = self._checked(index)
        if not self.current(index, page):
            return  # a picture it shows changed while it was rendered: it would show the old
        if self.noted is not None and proxy_path:
            self.noted(proxy_path, page.names)
        self._remember(key, page, checked)
        try:
            self.cache.set(key, page)
        except self.errors as e:
            self._failed(e)

    def _expires(self, page: StoredPage) -> float:
        return page.stored_at + self.timeout if self.timeout > 0 else math.inf

    def _remember(self, key: str, page: StoredPage, version: str) -> None:
        with self._hot_lock:
            self._hot[key] = (self._expires(page), page, version)
            self._hot.move_to_end(key)
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


def settings_fingerprint(settings: Settings) -> str:
    """A hash of the settings that shape pages: pages made with others are other pages."""
    shaping = [
        (f.name, getattr(settings, f.name))
        for f in dataclass_fields(settings)
        if f.name not in HOST_SETTINGS
    ]
    text = repr(shaping)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


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


def tell_shared_caches(response: HTTPResponse) -> HTTPResponse:
    """The keys of a response the response cache does not keep (an error page), for shared
    caches to purge it by, when they are told keys at all (``SHARED_MAX_AGE``)."""
    if get_settings().SHARED_MAX_AGE:
        for name, value in shown.surrogate_headers(shown.declared()):
            response.headers[name] = value
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
        page = pages.get(key, index) if key is not None else None
        freshness = max_age(index, get_library().clock())
        if page is None:
            response = make_response(view(*args, **kwargs))
            if key is None or response.status_code != 200 or response.cache_control.no_store:
                return response
            pending = bool(g.get("pictures_pending"))
            page = pages.page_of(response, index, pending)
            if pending:
                # A picture not fetched yet (``pictures.py``): not kept, so the next reader
                # after the fetch gets it; and not for long by any cache in front.
                freshness = min(freshness, PENDING_MAX_AGE)
            else:
                pages.store(key, page, index, proxy_path(request.environ, query))
            if query:
                pages.varying.setdefault(request_path(request.environ), query)
        status, headers, body = page.answer(
            request.environ, freshness, current_app.extensions["blog.security_headers"]
        )
        return Response(body, status=status, headers=headers)

    return wrapper


def proxy_path(environ: WSGIEnvironment, query: tuple[str, ...]) -> str:
    """A page's path as deploy/nginx-proxy.conf keys its copy: the mount path and the path,
    with the query string only for pages that depend on it (``/search``)."""
    path = environ.get("SCRIPT_NAME", "") + (environ.get("PATH_INFO") or "/")
    query_string = environ.get("QUERY_STRING", "")
    return f"{path}?{query_string}" if query and query_string else path


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

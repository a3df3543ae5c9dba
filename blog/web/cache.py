"""Response caching and HTTP freshness: keyed by content version, never invalidated.

A page is rendered once per (deploy, content version, URL) and kept in flask-caching's
backend (in-process by default, Redis for several hosts). Every page carries an ETag and a
Last-Modified, answers conditional requests with 304, and tells caches to keep it no longer
than ``HTTP_MAX_AGE`` seconds, nor past the next scheduled article's publication.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

import brotli
from flask import Flask, Response, current_app, g, make_response, request
from flask_caching import Cache
from flask_caching.backends.simplecache import SimpleCache
from werkzeug.http import http_date, parse_accept_header, parse_date, parse_etags
from werkzeug.wrappers import Response as HTTPResponse

from blog.content.index import Index
from blog.web.state import get_library

log = logging.getLogger(__name__)

HOT_PAGES = 128  # pages kept unpickled in each process, in front of the shared backend
MIN_COMPRESS = 512  # bytes: below this, compressing costs more than it saves
BROTLI_QUALITY = 5  # fast enough for the first request after an edit, smaller than gzip

try:
    from redis.exceptions import RedisError

    CACHE_ERRORS: tuple[type[Exception], ...] = (OSError, RedisError)
except ImportError:  # the redis client is only needed for the Redis backend
    CACHE_ERRORS = (OSError,)


@dataclass(frozen=True)
class Variant:
    """One coding of a stored page: its bytes and their own (strong) ETag."""

    coding: str  # "br", "gzip" or "identity"
    body: bytes
    etag: str


@dataclass(frozen=True)
class StoredPage:
    """What the response cache holds for one URL: the bytes, compressed once, and their
    validators, with header values already formatted. Everything costly happens when a page
    enters the cache, so a hit only copies bytes and headers."""

    content_type: str
    last_modified: dt.datetime | None
    last_modified_header: str | None
    variants: tuple[Variant, ...]  # best coding first, identity last

    @classmethod
    def of(cls, response: Response) -> StoredPage:
        body = response.get_data()
        content_type = response.content_type or "text/html; charset=utf-8"
        etag = hashlib.sha256(body).hexdigest()[:32]
        variants = [Variant("identity", body, etag)]
        if len(body) >= MIN_COMPRESS and _compressible(content_type):
            variants[:0] = [
                Variant("br", brotli.compress(body, quality=BROTLI_QUALITY), f"{etag}-br"),
                Variant("gzip", gzip.compress(body, compresslevel=6, mtime=0), f"{etag}-gz"),
            ]
        modified = response.last_modified
        header = http_date(modified) if modified else None
        return cls(content_type, modified, header, tuple(variants))

    def respond(self, max_age: int) -> Response:
        """This page for the current request: the best coding it accepts, 304 if it has it."""
        status, headers, body = self.answer(
            request.headers.get("Accept-Encoding"),
            request.headers.get("If-None-Match"),
            request.headers.get("If-Modified-Since"),
            max_age,
        )
        return Response(body, status=status, headers=headers)

    def answer(
        self,
        accept_encoding: str | None,
        if_none_match: str | None,
        if_modified_since: str | None,
        max_age: int,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """(status, headers, body) for a request with these headers: the one place a cached
        page becomes a response, through Flask or the fast lane (``fastlane.py``)."""
        variant = self.variants[-1]
        if len(self.variants) > 1:
            accept = parse_accept_header(accept_encoding)
            variant = next((v for v in self.variants if accept.quality(v.coding) > 0), variant)
        headers = [("ETag", f'"{variant.etag}"'), ("Cache-Control", f"public, max-age={max_age}")]
        if self.last_modified_header:
            headers.append(("Last-Modified", self.last_modified_header))
        if len(self.variants) > 1:
            headers.append(("Vary", "Accept-Encoding"))
        if self._not_modified(variant.etag, if_none_match, if_modified_since):
            return 304, headers, b""
        if variant.coding != "identity":
            headers.append(("Content-Encoding", variant.coding))
        headers.append(("Content-Type", self.content_type))
        return 200, headers, variant.body

    def _not_modified(self, etag: str, if_none_match: str | None, since: str | None) -> bool:
        """RFC 9110 conditional GET: If-None-Match first; If-Modified-Since only without it."""
        if if_none_match is not None:
            # A cache revalidating sends back exactly the ETag it was given: no parsing.
            return if_none_match == f'"{etag}"' or parse_etags(if_none_match).contains_weak(etag)
        if since is None or self.last_modified is None:
            return False
        asked = parse_date(since)
        return asked is not None and self.last_modified.replace(microsecond=0) <= asked


def _compressible(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip()
    return kind.startswith("text/") or kind.endswith(("+xml", "+json", "/xml", "/json"))


class PageCache:
    """flask-caching with the failure mode we want: an outage means uncached, not a 500."""

    def __init__(self, app: Flask) -> None:
        self.cache = Cache(app)
        self.deploy_id = str(app.config["DEPLOY_ID"])
        self._failing = False
        self._version: str | None = None  # the newest content version seen, and its time
        self._built_at: dt.datetime | None = None
        # The hottest pages, unpickled, in this process. Keys carry the content version, so
        # an entry here is never stale; it only saves the backend a round trip.
        self._hot: OrderedDict[str, StoredPage] = OrderedDict()
        self._hot_lock = threading.Lock()
        # Path → the query parameters its page varies by, as the views have said (the fast
        # lane computes the same keys from them).
        self.varying: dict[str, tuple[str, ...]] = {}

    def key(self, index: Index, url: str) -> str:
        """Pages differ by deploy, content version and absolute URL (pages carry absolute
        links built from the request's host when ``SITE_URL`` is not set)."""
        if index.version != self._version:
            self._moved_on(index)
        url = hashlib.sha256(url.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return f"page:{self.deploy_id}:{index.version}:{url}"

    def _moved_on(self, index: Index) -> None:
        """A newer content version: no key of an older one will be asked for again. In this
        process their pages are dead weight (under edits every 100 ms, 100 MB a minute
        until the threshold), so they go; a shared backend lets them age out instead."""
        if index.built_at is None or (self._built_at and index.built_at < self._built_at):
            return  # a request still on an older index: nothing to drop for it
        self._version, self._built_at = index.version, index.built_at
        with self._hot_lock:
            self._hot.clear()
        if isinstance(self.cache.cache, SimpleCache):
            self.cache.clear()

    def hot(self, key: str) -> StoredPage | None:
        """The page if this process holds it unpickled (no backend round trip)."""
        return self._hot.get(key)

    def get(self, key: str) -> StoredPage | None:
        page = self._hot.get(key)
        if page is not None:
            return page
        try:
            page = self.cache.get(key)
        except CACHE_ERRORS as e:
            self._failed(e)
            return None
        self._recovered()
        if not isinstance(page, StoredPage):
            return None
        self._remember(key, page)
        return page

    def set(self, key: str, page: StoredPage) -> None:
        self._remember(key, page)
        try:
            self.cache.set(key, page)
        except CACHE_ERRORS as e:
            self._failed(e)

    def _remember(self, key: str, page: StoredPage) -> None:
        with self._hot_lock:
            self._hot[key] = page
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
    publication."""
    if limit is None:
        limit = int(current_app.config["HTTP_MAX_AGE"])
    if index.next_publication is not None:
        limit = min(limit, max(0, math.ceil((index.next_publication - now).total_seconds())))
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
        varying = "&".join(f"{name}={request.args.get(name, '')}" for name in query)
        origin = current_app.config["SITE_URL"] or f"{request.scheme}://{request.host}"
        key = pages.key(index, f"{origin}{request.path}?{varying}")
        page = pages.get(key)
        if page is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200 or response.cache_control.no_store:
                return response
            page = StoredPage.of(response)
            pages.set(key, page)
            if query:
                pages.varying.setdefault(request.path, query)
        return page.respond(max_age(index, get_library().clock()))

    return wrapper

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
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

import brotli
from flask import Flask, Response, current_app, g, make_response, request
from flask_caching import Cache
from werkzeug.datastructures import MIMEAccept
from werkzeug.wrappers import Response as HTTPResponse

from .content import get_library
from .index import Index
from .urls import site_root

log = logging.getLogger(__name__)

MIN_COMPRESS = 512  # bytes: below this, compressing costs more than it saves
BROTLI_QUALITY = 5  # fast enough for the first request after an edit, smaller than gzip

try:
    from redis.exceptions import RedisError

    CACHE_ERRORS: tuple[type[Exception], ...] = (OSError, RedisError)
except ImportError:  # the redis client is only needed for the Redis backend
    CACHE_ERRORS = (OSError,)


@dataclass(frozen=True)
class StoredPage:
    """What the response cache holds for one URL: the bytes, compressed once, and their
    validators. Compressing at store time keeps every cached hit a plain memory copy."""

    body: bytes
    content_type: str
    etag: str
    last_modified: dt.datetime | None
    encoded: tuple[tuple[str, bytes], ...] = ()  # (coding, bytes), best first

    @classmethod
    def of(cls, response: Response) -> StoredPage:
        body = response.get_data()
        content_type = response.content_type or "text/html; charset=utf-8"
        encoded: tuple[tuple[str, bytes], ...] = ()
        if len(body) >= MIN_COMPRESS and _compressible(content_type):
            encoded = (
                ("br", brotli.compress(body, quality=BROTLI_QUALITY)),
                ("gzip", gzip.compress(body, compresslevel=6, mtime=0)),
            )
        return cls(
            body,
            content_type,
            hashlib.sha256(body).hexdigest()[:32],
            response.last_modified,
            encoded,
        )

    def response(self, accept: MIMEAccept | Any) -> Response:
        """The page in the best coding the client accepts; each coding has its own ETag."""
        coding, data = next(
            ((c, d) for c, d in self.encoded if accept.quality(c) > 0), ("identity", self.body)
        )
        response = Response(data, content_type=self.content_type)
        if self.encoded:
            response.vary.add("Accept-Encoding")
        if coding != "identity":
            response.content_encoding = coding
            response.set_etag(f"{self.etag}-{coding}")
        else:
            response.set_etag(self.etag)
        response.last_modified = self.last_modified
        return response


def _compressible(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip()
    return kind.startswith("text/") or kind.endswith(("+xml", "+json", "/xml", "/json"))


class PageCache:
    """flask-caching with the failure mode we want: an outage means uncached, not a 500."""

    def __init__(self, app: Flask) -> None:
        self.cache = Cache(app)
        self.deploy_id = str(app.config["DEPLOY_ID"])
        self._failing = False

    def key(self, index: Index, url: str) -> str:
        """Pages differ by deploy, content version and absolute URL (pages carry absolute
        links built from the request's host when ``SITE_URL`` is not set)."""
        url = hashlib.sha256(url.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return f"page:{self.deploy_id}:{index.version}:{url}"

    def get(self, key: str) -> StoredPage | None:
        try:
            page = self.cache.get(key)
        except CACHE_ERRORS as e:
            self._failed(e)
            return None
        self._recovered()
        return page if isinstance(page, StoredPage) else None

    def set(self, key: str, page: StoredPage) -> None:
        try:
            self.cache.set(key, page)
        except CACHE_ERRORS as e:
            self._failed(e)

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


def max_age(index: Index, now: dt.datetime) -> int:
    """Seconds a cache may keep a page: the setting, cut short by the next publication."""
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
        key = pages.key(index, site_root() + request.path.lstrip("/") + "?" + varying)
        page = pages.get(key)
        if page is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
            page = StoredPage.of(response)
            pages.set(key, page)
        response = page.response(request.accept_encodings)
        return set_freshness(response, index).make_conditional(request)

    return wrapper

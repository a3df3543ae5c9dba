"""Cached pages answered before Flask: the fast lane for the hottest URLs.

A cached page still cost a Flask request: a request context, URL routing, before- and
after-request hooks, a response object: a large share of a hit, and what kept cached pages
slower than a bare Flask app (bench/compare.py measures both). A ``GET`` or ``HEAD`` for a
page in this process's hot set is answered here instead, under the key the view wrapper gives it
(``PageCache.page_key``) and with the status, headers and body it would send
(``StoredPage.answer``): both from the WSGI environ, by the same functions, so the two paths
cannot drift apart. Anything else, and any miss, goes on to Flask, which fills the cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from blog.content.library import Library
from blog.web.cache import PageCache, max_age

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_REASONS = {200: "200 OK", 304: "304 Not Modified"}


class FastLane:
    """WSGI middleware in front of the Flask app (inside ``ProxyFix``, which it relies on)."""

    def __init__(
        self,
        app: WSGIApplication,
        library: Library,
        pages: PageCache,
        max_age_limit: int,
        headers: list[tuple[str, str]],
    ) -> None:
        self.app = app
        self.library = library
        self.pages = pages
        self.max_age_limit = max_age_limit  # HTTP_MAX_AGE
        self.headers = headers  # the security headers (security.py)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method == "GET" or method == "HEAD":
            index = self.library.index()
            key = self.pages.page_key(index, environ)
            page = self.pages.hot(key, index) if key is not None else None
            if page is not None:
                freshness = max_age(index, self.library.clock(), self.max_age_limit)
                status, headers, body = page.answer(environ, freshness, self.headers)
                start_response(_REASONS[status], headers)
                # No body for a 304 or a HEAD, and no write at all (b"" would cost a send).
                return [] if status == 304 or method == "HEAD" else [body]
        return self.app(environ, start_response)

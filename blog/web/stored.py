"""A page as the response cache holds it, and the one place it becomes a response.

The fast lane (``fastlane.py``) and the view wrapper (``cache.py``) both answer a request for a
cached page with ``StoredPage.answer``: the same status, headers and body from the same WSGI
environ, so the two paths cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import brotli
from werkzeug.http import http_date, parse_accept_header
from werkzeug.sansio.http import is_resource_modified
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

MIN_COMPRESS = 512  # bytes: below this, compressing costs more than it saves
BROTLI_QUALITY = 5  # fast enough for the first request after an edit, smaller than gzip

Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class Variant:
    """One coding of a stored page: its bytes, their (strong) ETag as sent and their length."""

    coding: str  # "br", "gzip" or "identity"
    body: bytes
    etag: str  # quoted: '"…"'
    length: str  # the Content-Length header's value, formatted once


def _variant(coding: str, body: bytes, etag: str) -> Variant:
    return Variant(coding, body, f'"{etag}"', str(len(body)))


@dataclass(frozen=True)
class StoredPage:
    """What the response cache holds for one URL: the bytes, compressed once, and their
    validators, with header values already formatted. Everything costly happens when a page
    enters the cache, so a hit only copies bytes and headers."""

    content_type: str
    last_modified: dt.datetime | None
    last_modified_header: str | None
    variants: tuple[Variant, ...]  # best coding first, identity last
    stored_at: float  # when it was rendered (time.time()): no copy outlives the cache's timeout
    # What it shows (``content/keys.py``) and their versions when it was rendered: it is
    # served while they are the index's.
    names: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()
    # For shared caches: ", s-maxage=N" for Cache-Control, and Surrogate-Control and the
    # keys (``shown.py``); empty when SHARED_MAX_AGE is 0.
    shared_age: str = ""
    shared: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls,
        response: Response,
        stored_at: float,
        names: tuple[str, ...] = (),
        versions: tuple[str, ...] = (),
        shared: Sequence[tuple[str, str]] = (),
        shared_max_age: int = 0,
    ) -> StoredPage:
        body = response.get_data()
        content_type = response.content_type or "text/html; charset=utf-8"
        etag = hashlib.sha256(body).hexdigest()[:32]
        variants = [_variant("identity", body, etag)]
        if len(body) >= MIN_COMPRESS and _compressible(content_type):
            variants[:0] = [
                _variant("br", brotli.compress(body, quality=BROTLI_QUALITY), f"{etag}-br"),
                _variant("gzip", gzip.compress(body, compresslevel=6, mtime=0), f"{etag}-gz"),
            ]
        modified = response.last_modified
        header = http_date(modified) if modified else None
        age = f", s-maxage={shared_max_age}" if shared_max_age else ""
        if shared_max_age:
            shared = [("Surrogate-Control", f"max-age={shared_max_age}"), *shared]
        return cls(
            content_type,
            modified,
            header,
            tuple(variants),
            stored_at,
            names,
            versions,
            age,
            tuple(shared) if shared_max_age else (),
        )

    def answer(
        self, environ: WSGIEnvironment, max_age: int, extra: Sequence[tuple[str, str]] = ()
    ) -> tuple[int, Headers, bytes]:
        """(status, headers, body) for this request: the best coding it accepts, or a 304
        carrying only what updates a stored copy (RFC 9110, 15.4.5); ``extra`` (the security
        headers) on a 200 only. The body is whole for ``HEAD`` too: its length is the
        header's, and the server (or Werkzeug) leaves it unsent."""
        variant = self._variant(environ.get("HTTP_ACCEPT_ENCODING"))
        cache_control = f"public, max-age={max_age}{self.shared_age}"
        headers = [("ETag", variant.etag), ("Cache-Control", cache_control)]
        if len(self.variants) > 1:
            headers.append(("Vary", "Accept-Encoding"))
        headers += self.shared
        if self._not_modified(variant.etag, environ):
            return 304, headers, b""
        if self.last_modified_header:
            headers.append(("Last-Modified", self.last_modified_header))
        if variant.coding != "identity":
            headers.append(("Content-Encoding", variant.coding))
        headers.append(("Content-Type", self.content_type))
        headers.append(("Content-Length", variant.length))
        headers += extra
        return 200, headers, variant.body

    def _variant(self, accept_encoding: str | None) -> Variant:
        """The first coding the request accepts; identity, which every client takes, last."""
        if len(self.variants) == 1:
            return self.variants[0]
        accept = parse_accept_header(accept_encoding)
        return next((v for v in self.variants if accept.quality(v.coding) > 0), self.variants[-1])

    def _not_modified(self, etag: str, environ: WSGIEnvironment) -> bool:
        """RFC 9110 conditional GET, by Werkzeug's rules; If-Match and If-Range are left to
        the views (a cached page is only ever read)."""
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match == etag:
            # What a revalidating cache sends: exactly the ETag it was given. The commonest
            # conditional request, and parsing it was a fifth of a fast-lane 304's time.
            return True
        since = environ.get("HTTP_IF_MODIFIED_SINCE")
        if if_none_match is None and since is None:
            return False  # most requests: nothing to compare
        return not is_resource_modified(
            http_if_none_match=if_none_match,
            # If-Modified-Since only without If-None-Match (RFC 9110, 13.1.3); Werkzeug
            # would fall back to it when If-None-Match holds no tag.
            http_if_modified_since=since if if_none_match is None else None,
            etag=etag,
            last_modified=self.last_modified,
        )


def _compressible(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip()
    return kind.startswith("text/") or kind.endswith(("+xml", "+json", "/xml", "/json"))

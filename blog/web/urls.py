"""Absolute URLs: from ``SITE_URL`` when it is set, otherwise from the request.

Feeds, sitemaps, canonical links and social cards need absolute URLs. Behind a proxy the
request's own host and scheme are only right when ``PROXY_FIX`` trusts its
``X-Forwarded-*`` headers; a production site sets ``SITE_URL``.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from blog.web.state import get_settings


def article_path(slug: str) -> str:
    """The site path of an article (without its trailing slash): the content layer's index
    is given this, to tell an alias from a live article's address."""
    return f"/news/{slug}"


def site_root() -> str:
    """The site's public origin with a trailing slash: ``https://news.example/``.

    Paths from ``url_for`` already carry any mount prefix, so this is the origin only.
    """
    configured = get_settings().SITE_URL
    return configured.rstrip("/") + "/" if configured else request.host_url


def absolute(path: str) -> str:
    """A site path (``/news/x/``) as an absolute URL."""
    return site_root() + path.lstrip("/") if path.startswith("/") else path


def external_url(endpoint: str, **values: Any) -> str:
    """``url_for`` as an absolute URL on the site's public origin."""
    if get_settings().SITE_URL:
        return absolute(url_for(endpoint, _external=False, **values))
    return url_for(endpoint, _external=True, **values)

"""WebSub: the hub (``WEBSUB_HUB``) is told of every feed that changed, so that readers who
subscribed through it get a story in seconds rather than at their next poll.

The feeds name the hub themselves (``feeds.py``: ``<atom:link rel="hub">``, JSON Feed's
``hubs``). On a change, the feeds that may differ (the site's and the deals', and those of
every category, tag and author an article that changed was or is in) are compared by the
versions of what they show (``discovery.feed_keys``), and the hub gets one
``hub.mode=publish`` per feed URL that changed, as ``Purging`` sends any purge: off the
request path, once across hosts, retried while the hub fails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Flask

from blog.content import keys
from blog.content.fields import slugify
from blog.content.index import Index
from blog.web.discovery import FEEDS, feed_keys
from blog.web.purgers import call
from blog.web.purging import Change, Target

Listing = tuple[str, str | None]  # ("site" | "deals" | a group kind, its slug)


@dataclass
class Hub:
    """A WebSub hub, told of feeds by their URLs."""

    url: str
    name: str = "websub"
    shared: bool = True  # the hub is one for all hosts

    def send(self, feed_urls: Sequence[str]) -> None:
        for feed_url in feed_urls:
            body = urlencode({"hub.mode": "publish", "hub.url": feed_url}).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            call("POST", self.url, headers, body, ok=(200, 202, 204))


class ChangedFeeds:
    """The feeds a change changed, by URL, each with its new version."""

    def __init__(self, app: Flask, site_url: str, script_name: str, feed_items: int) -> None:
        self.origin = site_url.rstrip("/")
        # URLs built as url_for builds them, with no request to build them from.
        self.adapter = app.url_map.bind("localhost", script_name=script_name or "/")
        self.feed_items = feed_items

    def __call__(self, target: Target, change: Change, names: set[str]) -> list[tuple[str, str]]:
        changed = []
        for listing in sorted(self._candidates(change, names), key=str):
            version = self._version(change.new, listing)
            if version is not None and version != self._version(change.old, listing):
                changed += [(url, version) for url in self.urls(listing)]
        return changed

    def urls(self, listing: Listing) -> list[str]:
        """The absolute URLs of a listing's feeds."""
        kind, slug = listing
        values = {"slug": slug} if slug is not None else {}
        return [
            self.origin + self.adapter.build(f"discovery.{route.endpoint}", values)
            for route in FEEDS
            if route.listing == kind
        ]

    def _candidates(self, change: Change, names: set[str]) -> set[Listing]:
        """The site's and the deals' feeds, and those of every group a changed key names or
        a changed article was or is in."""
        listings: set[Listing] = {("site", None), ("deals", None)}
        for name in names:
            kind, _, slug = name.partition(":")
            if kind in keys.GROUP_KINDS:
                listings.add((kind, slug))
            elif kind == "article":
                for index in (change.old, change.new):
                    article = index.by_slug.get(slug)
                    if article is None:
                        continue
                    if article.category:
                        listings.add(("category", slugify(article.category)))
                    listings |= {("tag", slugify(t)) for t in article.tags}
                    listings |= {("author", slugify(a)) for a in article.authors}
        return listings

    def _version(self, index: Index, listing: Listing) -> str | None:
        """What the listing's feeds show in ``index``; None when it has none."""
        kind, slug = listing
        if kind == "site":
            articles = index.articles
        elif kind == "deals":
            articles = index.deals
        else:
            groups = {"category": index.categories, "tag": index.tags, "author": index.authors}
            group = groups[kind].get(slug or "")
            if group is None:
                return None
            articles = group.articles
        names = sorted(feed_keys(kind, slug, articles[: self.feed_items]))
        text = "\0".join(f"{n}={keys.version(index, n)}" for n in names)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


FeedsOf = Callable[[Target, Change, set[str]], list[tuple[str, str]]]

"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents, and the sitemaps.

Pure builders: they take articles already turned into ``FeedItem`` (absolute URLs, sanitized
HTML) and return bytes. RSS and Atom come from feedgen, a well-kept generator, rather than
hand-built XML. A feed's bytes depend only on its items, so its ETag changes only when they do.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from blog.content.index import EPOCH
from blog.content.models import Article

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class Channel:
    """What a feed says about itself."""

    title: str
    description: str
    home_url: str
    self_url: str
    language: str
    ttl_minutes: int
    logo_url: str
    icon_url: str
    publisher: str
    hub_url: str = ""  # a WebSub hub subscribers may ask to be told of changes (WEBSUB_HUB)


@dataclass(frozen=True)
class Image:
    """A featured image as an enclosure: absolute URL, size in bytes (0: unknown), type
    (empty: guessed from the URL)."""

    url: str
    length: int
    mime: str = ""

    @property
    def type(self) -> str:
        return self.mime or mimetypes.guess_type(self.url.split("?")[0])[0] or "image/jpeg"


@dataclass(frozen=True)
class FeedItem:
    """One article as a feed shows it."""

    article: Article
    url: str
    content_html: str
    category: str | None
    image: Image | None

    @property
    def summary(self) -> str:
        return self.article.standfirst or self.article.title

    @property
    def categories(self) -> list[str]:
        """The category, then each tag; a tag that repeats the category is said once."""
        names = [*([self.category] if self.category else []), *self.article.tags]
        return list({name.lower(): name for name in reversed(names)}.values())[::-1]


def updated(items: Sequence[FeedItem]) -> dt.datetime:
    """The feed's own date: its newest item's change, so the bytes depend on the items only."""
    return max((i.article.modified for i in items), default=EPOCH)


class _AtomEnclosure(BaseEntryExtension):
    """``<link rel="enclosure">`` in an Atom entry.

    feedgen 1.0 drops every attribute but ``href`` from an Atom entry's links, which turns
    an enclosure into a second "alternate" link; this extension writes it whole.
    """

    image: Image | None = None

    def extend_atom(self, entry: Any) -> Any:
        if self.image:
            xml_elem(
                "link",
                entry,
                rel="enclosure",
                href=self.image.url,
                type=self.image.type,
                length=str(self.image.length),
            )
        return entry


class _RssHub(BaseExtension):
    """``<atom:link rel="hub">`` in an RSS channel (feedgen writes only the self link there)."""

    hub: str = ""

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        xml_elem(f"{{{ATOM}}}link", channel, href=self.hub, rel="hub")
        return rss_feed


def _generator(channel: Channel, items: Sequence[FeedItem], kind: str) -> FeedGenerator:
    feed = FeedGenerator()
    if kind == "rss":
        feed.load_extension("media", atom=False, rss=True)
        # RSS's own <author> must be an e-mail address: names go in dc:creator, one each.
        feed.load_extension("dc", atom=False, rss=True)
        if channel.hub_url:
            feed.register_extension("hub", _RssHub, atom=False, rss=True)
            feed.hub.hub = channel.hub_url
    else:
        feed.register_extension("enclosure", BaseExtension, _AtomEnclosure, atom=True, rss=False)
    feed.id(channel.home_url)
    feed.title(channel.title)
    feed.description(channel.description)
    feed.link(href=channel.self_url, rel="self")
    if channel.hub_url and kind != "rss":
        feed.link(href=channel.hub_url, rel="hub")
    feed.link(href=channel.home_url, rel="alternate")  # last: feedgen's RSS <link> is the last
    feed.language(channel.language)
    feed.author({"name": channel.publisher})
    feed.logo(channel.logo_url)
    feed.icon(channel.icon_url)
    feed.image(url=channel.logo_url, title=channel.title, link=channel.home_url)
    feed.ttl(channel.ttl_minutes)
    feed.generator("The Harbour Courier")
    feed.updated(updated(items))
    feed.lastBuildDate(updated(items))
    for item in items:
        _entry(feed, item, kind)
    return feed


def _entry(feed: FeedGenerator, item: FeedItem, kind: str) -> None:
    article = item.article
    entry = feed.add_entry(order="append")
    entry.id(item.url)
    entry.guid(item.url, permalink=True)
    entry.title(article.title)
    entry.link(href=item.url)
    entry.published(article.date)
    entry.updated(article.modified)
    if kind == "rss":
        # Readers take an RSS description as HTML: escape the standfirst so it stays text.
        entry.description(html.escape(item.summary, quote=False), isSummary=True)
    else:
        entry.summary(item.summary)  # Atom: type="text" by default
    entry.content(item.content_html, type="html")
    for name in article.authors:
        entry.author({"name": name})
        if kind == "rss":
            entry.dc.dc_creator(name)
    entry.category([{"term": name} for name in item.categories])
    if item.image and kind == "rss":
        entry.enclosure(item.image.url, item.image.length, item.image.type)
        entry.media.content(url=item.image.url, medium="image", type=item.image.type, group=None)
    elif item.image:
        entry.enclosure.image = item.image


def rss(channel: Channel, items: Sequence[FeedItem]) -> bytes:
    """An RSS 2.0 document."""
    document: bytes = _generator(channel, items, "rss").rss_str(pretty=True)
    return document


def atom(channel: Channel, items: Sequence[FeedItem]) -> bytes:
    """An Atom 1.0 (RFC 4287) document."""
    document: bytes = _generator(channel, items, "atom").atom_str(pretty=True)
    return document


def json_feed(channel: Channel, items: Sequence[FeedItem]) -> bytes:
    """A JSON Feed 1.1 document."""
    document = {
        "version": JSON_FEED_VERSION,
        "title": channel.title,
        "home_page_url": channel.home_url,
        "feed_url": channel.self_url,
        "description": channel.description,
        "icon": channel.logo_url,
        "favicon": channel.icon_url,
        "language": channel.language,
        "authors": [{"name": channel.publisher}],
        "items": [_json_item(item) for item in items],
    }
    if channel.hub_url:
        document["hubs"] = [{"type": "WebSub", "url": channel.hub_url}]
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def _json_item(item: FeedItem) -> dict[str, object]:
    article = item.article
    entry: dict[str, object] = {
        "id": item.url,
        "url": item.url,
        "title": article.title,
        "summary": item.summary,
        "content_html": item.content_html,
        "date_published": article.date.isoformat(),
        "date_modified": article.modified.isoformat(),
        "tags": item.categories,
    }
    if article.authors:
        entry["authors"] = [{"name": name} for name in article.authors]
    if item.image:
        entry["image"] = item.image.url
        attachment: dict[str, object] = {"url": item.image.url, "mime_type": item.image.type}
        if item.image.length:
            attachment["size_in_bytes"] = item.image.length
        entry["attachments"] = [attachment]
    return entry

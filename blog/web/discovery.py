"""Feeds, sitemaps and robots.txt: URL → index lookup → feeds.py builder → cached response."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from flask import Blueprint, abort, current_app, g, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response as HTTPResponse

from blog.content import archive, keys
from blog.content.archive import Period
from blog.content.fields import slugify
from blog.content.index import EPOCH, Group, Index
from blog.content.models import Article
from blog.content.tables import ArticleList
from blog.images.models import Picture
from blog.markup.render import feed_html
from blog.web import feeds, pictures
from blog.web.cache import cached_page, current_index
from blog.web.media import absolute_variant_url
from blog.web.pages import find_group, newest_change
from blog.web.shown import shows
from blog.web.state import get_html, get_images, get_library, get_settings
from blog.web.urls import absolute, external_url

bp = Blueprint("discovery", __name__)

CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
}
BUILDERS: dict[str, Callable[[feeds.Channel, Sequence[feeds.FeedItem]], bytes]] = {
    "rss": feeds.rss,
    "atom": feeds.atom,
    "json": feeds.json_feed,
}
NEWS_SITEMAP_WINDOW = dt.timedelta(hours=48)
NEWS_SITEMAP_MAX = 1000


@lru_cache(maxsize=4096)
def _static_size(static_folder: str, path: str) -> int:
    """Bytes of a file under ``static/`` (an enclosure's length); 0 when unknown."""
    file = Path(static_folder, path)
    try:
        inside = file.resolve().is_relative_to(Path(static_folder).resolve())
        return file.stat().st_size if inside else 0
    except OSError:
        return 0


def _image(article: Article) -> feeds.Image | None:
    """The enclosure: the picture's ``<img src>`` size on our origin, with its bytes; the
    image as written while the site has none of its own; nothing for one that cannot be
    shown. A size not made yet has no length: the feed is then not kept (as a page with a
    picture not fetched yet), and the next one made after it has it."""
    if not article.image:
        return None
    found = pictures.look(article.image)
    if isinstance(found, Picture):
        variant = found.fallback
        length = get_images().made_size(variant)
        if length is None:
            g.pictures_pending = True
        return feeds.Image(absolute_variant_url(variant), length or 0, variant.mime)
    if found.kind not in ("hotlink", "pending"):
        return None
    length = 0
    if article.image.startswith("/static/") and current_app.static_folder:
        length = _static_size(current_app.static_folder, article.image.removeprefix("/static/"))
    return feeds.Image(absolute(article.image), length)


def _item(article: Article) -> feeds.FeedItem:
    index = current_index()
    url = external_url("site.article", slug=article.slug)
    category = index.category_of(article)
    return feeds.FeedItem(
        article=article,
        url=url,
        content_html=str(feed_html(pictures.body_pictures(get_html().html(article), True), url)),
        category=category.name if category else None,
        image=_image(article),
    )


def _feed(
    kind: str,
    articles: Sequence[Article],
    title: str,
    home_url: str,
    self_endpoint: str,
    **values: str,
) -> HTTPResponse:
    """One feed of the newest ``FEED_ITEMS`` articles, in format ``kind``."""
    settings = get_settings()
    items = [_item(a) for a in articles[: settings.FEED_ITEMS]]
    channel = feeds.Channel(
        title=title,
        description=settings.SITE_DESCRIPTION,
        home_url=home_url,
        self_url=external_url(self_endpoint, **values),
        language=settings.SITE_LANGUAGE,
        ttl_minutes=settings.FEED_TTL,
        logo_url=absolute(settings.SITE_LOGO),
        icon_url=absolute(settings.SITE_LOGO),
        publisher=settings.SITE_NAME,
        hub_url=settings.WEBSUB_HUB,
    )
    response = make_response(BUILDERS[kind](channel, items))
    response.content_type = CONTENT_TYPES[kind]
    response.last_modified = feeds.updated(items)
    return response


class FeedRoute(NamedTuple):
    """One feed's URL rule and endpoint, its format and the listing it follows."""

    rule: str
    endpoint: str
    kind: str  # "rss", "atom" or "json"
    listing: str  # "site", "category", "tag", "author" or "deals"


FEEDS = (
    FeedRoute("/feed.xml", "site_rss", "rss", "site"),
    FeedRoute("/atom.xml", "site_atom", "atom", "site"),
    FeedRoute("/feed.json", "site_json", "json", "site"),
    FeedRoute("/category/<slug>/feed.xml", "category_rss", "rss", "category"),
    FeedRoute("/category/<slug>/atom.xml", "category_atom", "atom", "category"),
    FeedRoute("/tag/<slug>/feed.xml", "tag_rss", "rss", "tag"),
    FeedRoute("/tag/<slug>/atom.xml", "tag_atom", "atom", "tag"),
    FeedRoute("/author/<slug>/feed.xml", "author_rss", "rss", "author"),
    FeedRoute("/author/<slug>/atom.xml", "author_atom", "atom", "author"),
    FeedRoute("/deals/feed.xml", "deals_rss", "rss", "deals"),
)


@cached_page
def feed(kind: str, listing: str, slug: str | None = None) -> HTTPResponse:
    """Any feed of ``FEEDS``; other spellings of a group's slug redirect to the canonical one."""
    endpoint = str(request.endpoint)
    articles, title, home, values = _followed(listing, slug, endpoint)
    shows(*feed_keys(listing, values.get("slug"), articles[: get_settings().FEED_ITEMS]))
    return _feed(kind, articles, title, home, endpoint, **values)


def feed_keys(listing: str, slug: str | None, items: Sequence[Article]) -> set[str]:
    """What a feed shows: its listing (its title is a group's name) and its items whole,
    each with its category's name."""
    listed = {"site": keys.ALL, "deals": keys.DEALS}
    names = {listed[listing] if listing in listed else keys.key(listing, slug or "")}
    for article in items:
        names.add(keys.key("article", article.slug))
        if article.category:
            names.add(keys.key("category", slugify(article.category)))
    return names


for route in FEEDS:  # kind and listing reach the view as the rule's defaults
    bp.add_url_rule(
        route.rule, route.endpoint, feed, defaults={"kind": route.kind, "listing": route.listing}
    )


def _followed(
    listing: str, slug: str | None, endpoint: str
) -> tuple[Sequence[Article], str, str, dict[str, str]]:
    """What a feed follows: its articles, its title, the page it mirrors and its URL values."""
    index = current_index()
    site = get_settings().SITE_NAME
    if listing == "site":
        return index.articles, site, external_url("site.home"), {}
    if listing == "deals":
        return index.deals, f"{site}: {_('Deals')}", external_url("site.deals"), {}
    groups = {"category": index.categories, "tag": index.tags, "author": index.authors}[listing]
    group = find_group(groups, slug or "", endpoint)
    page = "authors.author" if listing == "author" else f"site.{listing}"
    home = external_url(page, slug=group.slug)
    return group.articles, f"{site}: {group.name}", home, {"slug": group.slug}


SitemapPage = tuple[str, dict[str, Any], dt.datetime]  # endpoint, its values, last change


def _sitemap_pages(index: Index, tz: dt.tzinfo) -> Iterator[SitemapPage]:
    """(endpoint, values, last change) of every published page worth crawling, one at a
    time: at 100,000 articles a list of them all cost a worker tens of megabytes."""
    yield ("site.home", {}, index.last_modified)
    for endpoint, groups in _group_pages(index):
        for group in groups.values():
            yield (endpoint, {"slug": group.slug}, newest_change(group.articles))
    yield from _archive_pages(index, tz)
    for slug, modified in _slugs_changed(index.articles):
        yield ("site.article", {"slug": slug}, modified)


def _group_pages(index: Index) -> list[tuple[str, Mapping[str, Group]]]:
    return [
        ("site.category", index.categories),
        ("site.tag", index.tags),
        ("authors.author", index.authors),
    ]


def _slugs_changed(articles: Sequence[Article]) -> Iterator[tuple[str, dt.datetime]]:
    if isinstance(articles, ArticleList):
        return articles.slugs_changed()
    return ((a.slug, a.modified) for a in articles)


def _page_count(index: Index, tz: dt.tzinfo) -> int:
    """How many pages ``_sitemap_pages`` gives, counted without making them."""
    groups = sum(len(groups) for _, groups in _group_pages(index))
    return 1 + groups + len(_archive_pages(index, tz)) + len(index.articles)


def _archive_pages(index: Index, tz: dt.tzinfo) -> list[SitemapPage]:
    """``/archive/``, then each year and its months, newest first."""
    if not index.articles:
        return []
    pages: list[SitemapPage] = [("archive.index", {}, index.last_modified)]
    months = list(archive.months(index.articles, tz))
    for year in dict.fromkeys(m.year for m in months):
        articles = archive.in_period(index.articles, Period(year), tz)
        pages.append(("archive.year", {"year": year}, newest_change(articles)))
        for month in (m for m in months if m.year == year):
            articles = archive.in_period(index.articles, month.period, tz)
            values = {"year": year, "month": month.month}
            pages.append(("archive.month", values, newest_change(articles)))
    return pages


def _sitemap_urls(start: int = 0, stop: int | None = None) -> list[tuple[str, dt.datetime]]:
    """The published pages worth crawling from ``start`` to ``stop``, with when each
    last changed."""
    pages = islice(_sitemap_pages(current_index(), get_library().timezone), start, stop)
    return [(external_url(e, **values), m) for e, values, m in pages]


def sitemap_parts(index: Index, limit: int, tz: dt.tzinfo) -> int:
    """How many numbered sitemaps the site has (for freeze)."""
    return _part_count(_page_count(index, tz), limit)


def _part_count(urls: int, limit: int) -> int:
    """Numbered sitemaps for ``urls`` URLs: none while one sitemap holds them all."""
    count = math.ceil(urls / limit)
    return count if count > 1 else 0


def _xml(template: str, modified: dt.datetime, **context: object) -> HTTPResponse:
    response = make_response(render_template(template, **context))
    response.content_type = CONTENT_TYPES["xml"]
    response.last_modified = modified
    return response


@bp.route("/sitemap.xml")
@cached_page
def sitemap() -> HTTPResponse:
    """The sitemap; past ``SITEMAP_MAX_URLS`` URLs, an index of numbered sitemaps."""
    index, tz = current_index(), get_library().timezone
    limit = get_settings().SITEMAP_MAX_URLS
    modified = index.last_modified
    if not _part_count(_page_count(index, tz), limit):
        return _xml("sitemap.xml", modified, urls=_sitemap_urls())
    newest: list[dt.datetime] = []  # of each part, the pages' changes read once, in order
    for n, (_endpoint, _values, changed) in enumerate(_sitemap_pages(index, tz)):
        if n % limit == 0:
            newest.append(changed)
        else:
            newest[-1] = max(newest[-1], changed)
    parts = [
        (external_url("discovery.sitemap_part", number=n + 1), changed)
        for n, changed in enumerate(newest)
    ]
    return _xml("sitemap_index.xml", modified, parts=parts)


@bp.route("/sitemap-<int:number>.xml")
@cached_page
def sitemap_part(number: int) -> HTTPResponse:
    """One numbered sitemap of the index; 404 when the sitemap fits in one file."""
    index = current_index()
    limit = get_settings().SITEMAP_MAX_URLS
    if not 1 <= number <= _part_count(_page_count(index, get_library().timezone), limit):
        abort(404)
    chunk = _sitemap_urls((number - 1) * limit, number * limit)
    return _xml("sitemap.xml", max((m for _, m in chunk), default=EPOCH), urls=chunk)


@bp.route("/news-sitemap.xml")
@cached_page
def news_sitemap() -> HTTPResponse:
    """Google News sitemap: articles of the last 48 hours, at most 1,000."""
    since = get_library().clock() - NEWS_SITEMAP_WINDOW
    recent = [a for a in current_index().articles[:NEWS_SITEMAP_MAX] if a.date >= since]
    items = [(external_url("site.article", slug=a.slug), a) for a in recent]
    return _xml("news_sitemap.xml", newest_change(recent), items=items)


@bp.route("/robots.txt")
@cached_page
def robots() -> HTTPResponse:
    """Crawl everything; here are both sitemaps."""
    shows()  # nothing of the content: it changes with the deploy only
    sitemaps = [external_url("discovery.sitemap"), external_url("discovery.news_sitemap")]
    lines = ["User-agent: *", "Allow: /", "", *(f"Sitemap: {url}" for url in sitemaps)]
    response = make_response("\n".join(lines) + "\n")
    response.content_type = "text/plain; charset=utf-8"
    response.last_modified = EPOCH
    return response

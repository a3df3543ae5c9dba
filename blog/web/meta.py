"""What a page tells search engines and social networks: canonical URL, Open Graph, Twitter
card, JSON-LD, and the feeds it can be followed by.

Built in the views (which know the page) and written out by ``base.html``; JSON-LD goes
through Jinja's ``tojson``, which escapes ``<``, ``>`` and ``&``, so no field can close the
``<script>`` element that carries it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from blog.content.fields import slugify
from blog.content.index import Group
from blog.content.models import Article
from blog.content.profiles import Profile
from blog.images.models import Picture
from blog.web import pictures
from blog.web.media import absolute_variant_url
from blog.web.state import get_settings
from blog.web.urls import absolute, external_url

FEED_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}


@dataclass(frozen=True)
class FeedLink:
    """A feed a page can be followed by: for ``<link rel="alternate">`` and the subscribe link."""

    title: str
    url: str
    kind: str

    @property
    def type(self) -> str:
        return FEED_TYPES[self.kind]

    @property
    def label(self) -> str:
        return {"rss": "RSS", "atom": "Atom", "json": _("JSON Feed")}[self.kind]


@dataclass(frozen=True)
class PageMeta:
    """Everything ``base.html`` writes into ``<head>`` about one page."""

    title: str
    description: str
    url: str
    image: str
    type: str = "website"
    published: dt.datetime | None = None
    modified: dt.datetime | None = None
    section: str | None = None
    tags: Sequence[str] = ()
    feeds: Sequence[FeedLink] = ()
    json_ld: Sequence[dict[str, Any]] = field(default_factory=tuple)
    robots: str = "index, follow, max-image-preview:large"
    image_size: tuple[int, int] | None = None  # og:image:width and height, when known


def site_feeds() -> list[FeedLink]:
    name = get_settings().SITE_NAME
    return [
        FeedLink(f"{name} (RSS)", external_url("discovery.site_rss"), "rss"),
        FeedLink(f"{name} (Atom)", external_url("discovery.site_atom"), "atom"),
        FeedLink(f"{name} (JSON Feed)", external_url("discovery.site_json"), "json"),
    ]


def group_feeds(kind: str, group: Group) -> list[FeedLink]:
    label = f"{get_settings().SITE_NAME}: {group.name}"
    return [
        FeedLink(f"{label} (RSS)", external_url(f"discovery.{kind}_rss", slug=group.slug), "rss"),
        FeedLink(
            f"{label} (Atom)", external_url(f"discovery.{kind}_atom", slug=group.slug), "atom"
        ),
    ]


def deals_feeds() -> list[FeedLink]:
    label = f"{get_settings().SITE_NAME}: {_('Deals')} (RSS)"
    return [FeedLink(label, external_url("discovery.deals_rss"), "rss")]


def _publisher() -> dict[str, Any]:
    settings = get_settings()
    return {
        "@type": "NewsMediaOrganization",
        "name": settings.SITE_NAME,
        "url": absolute("/"),
        "logo": {"@type": "ImageObject", "url": absolute(settings.SITE_LOGO)},
    }


def image_url(article: Article | None) -> str:
    """An absolute image for social cards (``og:image``): the article's picture cut to
    1200×630 on our origin; while the site has none, the image as written (a remote one not
    fetched yet, or ``IMAGE_FETCH`` off); else the site's logo."""
    return social_image(article)[0]


def social_image(article: Article | None) -> tuple[str, tuple[int, int] | None]:
    """``image_url``, with the picture's width and height when it is ours."""
    if article and article.image:
        found = pictures.look(article.image)
        if isinstance(found, Picture):
            crop = found.crop("social")
            return absolute_variant_url(crop), (crop.width, crop.height)
        if found.kind in ("hotlink", "pending"):
            return absolute(article.image), None
    return absolute(get_settings().SITE_LOGO), None


def structured_images(article: Article) -> list[str]:
    """JSON-LD ``image``: the 1:1, 4:3 and 16:9 crops search engines ask news publishers
    for, on our origin; else the one ``image_url``."""
    found = pictures.look(article.image) if article.image else None
    if isinstance(found, Picture):
        return [absolute_variant_url(found.crop(spec)) for spec in ("1x1", "4x3", "16x9")]
    return [image_url(article)]


def article_meta(article: Article, url: str, category: Group | None) -> PageMeta:
    """An article's metadata, with NewsArticle and BreadcrumbList JSON-LD."""
    news_article: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.standfirst,
        "image": structured_images(article),
        "datePublished": article.date.isoformat(),
        "dateModified": article.modified.isoformat(),
        "author": [person(name) for name in article.authors]
        if article.authors
        else [{"@type": "Organization", "name": get_settings().SITE_NAME}],
        "publisher": _publisher(),
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "keywords": list(article.tags),
        "wordCount": article.word_count,
    }
    if category:
        news_article["articleSection"] = category.name
    crumbs = [(_("Home"), absolute("/"))]
    if category:
        crumbs.append((category.name, external_url("site.category", slug=category.slug)))
    crumbs.append((article.title, url))
    image, size = social_image(article)
    return PageMeta(
        title=article.title,
        description=article.standfirst or article.title,
        url=url,
        image=image,
        image_size=size,
        type="article",
        published=article.date,
        modified=article.modified,
        section=category.name if category else None,
        tags=article.tags,
        feeds=site_feeds(),
        json_ld=(news_article, breadcrumbs(crumbs)),
    )


def breadcrumbs(crumbs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": url}
            for n, (name, url) in enumerate(crumbs, start=1)
        ],
    }


def listing_meta(
    title: str,
    description: str,
    url: str,
    entries: Sequence[tuple[str, str]],
    image: str,
    feeds: Sequence[FeedLink] = (),
    image_size: tuple[int, int] | None = None,
) -> PageMeta:
    """A listing's metadata: CollectionPage JSON-LD holding an ItemList of (name, URL)."""
    collection = {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": title,
        "description": description,
        "url": url,
        "isPartOf": {
            "@type": "WebSite",
            "name": get_settings().SITE_NAME,
            "url": absolute("/"),
        },
        "mainEntity": {
            "@type": "ItemList",
            "itemListElement": [
                {"@type": "ListItem", "position": n, "url": item_url, "name": name}
                for n, (name, item_url) in enumerate(entries, start=1)
            ],
        },
    }
    return PageMeta(
        title=title,
        description=description,
        url=url,
        image=image,
        image_size=image_size,
        feeds=feeds,
        json_ld=(collection,),
    )


def person(name: str, profile: Profile | None = None) -> dict[str, Any]:
    """A byline's ``Person``, with the URL of the author's page (and, from a profile, the
    role, photo and links)."""
    found: dict[str, Any] = {"@type": "Person", "name": name}
    if slugify(name):
        found["url"] = external_url("authors.author", slug=slugify(name))
    if profile is not None:
        if profile.role:
            found["jobTitle"] = profile.role
        if profile.photo:
            found["image"] = absolute(profile.photo)
        if profile.links:
            found["sameAs"] = [absolute(link.url) for link in profile.links]
    return found


def author_meta(
    title: str,
    description: str,
    url: str,
    name: str,
    profile: Profile | None,
    feeds: Sequence[FeedLink],
) -> PageMeta:
    """An author page's metadata: a ``ProfilePage`` whose main entity is the ``Person``."""
    profile_page = {
        "@context": "https://schema.org",
        "@type": "ProfilePage",
        "name": title,
        "description": description,
        "url": url,
        "isPartOf": {"@type": "WebSite", "name": get_settings().SITE_NAME, "url": absolute("/")},
        "mainEntity": person(name, profile),
    }
    image = absolute(profile.photo) if profile and profile.photo else image_url(None)
    return PageMeta(
        title=title,
        description=description,
        url=url,
        image=image,
        type="profile",
        feeds=feeds,
        json_ld=(profile_page,),
    )

"""URL → index lookup → template. Thin on purpose: the index already did the work."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as HTTPResponse

from blog.content import keys
from blog.content.fields import slugify
from blog.content.flags import pinned_first
from blog.content.index import EPOCH, Group
from blog.content.models import Article
from blog.content.tables import ArticleList
from blog.markup.render import table_of_contents
from blog.web import meta, previews
from blog.web.cache import cached_page, current_index, set_freshness, tell_shared_caches
from blog.web.home import Layout, front_page, home_groups
from blog.web.pagination import Page, paginate
from blog.web.pictures import body_pictures
from blog.web.shown import shows, shows_cards, shows_chrome, shows_group
from blog.web.state import get_html, get_library, get_settings
from blog.web.urls import external_url

bp = Blueprint("site", __name__)

TOC_MIN_HEADINGS = 3  # a long article with this many subheadings gets a table of contents
TOC_MIN_WORDS = 350


def render_page(template: str, modified: dt.datetime | None, **context: Any) -> HTTPResponse:
    """Render a template into a response that knows when its content last changed: its
    own content, or the breaking strip every page carries."""
    shows_chrome()
    response = make_response(render_template(template, **context))
    response.last_modified = max(modified or EPOCH, strip_changed())
    return response


def strip_changed() -> dt.datetime:
    """When the breaking strip last changed, at the latest: its newest article's change, or
    the end of a front-page flag (a strip that went; or a featured time, to err on the safe
    side), so that a page revalidated by date alone is not kept with the old strip."""
    flags = current_index().flags
    return max(newest_change(flags.breaking), flags.last_change or EPOCH)


def newest_change(articles: Sequence[Article]) -> dt.datetime:
    """When the newest change among these articles happened: a listing's Last-Modified."""
    if isinstance(articles, ArticleList):  # from the records: no article is made
        return articles.newest_change() or EPOCH
    return max((a.modified for a in articles), default=EPOCH)


def _article_entries(articles: Sequence[Article]) -> list[tuple[str, str]]:
    return [(a.title, external_url("site.article", slug=a.slug)) for a in articles]


def _listing(
    template: str,
    page: Page[Article],
    title: str,
    description: str,
    feeds: Sequence[meta.FeedLink],
    follow: Sequence[meta.FeedLink] | None = None,
    shown: Sequence[Article] | None = None,
    **context: Any,
) -> HTTPResponse:
    """A page of articles, with its metadata, its feeds and a visible link to ``follow``;
    ``shown``: the articles it shows, in order, when not only the page's items."""
    if page.number > 1:
        title = _("%(title)s, page %(number)s", title=title, number=page.number)
    shown = page.items if shown is None else shown
    shows_cards(shown)
    image, size = meta.social_image(shown[0] if shown else None)
    page_meta = meta.listing_meta(
        title,
        description,
        page.canonical_url,
        _article_entries(shown),
        image,
        feeds,
        image_size=size,
    )
    return render_page(
        template,
        newest_change(shown),
        page=page,
        meta=page_meta,
        follow=feeds if follow is None else follow,
        **context,
    )


def _group_listing(kind: str, groups: Mapping[str, Group], slug: str, number: int) -> HTTPResponse:
    """A category's or tag's page; other spellings of its slug redirect to the canonical one."""
    endpoint = f"site.{kind}"
    group = find_group(groups, slug, endpoint, number)
    shows_group(kind, group)  # its name, count and order
    articles: Sequence[Article] = group.articles
    if kind == "category":
        shows(keys.key("pinned", group.slug))
        articles = pinned_first(articles, current_index().flags.pinned.get(group.slug, ()))
    page = paginate(articles, number, endpoint, slug=group.slug)
    if kind == "category":
        description = ngettext(
            "%(num)s article in %(name)s.",
            "%(num)s articles in %(name)s.",
            group.count,
            name=group.name,
        )
    else:
        description = ngettext(
            "%(num)s article tagged %(name)s.",
            "%(num)s articles tagged %(name)s.",
            group.count,
            name=group.name,
        )
    own = meta.group_feeds(kind, group)
    return _listing(
        "group.html",
        page,
        group.name,
        description,
        [*own, *meta.site_feeds()],
        follow=own,
        group=group,
        kind=kind,
        nav_section=f"category:{group.slug}" if kind == "category" else None,
    )


def find_group(groups: Mapping[str, Group], slug: str, endpoint: str, number: int = 1) -> Group:
    """The group a URL names; other spellings redirect to its canonical URL; else 404."""
    group = groups.get(slug)
    if group is not None:
        return group
    canonical = slugify(slug)
    if canonical not in groups:
        abort(404)
    args: dict[str, Any] = {"slug": canonical}
    if number > 1:
        args["number"] = number
    abort(redirect(url_for(endpoint, **args), code=301))


# ``…/page/1/`` redirects to the listing's own URL: Werkzeug does it for routes with defaults.
@bp.route("/", defaults={"number": 1}, endpoint="home")
@bp.route("/page/<int:number>/", endpoint="home")
@cached_page
def home(number: int) -> HTTPResponse:
    """Page 1: the front page (``home.py``); the pages after it: the newest first."""
    settings = get_settings()
    index = current_index()
    page = paginate(index.articles, number, "site.home")
    layout = Layout.of(settings)
    front = front_page(index, layout) if number == 1 and index.articles else None
    shows(keys.ALL)
    if front is not None:
        # What may lead or have a block: the flags, and every category that may get one.
        shows(keys.FEATURED, keys.CATEGORIES)
        shows(*(keys.key("category", g.slug) for g in home_groups(index, layout.categories)))
    return _listing(
        "home.html",
        page,
        settings.SITE_NAME,
        settings.SITE_DESCRIPTION,
        meta.site_feeds(),
        shown=front.articles if front else None,
        front=front,
    )


def _is_long(article: Article, contents: list[tuple[str, str]]) -> bool:
    return len(contents) >= TOC_MIN_HEADINGS and article.word_count >= TOC_MIN_WORDS


def _article_page(found: Article, page_meta: meta.PageMeta, preview: bool = False) -> HTTPResponse:
    index = current_index()
    older, newer = index.neighbours(found)
    html = get_html().html(found)
    contents = table_of_contents(html)
    category = index.category_of(found)
    tags = index.tags_of(found)
    related = index.related(found)
    # Itself, its neighbours and related articles as links and cards, its groups' names
    # (whose members choose the related articles) and its authors' profiles.
    shows(keys.key("article", found.slug), keys.key("around", found.slug))
    shows_cards([older, newer, *related])
    if category is not None:
        shows(keys.key("category", category.slug))
    shows(*(keys.key("tag", group.slug) for group in tags))
    shows(*(keys.key("profile", slugify(name)) for name in found.authors))
    response = render_page(
        "article.html",
        found.modified,
        article=found,
        html=body_pictures(html),
        contents=contents if _is_long(found, contents) else [],
        category=category,
        nav_section=f"category:{category.slug}" if category else None,
        profiles=[index.profile_of(name) for name in found.authors],
        tags=tags,
        related=related,
        older=older,
        newer=newer,
        meta=page_meta,
        preview=preview,
    )
    if get_library().text_lost(found):  # headline only: no cache may keep it
        response.cache_control.no_store = True
    return response


@bp.route("/news/<slug>/")
@cached_page
def article(slug: str) -> HTTPResponse:
    index = current_index()
    found = index.by_slug.get(slug)
    if found is None:
        if slugify(slug) in index.by_slug:
            return redirect(url_for("site.article", slug=slugify(slug)), code=301)
        abort(404)
    url = external_url("site.article", slug=found.slug)
    return _article_page(found, meta.article_meta(found, url, index.category_of(found)))


@bp.route("/preview/<slug>/")
def preview_article(slug: str) -> HTTPResponse:
    """A draft or scheduled article behind a signed, expiring link: private, never cached."""
    index = current_index()
    found = index.unpublished.get(slug) or index.by_slug.get(slug)
    secret = get_settings().SECRET_KEY
    expires, given = request.args.get("expires", ""), request.args.get("signature", "")
    if found is None or not previews.is_valid(secret, slug, expires, given, time.time()):
        abort(404)
    url = external_url("site.article", slug=found.slug)
    page_meta = replace(
        meta.article_meta(found, url, index.category_of(found)), robots="noindex, nofollow"
    )
    unpublished = not found.is_published(get_library().clock())
    response = _article_page(found, page_meta, preview=unpublished)  # the banner says so
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/category/<slug>/", defaults={"number": 1}, endpoint="category")
@bp.route("/category/<slug>/page/<int:number>/", endpoint="category")
@cached_page
def category(slug: str, number: int) -> HTTPResponse:
    return _group_listing("category", current_index().categories, slug, number)


@bp.route("/tag/<slug>/", defaults={"number": 1}, endpoint="tag")
@bp.route("/tag/<slug>/page/<int:number>/", endpoint="tag")
@cached_page
def tag(slug: str, number: int) -> HTTPResponse:
    return _group_listing("tag", current_index().tags, slug, number)


@bp.route("/deals/", defaults={"number": 1}, endpoint="deals")
@bp.route("/deals/page/<int:number>/", endpoint="deals")
@cached_page
def deals(number: int) -> HTTPResponse:
    page = paginate(current_index().deals, number, "site.deals")
    shows(keys.DEALS)
    description = _("Offers and discounts our reporters found worth your time.")
    return _listing(
        "deals.html", page, _("Deals"), description, meta.deals_feeds(), nav_section="deals"
    )


def _group_index(kind: str, groups: Mapping[str, Group]) -> HTTPResponse:
    shows(keys.CATEGORIES if kind == "category" else keys.TAGS)
    title = _("Categories") if kind == "category" else _("Tags")
    site = get_settings().SITE_NAME
    entries = [(g.name, external_url(f"site.{kind}", slug=g.slug)) for g in groups.values()]
    page_meta = meta.listing_meta(
        title,
        _("Every category on %(site)s, with its number of articles.", site=site)
        if kind == "category"
        else _("Every tag on %(site)s, with its number of articles.", site=site),
        external_url(f"site.{'categories' if kind == 'category' else 'tags'}"),
        entries,
        meta.image_url(None),
        meta.site_feeds(),
    )
    return render_page(
        "groups.html",
        current_index().last_modified,
        groups=groups.values(),
        kind=kind,
        title=title,
        meta=page_meta,
    )


@bp.route("/categories/")
@cached_page
def categories() -> HTTPResponse:
    return _group_index("category", current_index().categories)


@bp.route("/tags/")
@cached_page
def tags() -> HTTPResponse:
    return _group_index("tag", current_index().tags)


@bp.app_errorhandler(400)
@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def error_page(error: HTTPException) -> HTTPResponse:
    """An old address (an article's ``aliases:``) redirects; anything else gets a helpful
    error page: what went wrong, the latest articles, the way home."""
    index = current_index()
    moved_to = index.redirect_for(request.path) if error.code == 404 else None
    if moved_to is not None:
        return set_freshness(redirect(url_for("site.article", slug=moved_to), code=301), index)
    title = _("Page not found") if error.code == 404 else str(error.name)
    page_meta = meta.PageMeta(title, title, "", meta.image_url(None), robots="noindex")
    latest = index.articles[:5]
    response = make_response(
        render_template("error.html", error=error, latest=latest, meta=page_meta),
        error.code,
    )
    if error.code == 405:
        response.headers["Allow"] = ", ".join(error.valid_methods or ())  # type: ignore[attr-defined]
    # Kept by shared caches no longer than by browsers, and purged with the latest articles
    # and the lists of sections and tags: a story published at an address readers already
    # asked for is not a 404 there for another minute.
    shows_chrome()
    shows(keys.ALL, keys.CATEGORIES, keys.TAGS)
    shows_cards(latest)
    return tell_shared_caches(set_freshness(response, index))

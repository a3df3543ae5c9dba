"""Per-page versions: a cached page is rendered again when, and only when, something it
shows changed; its keys go to shared caches in Surrogate-Key and Cache-Tag."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog import get_library
from blog.content import keys
from blog.content.index import Index
from blog.web.cache import PageCache
from tests.articles import Content
from tests.conftest import FIXED_NOW, THOROUGH, set_clock


def front(
    category: str = "", tags: str = "", authors: str = "", extra: str = "", standfirst: str = ""
) -> str:
    lines = [f"categoria: {category}"] if category else []
    if tags:
        lines.append(f'tags:\n  - "{tags}"')
    if authors:
        lines.append(f"author: {authors}")
    if standfirst:
        lines.append(f"short-description: {standfirst}")
    return "\n".join([*lines, extra] if extra else lines)


ARTICLES = {
    # name: (date, category, tags, author)
    "ferry": ("2025-01-10T09:00:00Z", "Transport", "#Harbour #Ferries", "Mira Okonjo"),
    "trams": ("2025-02-10T09:00:00Z", "Transport", "#Trams", "Tomas Reyes"),
    "bank": ("2025-03-10T09:00:00Z", "Business", "#Money", "Ada Quill"),
    "market": ("2025-04-10T09:00:00Z", "Business", "#Food", "Ada Quill"),
    "festival": ("2025-05-10T09:00:00Z", "Culture", "#Film", "Tomas Reyes"),
    "rowing": ("2025-06-10T09:00:00Z", "Sport", "#Harbour", "Mira Okonjo"),
}


def write(content: Content, name: str, title: str = "", body: str = "", **fields: str) -> None:
    date, category, tags, author = ARTICLES.get(name, ("2025-07-01T09:00:00Z", "", "", ""))
    content.article(
        f"{name}.md",
        title=title or f"The {name} story",
        date=fields.pop("date", date),
        body=body or f"The text of {name}.",
        front=front(
            fields.pop("category", category),
            fields.pop("tags", tags),
            fields.pop("authors", author),
            fields.pop("extra", ""),
            fields.pop("standfirst", ""),
        ),
    )


@pytest.fixture
def site(content: Content, make_app: Callable[..., Flask]) -> Flask:
    for name in ARTICLES:
        write(content, name)
    content.profile("mira-okonjo", "name: Mira Okonjo\nrole: Harbour reporter")
    return make_app(PER_PAGE=2)


class Renders:
    """Which URLs a client's requests rendered, rather than took from the cache."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.pages: PageCache = client.application.extensions["blog.page_cache"]

    def rendered(self, url: str) -> bool:
        before = self.pages.renders
        response = self.client.get(url)
        assert response.status_code == 200, url
        return self.pages.renders > before

    def after(self, urls: list[str]) -> set[str]:
        """Of ``urls`` (each cached first), those rendered again after the change made in
        between: call once to warm, then again."""
        return {url for url in urls if self.rendered(url)}


URLS = [
    "/",
    "/page/2/",
    "/news/ferry/",
    "/news/trams/",
    "/news/bank/",
    "/news/market/",
    "/news/festival/",
    "/news/rowing/",
    "/category/transport/",
    "/category/business/",
    "/tag/harbour/",
    "/tag/money/",
    "/author/mira-okonjo/",
    "/author/ada-quill/",
    "/categories/",
    "/tags/",
    "/archive/",
    "/2025/",
    "/feed.xml",
    "/category/business/feed.xml",
    "/tag/harbour/atom.xml",
    "/sitemap.xml",
    "/robots.txt",
]


def changed_by(site: Flask, change: Callable[[], None]) -> set[str]:
    """The URLs of ``URLS`` rendered again after ``change``, all of them cached before."""
    renders = Renders(site.test_client())
    renders.after(URLS)
    assert renders.after(URLS) == set()  # all cached now
    change()
    return renders.after(URLS)


def test_an_edit_to_an_articles_text_renders_its_page_and_full_feeds_only(
    site: Flask, content: Content
) -> None:
    changed = changed_by(site, lambda: write(content, "bank", body="A corrected text."))
    assert changed == {"/news/bank/", "/feed.xml", "/category/business/feed.xml", "/sitemap.xml"}


def test_an_edit_to_a_headline_renders_the_pages_that_show_it(
    site: Flask, content: Content
) -> None:
    changed = changed_by(site, lambda: write(content, "bank", title="Bank trims hours"))
    # Its page, its neighbours' and related articles' pages, the listings with its card,
    # the feeds that carry it; not the pages of articles that show nothing of it, nor the
    # listings it is not on.
    assert {"/news/bank/", "/news/market/", "/news/trams/", "/category/business/"} <= changed
    assert {"/", "/author/ada-quill/", "/feed.xml"} <= changed
    assert not changed & {
        "/news/ferry/",
        "/news/rowing/",
        "/category/transport/",
        "/tag/harbour/",
        "/author/mira-okonjo/",
        "/2025/",  # its first page shows newer articles
        "/categories/",
        "/tags/",
        "/robots.txt",
        "/tag/harbour/atom.xml",
    }


def test_a_new_article_renders_its_listings_and_its_neighbours(
    site: Flask, content: Content
) -> None:
    changed = changed_by(
        site, lambda: write(content, "regatta", category="Sport", tags="#Harbour", date=dt_iso(7))
    )
    assert {"/", "/tag/harbour/", "/tag/harbour/atom.xml", "/feed.xml", "/news/rowing/"} <= changed
    assert {"/categories/", "/tags/", "/archive/", "/2025/"} <= changed  # counts
    assert not changed & {"/news/bank/", "/category/business/", "/author/ada-quill/"}
    assert not changed & {"/tag/money/", "/category/business/feed.xml", "/robots.txt"}


def dt_iso(month: int) -> str:
    return f"2025-{month:02d}-20T09:00:00Z"


def test_a_profile_edit_renders_the_authors_page_and_articles(
    site: Flask, content: Content
) -> None:
    changed = changed_by(
        site, lambda: content.profile("mira-okonjo", "name: Mira Okonjo\nrole: Editor")
    )
    assert changed == {"/news/ferry/", "/news/rowing/", "/author/mira-okonjo/", "/sitemap.xml"}


def test_breaking_news_renders_every_page_that_shows_the_strip(
    site: Flask, content: Content
) -> None:
    changed = changed_by(
        site, lambda: write(content, "storm", extra="breaking: true", date="2026-11-26T11:00:00Z")
    )
    html = {url for url in URLS if not url.endswith((".xml", ".txt"))}
    assert html <= changed
    assert "/robots.txt" not in changed


def test_a_scheduled_article_renders_its_pages_when_its_time_comes(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    for name in ARTICLES:
        write(content, name)
    at = FIXED_NOW + dt.timedelta(minutes=5)
    write(content, "late", category="Culture", tags="#Film", date=at.isoformat())
    site = make_app(PER_PAGE=2)
    changed = changed_by(site, lambda: set_clock(site, at))
    assert {"/", "/feed.xml", "/archive/"} <= changed
    assert not changed & {"/news/bank/", "/tag/money/", "/category/transport/"}


def test_a_pin_that_ends_renders_its_category_only(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    for name in ARTICLES:
        write(content, name)
    end = FIXED_NOW + dt.timedelta(minutes=5)
    write(content, "ferry", extra=f"pinned_until: {end.isoformat()}")
    site = make_app(PER_PAGE=2)
    changed = changed_by(site, lambda: set_clock(site, end))
    assert changed == {"/category/transport/", "/sitemap.xml"}


def test_without_per_page_versions_any_edit_renders_every_page(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    for name in ARTICLES:
        write(content, name)
    site = make_app(CACHE_PER_PAGE=False, PER_PAGE=2)
    changed = changed_by(site, lambda: write(content, "bank", body="A corrected text."))
    assert changed == set(URLS)


@pytest.mark.parametrize("seed", range(6 if THOROUGH else 1))
def test_every_page_served_from_the_cache_is_the_page_a_render_gives_now(
    content: Content, make_app: Callable[..., Flask], seed: int
) -> None:
    """Random edits of every kind: after each, every cached page is what a render from
    scratch gives (the keys a page declares cover everything it shows)."""
    rng = random.Random(seed)
    for name in ARTICLES:
        write(content, name)
    cached = make_app(PER_PAGE=2).test_client()
    fresh_app = make_app(PER_PAGE=2)
    fresh_app.extensions["blog.page_cache"].get = lambda key, index: None
    fresh = fresh_app.test_client()
    names = [*ARTICLES, "new1", "new2"]
    categories = ["Transport", "Business", "Culture", "Sport", "business"]
    tags = ["#Harbour", "#Trams", "#Money #Food", "#Film", "#harbour #Rail", ""]
    authors = ["Mira Okonjo", "Tomas Reyes", "Ada Quill", "mira okonjo"]
    pages: PageCache = cached.application.extensions["blog.page_cache"]
    swaps: list[tuple[Index, Index, set[str]]] = []
    library = get_library(cached.application)
    library.listeners.append(lambda old, paths: swaps.append((old, library.current, paths)))
    for _ in range(12):
        name = rng.choice(names)
        roll = rng.random()
        if roll < 0.1 and (content.root / f"{name}.md").exists():
            (content.root / f"{name}.md").unlink()
        elif roll < 0.2:
            content.profile("ada-quill", f"name: Ada Quill\nrole: Desk {rng.randrange(9)}")
        else:
            write(
                content,
                name,
                title=rng.choice(["", f"Headline {rng.randrange(99)}"]),
                body=rng.choice(["", "Another text."]),
                date=dt_iso(rng.randrange(1, 12)),
                category=rng.choice(categories),
                tags=rng.choice(tags),
                authors=rng.choice(authors),
                standfirst=rng.choice(["", "A standfirst."]),
                extra=rng.choice(["", "", "deals: Yes", "breaking: true", "featured: true"]),
            )
        shown = {n for _, page, _ in list(pages._hot.values()) for n in page.names}
        for url in URLS:
            got, want = cached.get(url), fresh.get(url)
            assert (got.status_code, got.data) == (want.status_code, want.data), url
        # Shared caches are purged of every key whose version moved: of those pages show.
        for old, new, paths in swaps:
            moved = {n for n in shown if keys.version(old, n) != keys.version(new, n)}
            assert moved <= keys.changed_keys(old, new, paths), (moved, paths)
        swaps.clear()


def test_shared_caches_are_told_the_keys_and_may_keep_pages_long(
    site: Flask, make_app: Callable[..., Flask]
) -> None:
    client = make_app(SHARED_MAX_AGE=86400, PER_PAGE=2).test_client()
    for _ in range(2):  # rendered, then from the cache
        response = client.get("/news/bank/")
        assert response.headers["Cache-Control"] == "public, max-age=60, s-maxage=86400"
        assert response.headers["Surrogate-Control"] == "max-age=86400"
        surrogate = response.headers["Surrogate-Key"].split(" ")
        assert {"site", "article-bank", "around-bank", "card-market", "card-trams"} <= set(
            surrogate
        )
        assert {"category-business", "tag-money", "profile-ada-quill"} <= set(surrogate)
        assert response.headers["Cache-Tag"].split(",") == surrogate
    feed = client.get("/tag/harbour/atom.xml").headers["Surrogate-Key"].split(" ")
    assert set(feed) == {
        "everything",
        "tag-harbour",
        "article-ferry",
        "article-rowing",
        "category-transport",
        "category-sport",
    }
    assert client.get("/robots.txt").headers["Surrogate-Key"] == "everything"
    assert client.get("/sitemap.xml").headers["Surrogate-Key"] == "content everything"


def test_without_a_shared_lifetime_no_keys_are_sent(site: Flask) -> None:
    response = site.test_client().get("/news/bank/")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    for header in ("Surrogate-Key", "Cache-Tag", "Surrogate-Control"):
        assert header not in response.headers


@pytest.mark.parametrize(
    ("name", "token"),
    [
        ("site", "site"),
        ("article:harbour-trams", "article-harbour-trams"),
        ("tag:café-culture", "tag-caf%C3%A9-culture"),
        ("tag:новости", "tag-%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"),
    ],
)
def test_keys_go_to_shared_caches_as_plain_ascii_tokens(name: str, token: str) -> None:
    assert keys.token(name) == token


def test_a_very_long_slug_is_named_by_its_hash() -> None:
    long = keys.token("article:" + "word-" * 60)
    assert long.startswith("article-~") and len(long) <= keys.MAX_TOKEN
    assert long != keys.token("article:" + "word-" * 61)


def test_a_not_found_page_is_purged_when_articles_are_published(
    site: Flask, make_app: Callable[..., Flask]
) -> None:
    response = make_app(SHARED_MAX_AGE=86400, PER_PAGE=2).test_client().get("/news/regatta/")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "public, max-age=60"  # not a day
    assert {"site", "articles", "categories", "tags", "card-rowing"} <= set(
        response.headers["Surrogate-Key"].split(" ")
    )

"""495 public injection vectors, each in every field an editor controls, all at once.

The vectors (tests/data/xss-vectors.json, with the reference each comes from) go into the
title, standfirst, sections, body, category, tags, image URL and its alt text, author, slug
and aliases of one article apiece. Then every page, feed and JSON-LD block is parsed (not
grepped) for anything that could run, and headless Chromium loads every article and listing
with the Content-Security-Policy switched off, so the sanitizer is tested alone: no dialog may
open, no script may be fetched.

Every page carries every category name (the site's navigation), so checking the pages costs
the square of the corpus: minutes for all of it, which CI runs (``CI=true``); the fast suite
takes one vector in eight of each kind, in seconds.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree

from blog import create_app, get_library
from tests.articles import PUBLIC_VECTORS, corpus_article, one_in
from tests.conftest import FIXED_NOW, THOROUGH
from tests.html import elements, executable_constructs, parse
from tests.live import CHROMIUM, CHROMIUM_FLAGS, gunicorn, require_binary

ALL_VECTORS = [v["payload"] for v in PUBLIC_VECTORS]
VECTORS = ALL_VECTORS if THOROUGH else one_in(8)
RSS_HTML = ("description", "{http://purl.org/rss/1.0/modules/content/}encoded")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("injection") / "content"
    root.mkdir()
    for n, vector in enumerate(VECTORS):
        (root / f"v{n:03d}.md").write_text(corpus_article(n, vector))
    return root


@pytest.fixture(scope="module")
def app(corpus: Path) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "CONTENT_DIR": str(corpus),
            "STORE_DIR": "off",
            "FEED_ITEMS": 1000,
            "SITE_URL": "https://news.example",
        }
    )
    get_library(app).clock = lambda: FIXED_NOW
    get_library(app).load()
    return app


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def site_pages(app: Flask) -> Iterator[str]:
    index = get_library(app).index()
    yield from ("/", "/tags/", "/categories/", "/deals/", "/search?q=alert")
    yield from (f"/page/{n}/" for n in range(2, len(index.articles) // 20 + 2))
    yield from (f"/news/{article.slug}/" for article in index.articles)
    # Every card is on a page of the home listing already; group pages share its macro, so
    # a sample of them (names made of vectors) is enough, and keeps html5lib's time in check.
    yield from (f"/category/{slug}/" for slug in list(index.categories)[:40])
    yield from (f"/tag/{slug}/" for slug in list(index.tags)[:40])


def test_enough_vectors_and_nearly_all_become_articles(app: Flask) -> None:
    index = get_library(app).index()
    assert len(ALL_VECTORS) >= 150 and len(VECTORS) >= 60
    assert len(index.articles) + len(index.errors) == len(VECTORS)
    assert len(index.articles) >= 0.95 * len(VECTORS), sorted(index.errors)[:5]


def test_no_page_has_an_executable_construct_and_json_ld_stays_data(
    app: Flask, client: FlaskClient
) -> None:
    failures = []
    pages = list(site_pages(app))
    assert len(pages) > len(VECTORS)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        doc = parse(response.data)
        found = list(executable_constructs(doc))
        if found:
            failures.append((url, found))
        blocks = [s for s in elements(doc, "script") if s.get("type") == "application/ld+json"]
        assert blocks or not url.startswith("/news/"), url
        for block in blocks:
            assert isinstance(json.loads(block.text or ""), dict), url  # nothing broke out
    assert failures == []


def test_feeds_carry_no_executable_construct(client: FlaskClient) -> None:
    rss = client.get("/feed.xml").data
    atom = client.get("/atom.xml").data
    for document in (rss, atom):
        parsed = feedparser.parse(document)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert len(parsed.entries) >= 0.95 * len(VECTORS)
    html_parts = [e.text or "" for tag in RSS_HTML for e in etree.fromstring(rss).iter(tag)]
    html_parts += [
        e.text or "" for e in etree.fromstring(atom).iter("{http://www.w3.org/2005/Atom}content")
    ]
    html_parts += [item.get("content_html", "") for item in client.get("/feed.json").json["items"]]
    for markup in html_parts:
        found = list(executable_constructs(parse(f"<body>{markup}</body>"), allowed_head=False))
        assert found == [], markup[:200]


def test_old_addresses_redirect_only_to_the_site(app: Flask, client: FlaskClient) -> None:
    for path in list(get_library(app).index().redirects)[:200]:
        response = client.get(path)
        if response.status_code == 301:
            assert re.match(r"^(https://news\.example)?/news/[^/]+/$", response.location), path


@pytest.mark.server
@pytest.mark.browser
def test_no_vector_runs_in_chromium(app: Flask, corpus: Path, tmp_path: Path) -> None:
    """Every article and every page of the home listing, loaded with the CSP bypassed."""
    require_binary("chromium")
    from playwright.sync_api import sync_playwright

    content = tmp_path / "content"
    shutil.copytree(corpus, content)
    events: list[str] = []
    with gunicorn(content) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        context = browser.new_context(bypass_csp=True, java_script_enabled=True)

        def watch(route) -> None:  # type: ignore[no-untyped-def]
            request = route.request
            if request.resource_type in ("script", "xhr", "fetch", "websocket", "eventsource"):
                events.append(f"{request.resource_type} {request.url[:80]}")
            if request.url.startswith(base):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", watch)
        page = context.new_page()
        page.on(
            "dialog", lambda dialog: events.append(f"dialog {dialog.message}") or dialog.dismiss()
        )
        page.on("popup", lambda popup: events.append(f"popup {popup.url}"))
        urls = [u for u in site_pages(app) if not u.startswith(("/category/", "/tag/"))]
        for url in urls:
            response = page.goto(base + url, wait_until="load")
            assert response is not None and response.status == 200, url
        articles = [u for u in urls if u.startswith("/news/")]
        seen_on_site = list(events)
        page.set_content("<img src=x onerror=alert('control')>")  # the watcher does watch
        page.wait_for_timeout(200)
        context.close()
        browser.close()
    assert seen_on_site == []
    assert events == ["dialog control"]
    assert len(articles) == len(get_library(app).index().articles)

"""``flask freeze``: the whole site as static files, byte for byte what the app serves."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from lxml import etree

from blog.editor import freeze as freeze_module
from tests.articles import Content, article_text

BASE = "https://news.example"


def test_freeze_writes_every_page_feed_and_sitemap_as_served(
    content: Content, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    for n in range(25):
        content.write(
            f"s{n}.md",
            article_text(
                title=f"Story {n}",
                date=f"2025-01-{n + 1:02d}T00:00:00Z",
                front=f'categoria: {"Business" if n % 2 else "Sport"}\ntags:\n  - "#Harbour"\n'
                "author: Mira Okonjo",
            ),
        )
    app = make_app(SITE_URL=BASE)
    target = tmp_path / "site"
    result = app.test_cli_runner().invoke(args=["freeze", str(target)])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    sitemap = etree.fromstring((target / "sitemap.xml").read_bytes())
    locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    extra = [
        "/page/2/",
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/robots.txt",
        "/category/sport/feed.xml",
        "/tag/harbour/page/2/",
        "/author/mira-okonjo/page/2/",
        "/author/mira-okonjo/feed.xml",
        "/2025/01/page/2/",
        "/news-sitemap.xml",
    ]
    urls = [urlsplit(loc).path for loc in locs] + extra
    assert len(urls) > 30
    for url in urls:
        file = target / url.lstrip("/")
        file = file / "index.html" if url.endswith("/") else file
        assert file.read_bytes() == client.get(url, base_url=BASE).data, url
    assert (target / "404.html").exists()
    css = list((target / "assets" / "css").glob("site.*.css"))
    assert (
        len(css) == 1
        and css[0].read_bytes() == (Path(app.static_folder) / "css" / "site.css").read_bytes()
    )


def test_freeze_only_writes_just_the_pages_asked_for(
    content: Content, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    for n in range(3):
        content.article(f"s{n}.md", title=f"Story {n}")
    app = make_app(SITE_URL=BASE)
    target = tmp_path / "site"
    result = app.test_cli_runner().invoke(
        args=["freeze", str(target), "--only", "/news/s1/", "--only", "/feed.xml"]
    )
    assert result.exit_code == 0, result.output
    pages = sorted(
        str(p.relative_to(target)) for p in target.rglob("*") if p.suffix in (".html", ".xml")
    )
    assert pages == ["404.html", "feed.xml", "news/s1/index.html"]
    client = app.test_client()
    assert (target / "news/s1/index.html").read_bytes() == client.get(
        "/news/s1/", base_url=BASE
    ).data


def test_freeze_copies_uploads_and_leaves_the_editor_to_the_live_site(
    content: Content, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "tram.jpg").write_bytes(b"\xff\xd8\xff pretend")
    content.write("s.md", article_text(front="featuredimage: /media/tram.jpg"))
    app = make_app(SITE_URL=BASE, MEDIA_DIR=str(media), DECAP_BACKEND="local")
    target = tmp_path / "site"
    result = app.test_cli_runner().invoke(args=["freeze", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "media" / "tram.jpg").read_bytes() == b"\xff\xd8\xff pretend"
    assert not (target / "admin").exists()


def _story(n: int, title: str = "", category: str = "") -> str:
    return article_text(
        title=title or f"Story {n}",
        date=f"2025-01-{n + 1:02d}T00:00:00Z",
        front=f"categoria: {category or ('Business' if n % 2 else 'Sport')}\n"
        f'tags:\n  - "{"#Harbour" if n < 12 else "#Tides"}"',
    )


def _pages(target: Path) -> dict[str, bytes]:
    """Every page of a frozen site (not the 404 page, assets or static files, which every
    freeze writes, nor picture sizes, written once), by path, their mtimes set far back."""
    pages = {}
    for file in target.rglob("*"):
        rel = file.relative_to(target).as_posix()
        if file.is_file() and not rel.startswith((".", "assets/", "static/", "img/", "404")):
            pages[rel] = file.read_bytes()
            os.utime(file, ns=(0, 0))
    return pages


def _url(rel: str) -> str:
    return "/" + rel.removesuffix("index.html")


def _freeze(app: Flask, target: Path, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["freeze", str(target), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_freeze_after_an_edit_rewrites_only_the_pages_that_show_the_edited_article(
    content: Content, make_app: Callable[..., Flask], tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(freeze_module, "PARALLEL_FROM", 1)  # every core, as for a big site
    monkeypatch.setattr(freeze_module, "CHUNK", 4)
    for n in range(25):
        content.write(f"s{n}.md", _story(n))
    target = tmp_path / "site"
    first = _freeze(make_app(SITE_URL=BASE), target)
    before = _pages(target)
    content.write("s20.md", _story(20, title="Story 20, corrected"))

    app = make_app(SITE_URL=BASE)  # a new run of the command, as after a pull
    second = _freeze(app, target)

    assert "no manifest" in first and "incremental" in second
    rewritten = {rel for rel in before if (target / rel).stat().st_mtime_ns != 0}
    showing = {rel for rel, data in before.items() if b"/news/s20/" in data}
    assert rewritten == showing
    assert {"news/s20/index.html", "index.html", "feed.xml", "sitemap.xml"} <= rewritten
    assert {"news/s3/index.html", "category/business/index.html"} - rewritten
    client = app.test_client()
    for rel in before:
        assert (target / rel).read_bytes() == client.get(_url(rel), base_url=BASE).data, rel
    assert "Story 20, corrected" in (target / "news/s20/index.html").read_text()


def test_a_freeze_writes_every_page_again_when_an_article_moves_or_the_manifest_is_in_doubt(
    content: Content, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    for n in range(25):
        content.write(f"s{n}.md", _story(n))
    target = tmp_path / "site"
    _freeze(make_app(SITE_URL=BASE), target)
    before = _pages(target)
    content.write("s20.md", _story(20, category="Culture"))  # it moves between listings

    moved = _freeze(make_app(SITE_URL=BASE), target)
    (target / ".freeze-manifest.json").write_text('{"format": 1, "site"')
    damaged = _freeze(make_app(SITE_URL=BASE), target)
    full = _freeze(make_app(SITE_URL=BASE), target, "--full")
    other_origin = _freeze(make_app(SITE_URL="https://elsewhere.example"), target)
    again = _freeze(make_app(SITE_URL="https://elsewhere.example"), target)

    assert "(0 pages kept; the site changed beyond articles' texts)" in moved
    assert all((target / rel).stat().st_mtime_ns != 0 for rel in before)
    assert "(0 pages kept; manifest unreadable" in damaged
    assert "(0 pages kept; --full)" in full
    assert "(0 pages kept; the site changed" in other_origin
    assert again.startswith("wrote 2 files") and "incremental" in again  # the 404 page, CSS


def test_each_frozen_page_shows_what_it_shows_alone_not_the_pages_before_it(
    content: Content, make_app: Callable[..., Flask], tmp_path: Path, monkeypatch: Any
) -> None:
    """The command runs inside its app context, which each request reused: ``flask.g`` was
    shared by every page fetched, so each page carried the keys of all the pages before it
    (a whole freeze of 10,000 articles slowed to a page a second, each worker past 1 GB)."""
    from flask import request

    from blog.web.cache import PageCache

    for n in range(12):
        content.write(
            f"s{n}.md",
            article_text(title=f"Story {n}", date=f"2025-01-{n + 1:02d}T00:00:00Z"),
        )
    names: dict[str, tuple[str, ...]] = {}
    store = PageCache.store

    def noting(self: PageCache, key: str, page: Any, *args: Any, **kwargs: Any) -> None:
        names[request.path] = page.names
        store(self, key, page, *args, **kwargs)

    monkeypatch.setattr(PageCache, "store", noting)
    result = make_app(SITE_URL=BASE).test_cli_runner().invoke(args=["freeze", str(tmp_path)])
    assert result.exit_code == 0, result.output
    frozen, urls = dict(names), ["/", "/news/s3/", "/news/s9/", "/feed.xml"]
    assert all(url in frozen for url in urls), sorted(frozen)
    for url in urls:
        names.clear()
        make_app(SITE_URL=BASE).test_client().get(url, base_url=BASE)
        assert frozen[url] == names[url], url

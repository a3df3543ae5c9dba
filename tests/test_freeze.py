"""``flask freeze``: the whole site as static files, byte for byte what the app serves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from lxml import etree

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

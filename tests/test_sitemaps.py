"""Sitemaps and robots.txt: well-formed, valid against the sitemaps.org schemas, complete."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from lxml import etree

import blog.web.discovery
from tests.articles import Content
from tests.conftest import FIXED_NOW

SCHEMAS = Path(__file__).parent / "schemas"
NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "n": "http://www.google.com/schemas/sitemap-news/0.9",
}


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def valid(data: bytes, xsd: str) -> etree._Element:
    root = etree.fromstring(data, etree.XMLParser(recover=False))
    checker = schema(xsd)
    assert checker.validate(root), checker.error_log
    return root


@pytest.fixture
def site(content: Content) -> Content:
    content.article(
        "2025-01-01-first.md",
        title="First",
        date="2025-01-01T08:00:00Z",
        front='categoria: Business\ntags:\n  - "#Economy #Harbour"',
    )
    content.article(
        "2025-02-01-second.md",
        title="Second",
        date="2025-02-01T08:00:00Z",
        front="categoria: Sport\nupdated: 2025-02-03T12:00:00Z",
    )
    content.article("draft.md", title="Draft", front="draft: true\ncategoria: Secret")
    content.article("future.md", title="Future", date="2031-01-01T00:00:00Z")
    return content


def locs(root: etree._Element) -> dict[str, str]:
    return {
        u.findtext("s:loc", namespaces=NS): u.findtext("s:lastmod", namespaces=NS)
        for u in root.iterfind("s:url", NS)
    }


def test_sitemap_lists_every_published_page_with_lastmod(
    site: Content, client: FlaskClient
) -> None:
    response = client.get("/sitemap.xml")
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    urls = locs(valid(response.data, "sitemap.xsd"))
    base = "http://localhost"
    assert set(urls) == {
        f"{base}/",
        f"{base}/news/first/",
        f"{base}/news/second/",
        f"{base}/category/business/",
        f"{base}/category/sport/",
        f"{base}/tag/economy/",
        f"{base}/tag/harbour/",
        f"{base}/archive/",
        f"{base}/2025/",
        f"{base}/2025/01/",
        f"{base}/2025/02/",
    }
    assert urls[f"{base}/news/second/"] == "2025-02-03T12:00:00+00:00"
    assert urls[f"{base}/category/business/"] == "2025-01-01T08:00:00+00:00"
    assert urls[f"{base}/2025/01/"] == "2025-01-01T08:00:00+00:00"
    assert urls[f"{base}/2025/"] == urls[f"{base}/archive/"] == "2025-02-03T12:00:00+00:00"


def test_sitemap_becomes_an_index_past_the_limit(site: Content, make_app) -> None:
    client = make_app(SITEMAP_MAX_URLS=4).test_client()
    index = valid(client.get("/sitemap.xml").data, "siteindex.xsd")
    parts = [s.findtext("s:loc", namespaces=NS) for s in index.iterfind("s:sitemap", NS)]
    assert parts == [f"http://localhost/sitemap-{n}.xml" for n in (1, 2, 3)]
    found: dict[str, str] = {}
    for n in (1, 2, 3):
        chunk = locs(valid(client.get(f"/sitemap-{n}.xml").data, "sitemap.xsd"))
        assert 1 <= len(chunk) <= 4
        found |= chunk
    assert len(found) == 11
    assert client.get("/sitemap-4.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


def test_numbered_sitemaps_are_404_while_one_is_enough(site: Content, client: FlaskClient) -> None:
    assert client.get("/sitemap-1.xml").status_code == 404


def test_news_sitemap_holds_the_last_48_hours(content: Content, client: FlaskClient) -> None:
    for hours, name in ((1, "fresh"), (47, "yesterday"), (49, "stale")):
        date = (FIXED_NOW - dt.timedelta(hours=hours)).isoformat()
        content.article(f"{name}.md", title=f"Story {name} & more", date=date)
    root = valid(client.get("/news-sitemap.xml").data, "news-sitemap.xsd")
    titles = [u.findtext("n:news/n:title", namespaces=NS) for u in root.iterfind("s:url", NS)]
    assert titles == ["Story fresh & more", "Story yesterday & more"]
    publication = root.find("s:url/n:news/n:publication", NS)
    assert publication.findtext("n:name", namespaces=NS) == "The Harbour Courier"
    assert publication.findtext("n:language", namespaces=NS) == "en"
    date = root.findtext("s:url/n:news/n:publication_date", namespaces=NS)
    assert dt.datetime.fromisoformat(date) == FIXED_NOW - dt.timedelta(hours=1)


def test_news_sitemap_is_capped(
    content: Content, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blog.web.discovery, "NEWS_SITEMAP_MAX", 2)
    for n in range(4):
        content.article(
            f"s{n}.md", title=f"S{n}", date=(FIXED_NOW - dt.timedelta(hours=n + 1)).isoformat()
        )
    root = valid(client.get("/news-sitemap.xml").data, "news-sitemap.xsd")
    assert len(root.findall("s:url", NS)) == 2


def test_robots_allows_the_site_and_names_both_sitemaps(site: Content, client: FlaskClient) -> None:
    response = client.get("/robots.txt")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.data.decode().splitlines()
    assert "User-agent: *" in lines and "Allow: /" in lines
    assert "Disallow: /" not in lines
    assert {line for line in lines if line.startswith("Sitemap:")} == {
        "Sitemap: http://localhost/sitemap.xml",
        "Sitemap: http://localhost/news-sitemap.xml",
    }


def test_sitemaps_answer_conditional_requests(site: Content, client: FlaskClient) -> None:
    for url in ("/sitemap.xml", "/news-sitemap.xml", "/robots.txt"):
        etag = client.get(url).headers["ETag"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_the_news_schema_checks_news_entries() -> None:
    bad = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>'
        b"<loc>https://a.example/x/</loc><news:news><news:publication><news:name>A</news:name>"
        b"<news:language>en</news:language></news:publication>"
        b"<news:publication_date>yesterday</news:publication_date></news:news></url></urlset>"
    )
    assert not schema("news-sitemap.xsd").validate(etree.fromstring(bad))

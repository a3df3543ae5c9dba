"""What pages tell search engines and social networks: canonical, Open Graph, JSON-LD."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from flask.testing import FlaskClient

from tests.articles import Content
from tests.conftest import build_app
from tests.html import elements, executable_constructs, parse

LISTINGS = ["/", "/category/business/", "/tag/economy/", "/deals/", "/categories/", "/tags/"]


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """A reader's client on one business story, shared by the tests (they only read)."""
    content = Content(tmp_path_factory.mktemp("story"))
    content.article(
        "2025-03-01-harbour.md",
        title="Harbour Reopens",
        date="2025-03-01T07:45:10.118Z",
        front=(
            "featuredimage: /static/images/harbour-dawn.webp\ncategoria: Business\n"
            'tags:\n  - "#Economy #Harbour"\nshort-description: The harbour is open again.\n'
            "author: Mira Okonjo\nupdated: 2025-03-02T10:00:00+01:00\ndeals: Yes"
        ),
    )
    return build_app(content.root).test_client()


def head_meta(client: FlaskClient, url: str) -> dict[str, list[str]]:
    head = parse(client.get(url).data).find("head")
    found: dict[str, list[str]] = {}
    for meta in elements(head, "meta"):
        key = meta.get("property") or meta.get("name")
        if key:
            found.setdefault(key, []).append(meta.get("content"))
    for link in elements(head, "link"):
        found.setdefault("link:" + link.get("rel"), []).append(link.get("href"))
    return found


def json_ld(client: FlaskClient, url: str) -> list[dict]:
    head = parse(client.get(url).data).find("head")
    scripts = [s for s in elements(head, "script") if s.get("type") == "application/ld+json"]
    return [json.loads(s.text) for s in scripts]


@pytest.mark.parametrize("url", ["/news/harbour/", *LISTINGS])
def test_every_page_has_canonical_description_and_cards(reader: FlaskClient, url: str) -> None:
    meta = head_meta(reader, url)
    assert meta["link:canonical"] == ["http://localhost" + url]
    assert meta["og:url"] == ["http://localhost" + url]
    for key in (
        "description",
        "og:title",
        "og:description",
        "og:image",
        "og:type",
        "twitter:title",
        "twitter:description",
        "twitter:image",
    ):
        assert meta[key][0], key
    assert meta["twitter:card"] == ["summary_large_image"]
    # The first article's picture cut for social cards, or the logo on a listing without one.
    assert meta["og:image"][0].startswith(("http://localhost/img/", "http://localhost/static/"))


def test_article_open_graph(reader: FlaskClient) -> None:
    meta = head_meta(reader, "/news/harbour/")
    assert meta["og:type"] == ["article"]
    assert re.fullmatch(
        r"http://localhost/img/[0-9a-f]{16}-social-[0-9a-f]{10}\.jpg", meta["og:image"][0]
    )
    assert (meta["og:image:width"], meta["og:image:height"]) == (["1200"], ["630"])
    assert meta["description"] == ["The harbour is open again."]
    assert meta["article:published_time"] == ["2025-03-01T07:45:10.118000+00:00"]
    assert meta["article:modified_time"] == ["2025-03-02T09:00:00+00:00"]
    assert meta["article:section"] == ["Business"]
    assert meta["article:tag"] == ["Economy", "Harbour"]


def test_article_json_ld(reader: FlaskClient) -> None:
    news, crumbs = json_ld(reader, "/news/harbour/")
    url = "http://localhost/news/harbour/"
    assert news["@context"] == "https://schema.org" and news["@type"] == "NewsArticle"
    assert news["headline"] == "Harbour Reopens"
    assert news["description"] == "The harbour is open again."
    assert [
        re.sub(r"^http://localhost/img/[0-9a-f]{16}-|-[0-9a-f]{10}\.jpg$", "", url)
        for url in news["image"]
    ] == ["1x1", "4x3", "16x9"]
    published = dt.datetime.fromisoformat(news["datePublished"])
    modified = dt.datetime.fromisoformat(news["dateModified"])
    assert published.utcoffset() is not None and modified.utcoffset() is not None
    assert modified == dt.datetime(2025, 3, 2, 9, tzinfo=dt.UTC)
    assert news["author"] == [
        {"@type": "Person", "name": "Mira Okonjo", "url": "http://localhost/author/mira-okonjo/"}
    ]
    assert news["publisher"]["name"] == "The Harbour Courier"
    assert news["publisher"]["logo"]["url"] == "http://localhost/static/images/logo.png"
    assert news["articleSection"] == "Business"
    assert news["keywords"] == ["Economy", "Harbour"]
    assert news["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert crumbs["@type"] == "BreadcrumbList"
    assert [i["item"] for i in crumbs["itemListElement"]] == [
        "http://localhost/",
        "http://localhost/category/business/",
        url,
    ]
    assert [i["position"] for i in crumbs["itemListElement"]] == [1, 2, 3]


@pytest.mark.parametrize("url", LISTINGS)
def test_listings_carry_a_collection_page(reader: FlaskClient, url: str) -> None:
    (collection,) = json_ld(reader, url)
    assert collection["@type"] == "CollectionPage"
    assert collection["url"] == "http://localhost" + url
    items = collection["mainEntity"]["itemListElement"]
    assert collection["mainEntity"]["@type"] == "ItemList" and items
    assert all(i["url"].startswith("http://localhost/") for i in items)


def test_json_ld_cannot_be_closed_by_a_field(content: Content, client: FlaskClient) -> None:
    nasty = "</script><script>alert(1)</script><!--"
    content.article(
        "x.md",
        title=json.dumps(nasty),
        front=f"short-description: {json.dumps(nasty)}\n"
        f"categoria: {json.dumps(nasty)}\ntags:\n  - {json.dumps(nasty)}",
    )
    doc = parse(client.get("/news/x/").data)
    news = json_ld(client, "/news/x/")[0]
    assert news["headline"] == nasty and news["description"] == nasty
    assert list(executable_constructs(doc)) == []


def test_error_pages_are_not_indexed(reader: FlaskClient) -> None:
    meta = head_meta(reader, "/news/nope/")
    assert meta["robots"] == ["noindex"]
    assert "link:canonical" not in meta

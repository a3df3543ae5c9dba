"""Feeds: parsed by feedparser, XML parsed strictly, checked against the listings they follow."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree

from tests.articles import XSS_VECTORS, Content, yaml_string
from tests.conftest import build_app
from tests.html import elements, executable_constructs, parse, text_of
from tests.image_files import prepare_pictures

FEEDS = {
    "/feed.xml": "/",
    "/atom.xml": "/",
    "/feed.json": "/",
    "/category/technology/feed.xml": "/category/technology/",
    "/category/technology/atom.xml": "/category/technology/",
    "/tag/ai/feed.xml": "/tag/ai/",
    "/tag/ai/atom.xml": "/tag/ai/",
    "/deals/feed.xml": "/deals/",
}


# The <img src> size of a picture on our origin: JPEG, the widest up to 960 pixels.
FALLBACK = r"http://localhost/img/[0-9a-f]{16}-w960-[0-9a-f]{10}\.jpg"


def write_news(content: Content) -> Content:
    """Three published stories (an image on the site and one elsewhere, a deal), one
    scheduled, one draft."""
    content.article(
        "2025-03-01-tidal-trams.md",
        title="Tidal Trams Run All Night",
        date="2025-03-01T07:45:10.118Z",
        front=(
            "featuredimage: /static/images/signal-waves.webp\ncategoria: Technology\n"
            'tags:\n  - "#AI #Energy"\nshort-description: Night trams on tidal power.\n'
            "author: Mira Okonjo\nupdated: 2025-03-02T10:00:00Z\n"
            "mk1: >-\n  ### A Trial\n\n\n  See [the report](/news/robot-ferries/)[^1].\n\n\n"
            "  [^1]: The council's figures."
        ),
        body=(
            '<iframe src="https://www.youtube.com/embed/abc"></iframe>\n\n'
            "![Tram](/static/images/tide-lines.webp)"
        ),
    )
    content.article(
        "2025-02-01-robot-ferries.md",
        title="Robot Ferries Cross the Bay",
        date="2025-02-01T09:00:00Z",
        front=(
            "featuredimage: https://images.example.org/ferry.jpg\ncategoria: technology\n"
            'tags:\n  - "#ai #Boats"'
        ),
    )
    content.article(
        "2025-01-15-bank-hours.md",
        title="Bank Trims Branch Hours",
        date="2025-01-15T09:00:00Z",
        front="categoria: Business\ntags: Economy, Banking\ndeals: Yes",
    )
    content.article(
        "2031-01-01-future.md",
        title="Future",
        date="2031-01-01T00:00:00Z",
        front="categoria: Technology",
    )
    content.article("draft.md", title="Draft", front="draft: true\ncategoria: Technology")
    return content


@pytest.fixture
def news(content: Content) -> Content:
    """The stories in this test's own folder, for a test that edits them or needs its own
    settings."""
    return write_news(content)


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """A reader's client on the stories, one app for the tests that only read them, with
    the pictures of the site's own images made (as the background would have)."""
    app = build_app(write_news(Content(tmp_path_factory.mktemp("news"))).root)
    prepare_pictures(app)
    return app.test_client()


def parse_feed(response, sanitize: bool = True) -> feedparser.FeedParserDict:
    """An RSS or Atom response through feedparser, which must find nothing wrong with it.

    ``sanitize=False`` shows the markup exactly as the feed carries it.
    """
    feed = feedparser.parse(response.data, sanitize_html=sanitize)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def entry_links(response) -> list[str]:
    """The links of a feed's entries, in order (JSON Feed read as JSON: feedparser 6 can't)."""
    if response.headers["Content-Type"].startswith("application/feed+json"):
        return [item["url"] for item in json.loads(response.data)["items"]]
    return [entry.link for entry in parse_feed(response).entries]


def listing_links(client: FlaskClient, url: str) -> list[str]:
    main = parse(client.get(url).data).find(".//main")
    hrefs = [
        a.get("href") for a in elements(main, "a") if (a.get("href") or "").startswith("/news/")
    ]
    return ["http://localhost" + h for h in dict.fromkeys(hrefs)]


@pytest.mark.parametrize(("feed_url", "listing_url"), FEEDS.items())
def test_feed_parses_cleanly_and_follows_its_listing(
    reader: FlaskClient, feed_url: str, listing_url: str
) -> None:
    response = reader.get(feed_url)
    assert response.status_code == 200
    assert entry_links(response) == listing_links(reader, listing_url)


@pytest.mark.parametrize("feed_url", [u for u in FEEDS if u.endswith(".xml")])
def test_feed_xml_is_strictly_well_formed(reader: FlaskClient, feed_url: str) -> None:
    etree.fromstring(reader.get(feed_url).data, etree.XMLParser(recover=False))


@pytest.mark.parametrize(
    ("feed_url", "content_type"),
    [
        ("/feed.xml", "application/rss+xml; charset=utf-8"),
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
    ],
)
def test_feeds_have_their_content_type(
    reader: FlaskClient, feed_url: str, content_type: str
) -> None:
    assert reader.get(feed_url).headers["Content-Type"] == content_type


def rss_channel(client: FlaskClient, url: str = "/feed.xml") -> etree._Element:
    return etree.fromstring(client.get(url).data).find("channel")


def test_rss_channel_metadata(reader: FlaskClient) -> None:
    channel = rss_channel(reader, "/category/technology/feed.xml")
    atom_ns = "{http://www.w3.org/2005/Atom}"
    assert channel.findtext("title") == "The Harbour Courier: Technology"
    assert channel.findtext("link") == "http://localhost/category/technology/"
    assert channel.findtext("description")
    assert channel.findtext("language") == "en"
    assert channel.findtext("lastBuildDate") == "Sun, 02 Mar 2025 10:00:00 +0000"
    assert channel.findtext("ttl") == "15"
    assert channel.find("image").findtext("url") == "http://localhost/static/images/logo.png"
    self_link = channel.find(f"{atom_ns}link")
    assert (self_link.get("rel"), self_link.get("href")) == (
        "self",
        "http://localhost/category/technology/feed.xml",
    )


def test_rss_item_details(reader: FlaskClient) -> None:
    item = rss_channel(reader).find("item")
    url = "http://localhost/news/tidal-trams/"
    guid = item.find("guid")
    assert (guid.text, guid.get("isPermaLink")) == (url, "true")
    assert item.findtext("pubDate") == "Sat, 01 Mar 2025 07:45:10 +0000"
    assert item.findtext("description") == "Night trams on tidal power."
    assert [c.text for c in item.findall("category")] == ["Technology", "AI", "Energy"]
    enclosure = item.find("enclosure")
    assert re.fullmatch(FALLBACK, enclosure.get("url"))
    image = reader.get(enclosure.get("url").removeprefix("http://localhost"))
    assert enclosure.get("type") == "image/jpeg" == image.mimetype
    assert int(enclosure.get("length")) == len(image.data)
    media = item.find("{http://search.yahoo.com/mrss/}content")
    assert media.get("url") == enclosure.get("url") and media.get("medium") == "image"


def test_atom_entry_details(reader: FlaskClient) -> None:
    feed = parse_feed(reader.get("/atom.xml"))
    entry = feed.entries[0]
    assert entry.id == "http://localhost/news/tidal-trams/"
    assert entry.published == "2025-03-01T07:45:10.118000+00:00"
    assert entry.updated == "2025-03-02T10:00:00+00:00"
    assert entry.summary == "Night trams on tidal power."
    assert entry.content[0].type == "text/html"
    assert [t.term for t in entry.tags] == ["Technology", "AI", "Energy"]
    enclosures = [link for link in entry.links if link.rel == "enclosure"]
    assert [re.fullmatch(FALLBACK, e.href) is not None for e in enclosures] == [True]
    assert enclosures[0].type == "image/jpeg" and int(enclosures[0].length) > 0
    assert feed.feed.id == "http://localhost/"
    self_links = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_links == ["http://localhost/atom.xml"]


def test_json_feed(reader: FlaskClient) -> None:
    feed = json.loads(reader.get("/feed.json").data)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "http://localhost/feed.json"
    first = feed["items"][0]
    assert first["id"] == first["url"] == "http://localhost/news/tidal-trams/"
    assert first["date_published"] == "2025-03-01T07:45:10.118000+00:00"
    assert first["date_modified"] == "2025-03-02T10:00:00+00:00"
    assert re.fullmatch(FALLBACK, first["image"])
    (attachment,) = first["attachments"]
    assert attachment["url"] == first["image"] and attachment["mime_type"] == "image/jpeg"
    assert attachment["size_in_bytes"] == len(reader.get(first["image"]).data)
    assert first["tags"] == ["Technology", "AI", "Energy"]
    assert feed["items"][1]["image"] == "https://images.example.org/ferry.jpg"


def first_content(client: FlaskClient, feed_url: str) -> str:
    response = client.get(feed_url)
    if feed_url.endswith(".json"):
        return str(json.loads(response.data)["items"][0]["content_html"])
    return str(parse_feed(response, sanitize=False).entries[0].content[0].value)


@pytest.mark.parametrize("feed_url", ["/feed.xml", "/atom.xml", "/feed.json"])
def test_feed_content_is_the_full_article_with_absolute_urls(
    reader: FlaskClient, feed_url: str
) -> None:
    doc = parse(first_content(reader, feed_url))
    assert "A Trial" in text_of(doc) and "The council's figures." in text_of(doc)
    urls = [e.get("href") or e.get("src") for e in elements(doc) if e.get("href") or e.get("src")]
    assert urls and all(u.startswith(("http://localhost/", "https://")) for u in urls), urls
    assert "http://localhost/news/robot-ferries/" in urls
    assert [u for u in urls if re.fullmatch(FALLBACK, u)]  # the body's picture, on our origin
    assert "http://localhost/news/tidal-trams/#fn:1" in urls
    assert elements(doc, "iframe") == []  # readers drop frames: the embed is a link
    assert "https://www.youtube.com/embed/abc" in urls


def test_feed_items_are_limited_by_the_setting(news: Content, make_app) -> None:
    client = make_app(FEED_ITEMS=2).test_client()
    for url in ("/feed.xml", "/atom.xml", "/feed.json"):
        assert len(entry_links(client.get(url))) == 2


@pytest.mark.parametrize("feed_url", ["/feed.xml", "/atom.xml", "/feed.json"])
def test_no_script_survives_into_any_feed(
    content: Content, make_app: Callable[..., Flask], feed_url: str
) -> None:
    for n, vector in enumerate(XSS_VECTORS):
        quoted = yaml_string(vector)
        tags = yaml_string("#x " + vector)
        front = f"short-description: {quoted}\ntags:\n  - {tags}\nmk1: {quoted}"
        content.article(
            f"hostile-{n}.md", title=quoted, date="2025-01-01", front=front, body=vector
        )
    client = make_app(FEED_ITEMS=len(XSS_VECTORS)).test_client()
    response = client.get(feed_url)
    if feed_url.endswith(".json"):
        items = json.loads(response.data)["items"]
        # JSON Feed: content_html is HTML; title and summary are plain text.
        markup = [item["content_html"] for item in items]
    else:
        entries = parse_feed(response, sanitize=False).entries
        items = entries
        # As the feed carries them, before any reader's own sanitizer: whatever a reader
        # takes as HTML (content, RSS descriptions; an Atom summary is declared text).
        details = [c for e in entries for c in e.get("content", [])]
        details += [e.summary_detail for e in entries]
        markup = [d.value for d in details if d.type == "text/html"]
        assert len(markup) >= len(XSS_VECTORS)
    assert len(items) == len(XSS_VECTORS)
    for html in markup:
        assert list(executable_constructs(parse(f"<body>{html}</body>"))) == [], html


def test_conditional_get_on_feeds(reader: FlaskClient) -> None:
    for url in ("/feed.xml", "/atom.xml", "/feed.json", "/tag/ai/feed.xml"):
        first = reader.get(url)
        assert first.headers["Last-Modified"] == "Sun, 02 Mar 2025 10:00:00 GMT"
        assert reader.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        since = {"If-Modified-Since": first.headers["Last-Modified"]}
        assert reader.get(url, headers=since).status_code == 304


def test_edit_changes_only_the_feeds_that_carry_it(news: Content, client: FlaskClient) -> None:
    before = {
        u: client.get(u).headers["ETag"]
        for u in ("/category/technology/feed.xml", "/category/business/feed.xml", "/feed.xml")
    }
    news.article(
        "2025-02-01-robot-ferries.md",
        title="Robot Ferries Cross the Bay, Again",
        date="2025-02-01T09:00:00Z",
        front="categoria: Technology",
    )
    after = {u: client.get(u).headers["ETag"] for u in before}
    assert after["/category/technology/feed.xml"] != before["/category/technology/feed.xml"]
    assert after["/feed.xml"] != before["/feed.xml"]
    assert after["/category/business/feed.xml"] == before["/category/business/feed.xml"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/category/Technology/feed.xml", 301),
        ("/category/nope/feed.xml", 404),
        ("/tag/nope/atom.xml", 404),
        ("/category/travel/feed.xml", 404),
    ],
)
def test_feed_urls_for_unknown_or_respelled_groups(
    reader: FlaskClient, url: str, status: int
) -> None:
    assert reader.get(url).status_code == status


def test_absolute_urls_come_from_site_url(news: Content, make_app) -> None:
    client = make_app(SITE_URL="https://news.example").test_client()
    feed = parse_feed(client.get("/feed.xml"))
    assert feed.entries[0].link == "https://news.example/news/tidal-trams/"


def test_absolute_urls_come_from_the_request_host(reader: FlaskClient) -> None:
    feed = parse_feed(reader.get("/feed.xml", base_url="https://mirror.example"))
    assert feed.entries[0].link == "https://mirror.example/news/tidal-trams/"


@pytest.mark.parametrize(
    ("hops", "expected"),
    [
        (1, "https://public.example/news/tidal-trams/"),
        (0, "http://localhost/news/tidal-trams/"),
    ],
)
def test_forwarded_headers_are_honoured_only_when_trusted(
    news: Content, make_app, hops: int, expected: str
) -> None:
    client = make_app(PROXY_FIX=hops).test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example"}
    feed = parse_feed(client.get("/feed.xml", headers=headers))
    assert feed.entries[0].link == expected


@pytest.mark.parametrize(
    ("page", "feeds"),
    [
        ("/", {"/feed.xml", "/atom.xml", "/feed.json"}),
        (
            "/category/technology/",
            {"/category/technology/feed.xml", "/category/technology/atom.xml"},
        ),
        ("/tag/ai/", {"/tag/ai/feed.xml", "/tag/ai/atom.xml"}),
        ("/deals/", {"/deals/feed.xml"}),
    ],
)
def test_listings_link_their_feeds(reader: FlaskClient, page: str, feeds: set[str]) -> None:
    doc = parse(reader.get(page).data)
    alternates = {
        link.get("href").removeprefix("http://localhost")
        for link in elements(doc.find("head"), "link")
        if link.get("rel") == "alternate"
    }
    assert feeds <= alternates
    visible = {
        a.get("href").removeprefix("http://localhost") for a in elements(doc.find("body"), "a")
    }
    assert feeds <= visible
    for feed in feeds:
        assert reader.get(feed).status_code == 200
        if not feed.endswith(".json"):
            parse_feed(reader.get(feed))


@pytest.mark.parametrize("url", ["/feed.xml", "/atom.xml", "/feed.json", "/sitemap.xml", "/"])
def test_control_characters_in_any_field_never_break_a_feed(
    content: Content, client: FlaskClient, url: str
) -> None:
    # YAML escapes reach every field: bell, NUL, vertical tab, escape, U+FFFE.
    nasty = '"Bell\\x07 NUL\\0 VT\\v ESC\\e not\\uFFFE"'
    content.article(
        "2025-01-02-nasty.md",
        title=nasty,
        date="2025-01-02T00:00:00Z",
        front=(
            f"short-description: {nasty}\ncategoria: {nasty}\ntags:\n  - {nasty}\n"
            f"author: {nasty}\nmk1: {nasty}"
        ),
        body="Body \x01 with \x1b controls.",
    )
    response = client.get(url)
    assert response.status_code == 200
    if url.endswith(".xml"):
        etree.fromstring(response.data)  # well-formed XML
    if url in ("/feed.xml", "/atom.xml"):
        parsed = feedparser.parse(response.data)
        assert not parsed.bozo
        assert parsed.entries[0].title == "Bell NUL VT ESC not"

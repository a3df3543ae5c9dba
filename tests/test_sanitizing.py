"""Nothing an editor writes can run script in a reader's browser.

Each vector goes into every field an editor controls; the served pages are parsed (as a
browser would) and must hold no executable construct.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from blog.web.state import get_html, get_library
from tests.articles import XSS_VECTORS, Content, hostile_article
from tests.html import elements, executable_constructs, parse


def pages_to_check(client: FlaskClient) -> Iterator[tuple[str, int, ET.Element]]:
    """The article, the listings, and every category and tag page the home page and the
    article link to: each URL with its status and its page, fetched and parsed once."""
    urls = ["/", "/news/hostile/", "/tags/", "/categories/", "/deals/", "/nope/"]
    for url in urls:  # grows with the links found on the first two
        response = client.get(url)
        doc = parse(response.data)
        if url in ("/", "/news/hostile/"):
            for a in elements(doc, "a"):
                href = a.get("href") or ""
                if href.startswith(("/category/", "/tag/")) and href not in urls:
                    urls.append(href)
        yield url, response.status_code, doc


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_no_vector_survives_in_any_field(
    content: Content, client: FlaskClient, vector: str
) -> None:
    content.write("2025-06-02-hostile.md", hostile_article(vector))
    for url, status, doc in pages_to_check(client):
        assert status == (404 if url == "/nope/" else 200), url
        found = list(executable_constructs(doc))
        assert found == [], (url, found)


def test_enough_vectors() -> None:
    assert len(XSS_VECTORS) >= 30


def test_pasted_fragments_comments_and_styles_are_removed(
    content: Content, client: FlaskClient
) -> None:
    content.article(
        "x.md",
        body=(
            '<!--StartFragment-->\n\n<p dir="ltr">'
            '<span style="font-weight:400">Kept text</span></p>'
            "\n\n<!--EndFragment-->"
        ),
    )
    data = client.get("/news/x/").data.decode()
    assert "StartFragment" not in data and "EndFragment" not in data
    assert "Kept text" in data and "font-weight" not in data


def test_script_contents_do_not_leak_as_text(content: Content, client: FlaskClient) -> None:
    content.article("x.md", body="Before.\n\n<script>var leaked = 1;</script>\n\nAfter.")
    data = client.get("/news/x/").data.decode()
    assert "leaked" not in data and "After." in data


def test_embed_from_allowed_host_is_sandboxed_and_lazy(
    content: Content, client: FlaskClient
) -> None:
    content.article(
        "x.md",
        body=(
            '<iframe src="https://www.youtube.com/embed/abc123" width="560" height="315" '
            'frameborder="0" allowfullscreen sandbox="allow-top-navigation"></iframe>'
        ),
    )
    frames = elements(parse(client.get("/news/x/").data), "iframe")
    assert len(frames) == 1
    frame = frames[0]
    assert frame.get("src") == "https://www.youtube.com/embed/abc123"
    assert "allow-top-navigation" not in frame.get("sandbox")
    assert frame.get("loading") == "lazy"


@pytest.mark.parametrize(
    "src",
    [
        "http://www.youtube.com/embed/abc",  # not https
        "https://evil.example/embed/abc",
        "https://www.youtube.com.evil.example/embed/abc",
    ],
)
def test_embed_from_elsewhere_is_dropped(content: Content, client: FlaskClient, src: str) -> None:
    content.article("x.md", body=f'<iframe src="{src}"></iframe>\n\nAfter.')
    assert elements(parse(client.get("/news/x/").data), "iframe") == []


def test_embed_hosts_are_a_setting(content: Content, make_app) -> None:
    content.article("x.md", body='<iframe src="https://video.example/embed/1"></iframe>')
    client = make_app(EMBED_HOSTS=["video.example"]).test_client()
    assert len(elements(parse(client.get("/news/x/").data), "iframe")) == 1


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("https://example.org/a", True),
        ("http://example.org/a", True),
        ("mailto:desk@example.org", True),
        ("/news/other/", True),
        ("#fn:1", True),
        ("javascript:alert(1)", False),
        ("ftp://example.org/f", False),
        ("tel:123", False),
    ],
)
def test_link_schemes(content: Content, client: FlaskClient, href: str, kept: bool) -> None:
    content.article("x.md", body=f'<a href="{href}">the link</a>')
    body = parse(client.get("/news/x/").data).find(".//div[@class='story-body']")
    links = [a for a in elements(body, "a") if "the link" in "".join(a.itertext())]
    assert (links[0].get("href") == href) is kept


@pytest.mark.parametrize(
    ("src", "kept"),
    [
        ("https://example.org/a.webp", True),
        ("/static/images/a.webp", True),
        ("mailto:x@example.org", False),
        ("data:image/png;base64,AAAA", False),
    ],
)
def test_image_schemes(content: Content, client: FlaskClient, src: str, kept: bool) -> None:
    content.article("x.md", body=f'<img src="{src}" alt="pic">')
    # The sanitizer's output: pages then make each image kept a picture of ours, or leave
    # it out when there is none (tests/test_picture_pages.py).
    app = client.application
    html = get_html(app).html(get_library(app).index().by_slug["x"])
    body = parse(f"<div>{html}</div>")
    assert bool([i for i in elements(body, "img") if i.get("src") == src]) is kept


def test_allowed_structure_survives(content: Content, client: FlaskClient) -> None:
    content.article(
        "x.md",
        body=(
            "## Sub\n\n> quoted\n\n`code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            '<figure><img src="/static/images/tide-lines.webp" alt="x"><figcaption>Cap</figcaption>'
            "</figure>\n\n"
            "Text[^1] with *em* and **strong**<br>\n\n[^1]: A note."
        ),
    )
    body = parse(client.get("/news/x/").data).find(".//div[@class='story-body']")
    tags = {e.tag for e in elements(body)}
    assert {
        "h2",
        "blockquote",
        "code",
        "table",
        "td",
        "figure",
        "figcaption",
        "img",
        "em",
        "strong",
        "br",
        "sup",
        "ol",
    } <= tags


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href='javascript:x'>a</a>",
        "<iframe src='https://a.example'></iframe>",
        "<p style='x'>s</p>",
        "<svg></svg>",
        "<form></form>",
        "<a href=' JaVa\tScript:x'>a</a>",
    ],
)
def test_the_checker_itself_finds_executable_constructs(markup: str) -> None:
    assert list(executable_constructs(parse(f"<body>{markup}</body>")))


@pytest.mark.parametrize(
    "markup",
    [
        "<img src=\"javas<!-- -->cript:alert('XSS')\">",  # a relative URL to a browser
        "<a href='/news/a:b/'>a</a>",
        "<a href='https://news.example/x'>a</a>",
        "<a href='#note:1'>a</a>",
    ],
)
def test_the_checker_does_not_flag_what_a_browser_reads_as_harmless(markup: str) -> None:
    assert list(executable_constructs(parse(f"<body>{markup}</body>"))) == []

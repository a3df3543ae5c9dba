"""Every page and URL, through the real app on real files."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.articles import Content
from tests.conftest import build_app
from tests.html import elements, parse, text_of


def day(n: int) -> str:
    """An ISO date n days into 2025 (n from 0), in the editors' millisecond shape."""
    return f"2025-{1 + n // 28:02d}-{1 + n % 28:02d}T08:00:00.000Z"


def write_news(content: Content) -> Content:
    """A small newsroom: categories, hashtag tags with mixed casing, a deal, a draft."""
    content.article(
        "2025-03-01-tidal-trams.md",
        title="Tidal Trams Run All Night",
        date="2025-03-01T07:45:10.118Z",
        front=(
            "featuredimage: /static/images/tide-lines.webp\ncategoria: Technology\n"
            'deals: No\ntags:\n  - "#AI #Energy #Transport"\n'
            "short-description: Three port cities will run night trams\n  on tidal power.\n"
            "author: Mira Okonjo\n"
            "mk1: >-\n  <!--StartFragment-->\n\n\n  ### A Trial That Paid\n\n\n"
            "  First section.\n\n\n  <!--EndFragment-->\n"
            "mk2: >-\n  Second section."
        ),
        body=(
            "<!--StartFragment-->\n\n**At a Glance:**\n\n* one\n* two\n\n- - -\n\n"
            "The body.\n\n<!--EndFragment-->"
        ),
    )
    content.article(
        "2025-02-01-robot-ferries.md",
        title="Robot Ferries Cross the Bay",
        date="2025-02-01T09:00:00Z",
        front='categoria: technology\ntags:\n  - "#ai #Boats"',
    )
    content.article(
        "2025-01-15-bank-hours.md",
        title="Bank Trims Branch Hours",
        date="2025-01-15T09:00:00Z",
        front="categoria: Business\ntags: Economy, Banking\ndeals: Yes",
    )
    content.article(
        "2025-01-10-old-news.md",
        title="Old News Without Category",
        date="2025-01-10",
    )
    content.article(
        "2025-04-01-secret.md",
        title="Draft Story",
        date="2025-04-01T00:00:00Z",
        front="draft: true\ncategoria: Technology",
    )
    content.article(
        "2031-03-01-bridge.md",
        title="Bridge Opens",
        date="2031-03-01T08:00:00.000Z",
        front="categoria: Travel",
    )
    return content


def write_archive(content: Content) -> Content:
    """Forty-five stories, a day apart: three pages of the home listing."""
    for n in range(45):
        content.article(f"a{n:03d}.md", title=f"Story {n}", date=day(n))
    return content


# The tests that only read share an app per module: building one costs more than most tests.


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """A reader's client on the small newsroom."""
    return build_app(write_news(Content(tmp_path_factory.mktemp("news"))).root).test_client()


@pytest.fixture(scope="module")
def archive_reader(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """A reader's client on the forty-five stories."""
    return build_app(write_archive(Content(tmp_path_factory.mktemp("archive"))).root).test_client()


def get_html(client: FlaskClient, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return parse(response.data)


def article_links(doc) -> list[str]:
    return [a.get("href") for a in elements(doc, "a") if (a.get("href") or "").startswith("/news/")]


def unique(seq: list[str]) -> list[str]:
    return list(dict.fromkeys(seq))


def test_home_lists_published_articles_newest_first(reader: FlaskClient) -> None:
    doc = get_html(reader, "/")
    main = doc.find(".//main")
    assert unique(article_links(main)) == [
        "/news/tidal-trams/",
        "/news/robot-ferries/",
        "/news/bank-hours/",
        "/news/old-news/",
    ]


def test_home_leads_with_the_newest_story_and_its_image(reader: FlaskClient) -> None:
    doc = get_html(reader, "/")
    lead = [a for a in elements(doc, "article") if "lead" in a.get("class", "")][0]
    assert "Tidal Trams Run All Night" in text_of(lead)
    (picture,) = elements(lead, "picture")
    assert elements(picture, "img")[0].get("src").startswith("/img/")


def test_drafts_and_scheduled_articles_are_neither_listed_nor_served(reader: FlaskClient) -> None:
    links = article_links(get_html(reader, "/"))
    assert "/news/secret/" not in links and "/news/bridge/" not in links
    assert reader.get("/news/secret/").status_code == 404
    assert reader.get("/news/bridge/").status_code == 404
    assert reader.get("/category/travel/").status_code == 404


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/page/2/", 200),
        ("/page/3/", 200),
        ("/page/4/", 404),
        ("/page/0/", 404),
        ("/page/x/", 404),
        ("/page/-1/", 404),
        ("/page/99999999999999999999999/", 404),
    ],
)
def test_home_pagination_edges(archive_reader: FlaskClient, url: str, status: int) -> None:
    assert archive_reader.get(url).status_code == status


def test_home_pages_hold_twenty_articles_each(archive_reader: FlaskClient) -> None:
    first = unique(article_links(get_html(archive_reader, "/").find(".//main")))
    second = unique(article_links(get_html(archive_reader, "/page/2/").find(".//main")))
    third = unique(article_links(get_html(archive_reader, "/page/3/").find(".//main")))
    assert (len(first), len(second), len(third)) == (20, 20, 5)
    assert first[0] == "/news/a044/" and third[-1] == "/news/a000/"
    assert not set(first) & set(second)


def test_page_one_redirects_to_the_listing(reader: FlaskClient) -> None:
    response = reader.get("/page/1/")
    assert response.status_code == 308  # Werkzeug: a URL with defaults redirects permanently
    assert response.headers["Location"].endswith("/")
    assert (
        reader.get("/category/technology/page/1/")
        .headers["Location"]
        .endswith("/category/technology/")
    )


def test_article_page_shows_everything_a_reader_needs(reader: FlaskClient) -> None:
    doc = get_html(reader, "/news/tidal-trams/")
    story = doc.find(".//main/article")
    assert [text_of(h) for h in elements(doc, "h1")] == ["Tidal Trams Run All Night"]
    assert "Three port cities will run night trams on tidal power." in text_of(story)
    time = elements(story, "time")[0]
    assert time.get("datetime") == "2025-03-01T07:45:10.118000+00:00"
    assert text_of(time).startswith("1 March 2025")
    hrefs = [a.get("href") for a in elements(story, "a")]
    assert "/category/technology/" in hrefs
    assert {"/tag/ai/", "/tag/energy/", "/tag/transport/"} <= set(hrefs)
    (image,) = elements(story.find(".//figure"), "img")
    assert image.get("alt") == ""  # no alt text given: not the headline again beside it
    assert "min read" in text_of(story) and "By Mira Okonjo" in text_of(story)


def test_article_sections_come_before_the_body(reader: FlaskClient) -> None:
    body = get_html(reader, "/news/tidal-trams/").find(".//div[@class='story-body']")
    text = text_of(body)
    assert (
        text.index("A Trial That Paid")
        < text.index("First section.")
        < text.index("Second section.")
        < text.index("At a Glance:")
        < text.index("The body.")
    )
    # The section's ### heading is the article's top level: an h2 under the page's h1.
    assert [h.tag for h in elements(body) if h.tag in ("h2", "h3", "hr", "ul")] == [
        "h2",
        "ul",
        "hr",
    ]


def test_article_links_previous_next_and_related(reader: FlaskClient) -> None:
    doc = get_html(reader, "/news/robot-ferries/")
    nav = doc.find(".//nav[@class='prev-next']")
    assert {a.get("rel"): a.get("href") for a in elements(nav, "a")} == {
        "prev": "/news/bank-hours/",
        "next": "/news/tidal-trams/",
    }
    related = doc.find(".//section[@class='related']")
    # Shares the AI tag (and the category) with the tram story; the bank story shares nothing.
    assert unique(article_links(related)) == ["/news/tidal-trams/"]


def test_tags_are_case_insensitive_and_keep_the_editors_casing(reader: FlaskClient) -> None:
    doc = get_html(reader, "/tag/ai/")
    assert text_of(elements(doc, "h1")[0]) == "AI"
    assert unique(article_links(doc.find(".//main"))) == [
        "/news/tidal-trams/",
        "/news/robot-ferries/",
    ]
    assert reader.get("/tag/AI/").headers["Location"].endswith("/tag/ai/")


def test_category_page_names_the_category_and_counts(reader: FlaskClient) -> None:
    doc = get_html(reader, "/category/technology/")
    assert text_of(elements(doc, "h1")[0]) == "Technology"
    assert "2 articles" in text_of(doc.find(".//main"))
    assert reader.get("/category/Technology/").status_code == 301


def test_comma_string_tags_have_pages(reader: FlaskClient) -> None:
    doc = get_html(reader, "/tag/banking/")
    assert unique(article_links(doc.find(".//main"))) == ["/news/bank-hours/"]


@pytest.mark.parametrize(
    "url",
    [
        "/category/nope/",
        "/tag/nope/",
        "/news/nope/",
        "/category/technology/page/2/",
        "/tag/ai/page/0/",
    ],
)
def test_unknown_things_are_404(reader: FlaskClient, url: str) -> None:
    assert reader.get(url).status_code == 404


def test_category_and_tag_indexes_count_articles(reader: FlaskClient) -> None:
    cats = {text_of(li) for li in elements(get_html(reader, "/categories/"), "li")}
    assert {"Technology 2 articles", "Business 1 article"} <= cats
    assert not any(c.startswith("Travel") for c in cats)  # only a scheduled article so far
    tags = {text_of(li) for li in elements(get_html(reader, "/tags/"), "li")}
    assert {"AI 2 articles", "Boats 1 article", "Economy 1 article"} <= tags


def test_deals_page_lists_only_deals(reader: FlaskClient) -> None:
    assert unique(article_links(get_html(reader, "/deals/").find(".//main"))) == [
        "/news/bank-hours/"
    ]


def test_404_page_helps_the_reader_on(reader: FlaskClient) -> None:
    doc = get_html(reader, "/news/no-such-story/", status=404)
    main = doc.find(".//main")
    assert "/news/tidal-trams/" in article_links(main)
    assert "/" in [a.get("href") for a in elements(main, "a")]


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/news/tidal-trams/",
        "/category/technology/",
        "/tag/ai/",
        "/categories/",
        "/tags/",
        "/deals/",
        "/nope/",
    ],
)
def test_pages_are_semantic_with_one_h1(reader: FlaskClient, url: str) -> None:
    response = reader.get(url)
    doc = parse(response.data)
    assert len(elements(doc, "h1")) == 1
    for landmark in ("header", "nav", "main", "footer"):
        assert elements(doc, landmark), landmark
    header_links = [a.get("href") for a in elements(doc.find(".//header"), "a")]
    assert "/category/technology/" in header_links and "/category/business/" in header_links


def test_head_works_and_other_methods_are_refused(reader: FlaskClient) -> None:
    head = reader.head("/news/tidal-trams/")
    assert head.status_code == 200 and head.data == b""
    post = reader.post("/news/tidal-trams/")
    assert post.status_code == 405
    assert "GET" in post.headers["Allow"]


def test_slug_clash_keeps_both_articles_reachable(
    content: Content, make_app, caplog: pytest.LogCaptureFixture
) -> None:
    content.article("2025-01-01-harbour.md", title="First Harbour", date="2025-01-01T00:00:00Z")
    content.article("2025-02-01-harbour.md", title="Second Harbour", date="2025-02-01T00:00:00Z")
    content.article("other.md", title="Third", date="2025-03-01T00:00:00Z", front="slug: harbour")
    client = make_app().test_client()
    titles = {
        url: text_of(elements(get_html(client, url), "h1")[0])
        for url in ("/news/harbour/", "/news/harbour-2/", "/news/harbour-3/")
    }
    assert titles == {
        "/news/harbour/": "First Harbour",
        "/news/harbour-2/": "Second Harbour",
        "/news/harbour-3/": "Third",
    }
    assert "2025-02-01-harbour.md: slug: 'harbour' is also claimed by 2025-01-01-harbour.md" in (
        caplog.text
    )


def test_empty_content_folder_serves_an_empty_home(client: FlaskClient) -> None:
    doc = get_html(client, "/")
    assert "No articles yet" in text_of(doc.find(".//main"))


def test_title_with_html_is_shown_as_text(content: Content, app: Flask) -> None:
    content.article("x.md", title='"<b>Bold</b> claims & more"')
    doc = get_html(app.test_client(), "/news/x/")
    h1 = elements(doc, "h1")[0]
    assert text_of(h1) == "<b>Bold</b> claims & more" and not elements(h1, "b")


def test_other_spellings_of_a_tag_keep_the_page_number(
    content: Content, client: FlaskClient
) -> None:
    for n in range(25):
        content.article(f"a{n:03d}.md", title=f"Story {n}", date=day(n), front="tags: Harbour AI")
    response = client.get("/tag/Harbour-AI/page/2/")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/tag/harbour-ai/page/2/")

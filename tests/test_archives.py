"""The archive: year and month pages, their neighbours, ``/archive/``, and their 404s."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.articles import Content
from tests.conftest import build_app
from tests.html import elements, parse, text_of

STORIES = {  # file → date; April 2025 holds only a draft, and 2031 is still to come
    "nov.md": "2024-11-20T10:00:00Z",
    "jan-a.md": "2025-01-05T10:00:00Z",
    "jan-b.md": "2025-01-20T10:00:00Z",
    "feb.md": "2025-02-28T23:59:59Z",
    "mar.md": "2025-03-01T00:00:00Z",  # the first moment of March belongs to March
    "may.md": "2025-05-10T10:00:00Z",
    "next-year.md": "2026-01-15T10:00:00Z",
}


def write_stories(content: Content) -> Content:
    for name, date in STORIES.items():
        content.article(name, title=f"Story {name[:-3]}", date=date)
    content.article("apr-draft.md", title="Draft", date="2025-04-10T10:00:00Z", front="draft: yes")
    content.article("future.md", title="Future", date="2031-01-01T10:00:00Z")
    return content


@pytest.fixture(scope="module")
def stories(tmp_path_factory: pytest.TempPathFactory) -> Content:
    return write_stories(Content(tmp_path_factory.mktemp("archive")))


@pytest.fixture(scope="module")
def reader(stories: Content) -> FlaskClient:
    return build_app(stories.root).test_client()


def main_of(client: FlaskClient, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return parse(response.data).find(".//main")


def stories_on(main) -> list[str]:
    links = [a.get("href") or "" for a in elements(main, "a")]
    return list(dict.fromkeys(h for h in links if h.startswith("/news/")))


def period_links(main) -> dict[str, str]:
    """The neighbouring periods a page links: {"Earlier" or "Later": href}."""
    nav = [n for n in elements(main, "nav") if n.get("aria-label") == "Other periods"]
    if not nav:
        return {}
    return {text_of(a).split()[0]: a.get("href") for a in elements(nav[0], "a")}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/2025/", ["may", "mar", "feb", "jan-b", "jan-a"]),
        ("/2025/01/", ["jan-b", "jan-a"]),
        ("/2025/02/", ["feb"]),
        ("/2025/03/", ["mar"]),
        ("/2024/", ["nov"]),
        ("/2026/01/", ["next-year"]),
    ],
)
def test_a_period_lists_its_articles_newest_first(
    reader: FlaskClient, url: str, expected: list[str]
) -> None:
    assert stories_on(main_of(reader, url)) == [f"/news/{slug}/" for slug in expected]


@pytest.mark.parametrize(
    ("url", "heading"),
    [("/2025/", "2025"), ("/2025/03/", "March 2025"), ("/2024/11/", "November 2024")],
)
def test_a_period_page_names_its_period(reader: FlaskClient, url: str, heading: str) -> None:
    main = main_of(reader, url)
    assert text_of(elements(main, "h1")[0]) == heading


@pytest.mark.parametrize(
    ("url", "links"),
    [
        ("/2025/05/", {"Earlier": "/2025/03/", "Later": "/2026/01/"}),  # April: a draft only
        ("/2025/01/", {"Earlier": "/2024/11/", "Later": "/2025/02/"}),
        ("/2024/11/", {"Later": "/2025/01/"}),
        ("/2026/01/", {"Earlier": "/2025/05/"}),  # 2031's story is not out yet
        ("/2025/", {"Earlier": "/2024/", "Later": "/2026/"}),
        ("/2024/", {"Later": "/2025/"}),
    ],
)
def test_a_period_links_the_nearest_periods_that_have_articles(
    reader: FlaskClient, url: str, links: dict[str, str]
) -> None:
    assert period_links(main_of(reader, url)) == links


def test_a_year_lists_its_months_with_counts(reader: FlaskClient) -> None:
    main = main_of(reader, "/2025/")
    nav = [n for n in elements(main, "nav") if n.get("aria-label") == "Months of 2025"][0]
    assert [(text_of(li), li.find("a").get("href")) for li in elements(nav, "li")] == [
        ("May 1", "/2025/05/"),
        ("March 1", "/2025/03/"),
        ("February 1", "/2025/02/"),
        ("January 2", "/2025/01/"),
    ]


def test_the_archive_lists_every_month_with_its_count_by_year(reader: FlaskClient) -> None:
    main = main_of(reader, "/archive/")
    years = [
        (text_of(section.find("h2")), [text_of(li) for li in elements(section, "li")])
        for section in elements(main, "section")
    ]
    assert years == [
        ("2026 1 article", ["January 1 article"]),
        (
            "2025 5 articles",
            ["May 1 article", "March 1 article", "February 1 article", "January 2 articles"],
        ),
        ("2024 1 article", ["November 1 article"]),
    ]
    hrefs = [a.get("href") for a in elements(main, "a")]
    assert hrefs[:2] == ["/2026/", "/2026/01/"] and "/2025/02/" in hrefs


@pytest.mark.parametrize(
    "url",
    [
        "/2025/04/",  # only a draft
        "/2031/",  # only a scheduled story
        "/2031/01/",
        "/2023/",
        "/2025/13/",
        "/2025/00/",
        "/0/",
        "/0000/",
        "/2025/3/",
        "/20250/",
        "/025/",
        "/2025/01/page/2/",
        "/2025/page/0/",
        "/9999/12/",
        "/2025/-1/",
    ],
)
def test_empty_and_impossible_periods_are_404(reader: FlaskClient, url: str) -> None:
    assert reader.get(url).status_code == 404


def test_an_empty_site_has_an_empty_archive(content: Content, make_app) -> None:
    client = make_app().test_client()
    assert "Nothing here yet" in text_of(main_of(client, "/archive/"))
    assert client.get("/2025/").status_code == 404


def test_periods_are_paginated(stories: Content) -> None:
    client = build_app(stories.root, PER_PAGE=2).test_client()
    assert stories_on(main_of(client, "/2025/page/3/")) == ["/news/jan-a/"]
    assert stories_on(main_of(client, "/2025/01/")) == ["/news/jan-b/", "/news/jan-a/"]
    assert client.get("/2025/page/4/").status_code == 404
    assert client.get("/2025/page/1/").headers["Location"] == "http://localhost/2025/"


def test_months_are_the_sites_time_zones(content: Content, make_app) -> None:
    content.article("late.md", title="Late", date="2025-01-31T23:30:00Z")
    client = make_app(SITE_TIMEZONE="Europe/Berlin").test_client()
    assert stories_on(main_of(client, "/2025/02/")) == ["/news/late/"]  # 00:30 on 1 February
    assert client.get("/2025/01/").status_code == 404
    utc = build_app(content.root).test_client()
    assert stories_on(main_of(utc, "/2025/01/")) == ["/news/late/"]


def test_a_new_article_shows_in_its_month_without_a_restart(content: Content, make_app) -> None:
    content.article("one.md", title="One", date="2025-01-05T10:00:00Z")
    client = make_app().test_client()
    assert client.get("/2025/06/").status_code == 404
    content.article("two.md", title="Two", date="2025-06-05T10:00:00Z")
    assert stories_on(main_of(client, "/2025/06/")) == ["/news/two/"]
    assert period_links(main_of(client, "/2025/01/")) == {"Later": "/2025/06/"}


def test_every_page_links_the_archive_from_its_footer(reader: FlaskClient) -> None:
    for url in ("/", "/news/mar/", "/2025/", "/nowhere/"):
        footer = parse(reader.get(url).data).find(".//footer")
        assert "/archive/" in [a.get("href") for a in elements(footer, "a")], url


@pytest.mark.parametrize(
    ("language", "heading", "month"),
    [("en", "March 2025", "March"), ("de", "März 2025", "März"), ("es", "marzo de 2025", "marzo")],
)
def test_months_are_named_in_the_sites_language(
    stories: Content, language: str, heading: str, month: str
) -> None:
    client = build_app(stories.root, SITE_LANGUAGE=language).test_client()
    assert text_of(elements(main_of(client, "/2025/03/"), "h1")[0]) == heading
    year = main_of(client, "/2025/")
    assert month in [text_of(a) for a in elements(year, "a")]

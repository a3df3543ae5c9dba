"""Numbered pagination on every listing: first, last, a window around the current page,
gaps, previous and next, the current page marked ``aria-current``."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from blog.web.pagination import page_numbers
from tests.articles import Content
from tests.conftest import build_app
from tests.html import elements, parse, text_of


@pytest.mark.parametrize(
    ("current", "count", "shown"),
    [
        (1, 1, [1]),
        (1, 2, [1, 2]),
        (1, 12, [1, 2, 3, None, 12]),
        (12, 12, [1, None, 10, 11, 12]),
        (6, 12, [1, None, 4, 5, 6, 7, 8, None, 12]),
        (4, 12, [1, 2, 3, 4, 5, 6, None, 12]),  # the window reaches the first page
        (5, 12, [1, 2, 3, 4, 5, 6, 7, None, 12]),  # a gap of one page shows that page
        (9, 12, [1, None, 7, 8, 9, 10, 11, 12]),
        (3, 5, [1, 2, 3, 4, 5]),
    ],
)
def test_page_numbers_keep_the_ends_and_a_window(
    current: int, count: int, shown: list[int | None]
) -> None:
    assert page_numbers(current, count) == shown


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """Twelve stories a page each: twelve pages of everything, by one author, in one
    category, tag and month, all deals."""
    content = Content(tmp_path_factory.mktemp("many"))
    for n in range(12):
        content.article(
            f"s{n:02d}.md",
            title=f"Harbour Story {n}",
            date=f"2025-01-{n + 1:02d}T10:00:00Z",
            front='categoria: Business\ntags:\n  - "#Harbour"\ndeals: Yes\nauthor: Mira Okonjo',
        )
    return build_app(content.root, PER_PAGE=1).test_client()


def numbered(client: FlaskClient, url: str) -> list[str]:
    """The numbered links of a page's pagination, as text: ``"6*"`` for the current page
    (which must link to itself), ``"…"`` for a gap."""
    response = client.get(url)
    assert response.status_code == 200, url
    nav = [n for n in elements(parse(response.data), "nav") if n.get("class") == "pagination"]
    assert len(nav) == 1, url
    shown = []
    for li in elements(nav[0].find("ol"), "li"):
        link = li.find("a")
        if link is None:
            assert text_of(li) == "…" and li.get("aria-hidden") == "true"
            shown.append("…")
        elif link.get("aria-current") == "page":
            assert link.get("href") == url.split("?")[0] or "page=" in link.get("href")
            shown.append(text_of(link).removeprefix("Page ").split(" of ")[0] + "*")
        else:
            assert link.get("aria-current") is None
            shown.append(text_of(link))
    return shown


def steps(client: FlaskClient, url: str) -> dict[str, str]:
    nav = [
        n for n in elements(parse(client.get(url).data), "nav") if n.get("class") == "pagination"
    ]
    return {a.get("rel"): a.get("href") for a in elements(nav[0], "a") if a.get("rel")}


@pytest.mark.parametrize(
    ("url", "shown", "rels"),
    [
        (
            "/category/business/",
            ["1*", "2", "3", "…", "12"],
            {"next": "/category/business/page/2/"},
        ),
        (
            "/category/business/page/6/",
            ["1", "…", "4", "5", "6*", "7", "8", "…", "12"],
            {"prev": "/category/business/page/5/", "next": "/category/business/page/7/"},
        ),
        (
            "/category/business/page/12/",
            ["1", "…", "10", "11", "12*"],
            {"prev": "/category/business/page/11/"},
        ),
        (
            "/category/business/page/3/",
            ["1", "2", "3*", "4", "5", "…", "12"],
            {"prev": "/category/business/page/2/", "next": "/category/business/page/4/"},
        ),
    ],
)
def test_a_long_listing_shows_first_last_and_a_window(
    many: FlaskClient, url: str, shown: list[str], rels: dict[str, str]
) -> None:
    assert numbered(many, url) == shown
    assert steps(many, url) == rels


def test_the_numbers_link_to_their_pages(many: FlaskClient) -> None:
    nav = [
        n
        for n in elements(parse(many.get("/tag/harbour/page/6/").data), "nav")
        if n.get("class") == "pagination"
    ][0]
    links = {text_of(a): a.get("href") for a in elements(nav.find("ol"), "a")}
    assert links["1"] == "/tag/harbour/"
    assert links["12"] == "/tag/harbour/page/12/"
    assert links["4"] == "/tag/harbour/page/4/"


@pytest.mark.parametrize(
    "url",
    [
        "/page/2/",
        "/category/business/page/2/",
        "/tag/harbour/page/2/",
        "/deals/page/2/",
        "/author/mira-okonjo/page/2/",
        "/2025/page/2/",
        "/2025/01/page/2/",
        "/search?q=harbour&page=2",
    ],
)
def test_every_listing_has_numbered_pages(many: FlaskClient, url: str) -> None:
    assert numbered(many, url) == ["1", "2*", "3", "4", "…", "12"]


def test_a_listing_of_one_page_has_no_pagination(content: Content, make_app) -> None:
    content.article("a.md", title="A", front="categoria: Business")
    doc = parse(make_app().test_client().get("/category/business/").data)
    assert not [n for n in elements(doc, "nav") if n.get("class") == "pagination"]

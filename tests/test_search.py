"""Search through the real app: ranking, highlighting, pages, states, freshness, hostile input."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

import blog.search.engine
from tests.articles import Content
from tests.conftest import build_app
from tests.html import elements, executable_constructs, parse, text_of


def write_newsroom(content: Content) -> Content:
    """Four stories: a word in a body, a title, tags; an accented one."""
    content.article(
        "2025-01-01-body-only.md",
        title="Council Budget Approved",
        date="2025-01-01T00:00:00Z",
        body="The lighthouse keepers were mentioned in passing.",
    )
    content.article(
        "2025-01-02-in-title.md",
        title="Lighthouse Reopens to Visitors",
        date="2025-01-02T00:00:00Z",
        body="A story about a building.",
    )
    content.article(
        "2025-01-03-in-tags.md",
        title="Coastal Walk Guide",
        date="2025-01-03T00:00:00Z",
        front='tags:\n  - "#Lighthouse #Walks"',
        body="Paths and views.",
    )
    content.article(
        "2025-01-04-cafe.md",
        title="Café Culture on the Quay",
        date="2025-01-04T00:00:00Z",
        body="Espresso by the water.",
    )
    return content


@pytest.fixture
def newsroom(content: Content) -> Content:
    """The stories in this test's own folder, for a test that edits them."""
    return write_newsroom(content)


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """A reader's client on the stories, one app for the tests that only search them."""
    return build_app(write_newsroom(Content(tmp_path_factory.mktemp("news"))).root).test_client()


@pytest.fixture(scope="module")
def paged_reader(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """A reader's client on five harbour stories, three results a page."""
    content = Content(tmp_path_factory.mktemp("paged"))
    for n in range(5):
        content.article(f"s{n}.md", title=f"Harbour Story {n}", date=f"2025-02-0{n + 1}")
    return build_app(content.root, PER_PAGE=3).test_client()


def result_titles(client: FlaskClient, query: str) -> list[str]:
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    return (
        [text_of(h) for h in elements(parse(response.data).find(".//ol"), "h2")]
        if (parse(response.data).find(".//ol") is not None)
        else []
    )


def test_headline_and_tag_matches_rank_above_body_matches(reader: FlaskClient) -> None:
    titles = result_titles(reader, "lighthouse")
    assert titles[-1] == "Council Budget Approved"
    assert set(titles[:2]) == {"Lighthouse Reopens to Visitors", "Coastal Walk Guide"}


def test_accents_and_case_do_not_matter(reader: FlaskClient) -> None:
    assert result_titles(reader, "CAFE") == ["Café Culture on the Quay"]
    assert result_titles(reader, "espresso") == ["Café Culture on the Quay"]


def test_matched_words_are_highlighted(reader: FlaskClient) -> None:
    doc = parse(reader.get("/search?q=lighthouse").data)
    marks = [text_of(m).lower() for m in elements(doc.find(".//main"), "mark")]
    assert marks and set(marks) == {"lighthouse"}


def test_query_is_reflected_escaped(reader: FlaskClient) -> None:
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(1)>'
    response = reader.get("/search", query_string={"q": hostile})
    assert response.status_code == 200
    doc = parse(response.data)
    assert list(executable_constructs(doc)) == []
    heading = text_of(doc.find(".//h1"))  # the words searched for, as text
    assert heading.startswith("Search: ") and "script" in heading and "onerror" in heading


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "*",
        "NEAR(",
        "a OR",
        ":",
        "-",
        "x" * 5000,
        "🦀",
        "((()))",
        "^",
        "title:harbour",
        "'",
        "\\",
        "\x00",
    ],
)
def test_hostile_queries_never_fail(reader: FlaskClient, query: str) -> None:
    assert reader.get("/search", query_string={"q": query}).status_code == 200


def test_empty_and_no_result_states(reader: FlaskClient) -> None:
    empty = text_of(parse(reader.get("/search").data).find(".//main"))
    assert "Type a word or two" in empty
    none = text_of(parse(reader.get("/search?q=zzqqxx").data).find(".//main"))
    assert "No articles match" in none and "Latest articles" in none


@pytest.mark.parametrize(
    ("page", "status"),
    [("1", 200), ("2", 200), ("3", 404), ("0", 400), ("x", 400), ("-1", 400), ("9" * 30, 400)],
)
def test_result_pages(paged_reader: FlaskClient, page: str, status: int) -> None:
    response = paged_reader.get("/search", query_string={"q": "harbour", "page": page})
    assert response.status_code == status


def test_newer_first_on_equal_relevance(content: Content, client: FlaskClient) -> None:
    for n in range(3):
        content.article(
            f"s{n}.md",
            title="Harbour Story",
            date=f"2025-02-0{n + 1}T00:00:00Z",
            front=f"slug: story-{n}",
        )
    links = [
        a.get("href")
        for a in elements(parse(client.get("/search?q=harbour").data), "a")
        if (a.get("href") or "").startswith("/news/story-")
    ]
    assert links == ["/news/story-2/", "/news/story-1/", "/news/story-0/"]


def test_edited_article_is_found_by_its_new_words(newsroom: Content, client: FlaskClient) -> None:
    assert result_titles(client, "espresso") == ["Café Culture on the Quay"]
    newsroom.article(
        "2025-01-04-cafe.md",
        title="Café Culture on the Quay",
        date="2025-01-04T00:00:00Z",
        body="Cortado by the water.",
    )
    assert result_titles(client, "cortado") == ["Café Culture on the Quay"]
    assert result_titles(client, "espresso") == []


def test_index_follows_changes_without_rebuilding(
    newsroom: Content, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    result_titles(client, "lighthouse")  # built once
    created: list[int] = []
    real = blog.search.engine.SearchIndex.__init__
    monkeypatch.setattr(
        blog.search.engine.SearchIndex,
        "__init__",
        lambda self, *a, **k: created.append(1) or real(self, *a, **k),
    )
    newsroom.article("2025-01-05-new.md", title="New Lighthouse Keeper", date="2025-01-05")
    assert "New Lighthouse Keeper" in result_titles(client, "lighthouse")
    assert created == []


def test_drafts_and_scheduled_are_not_found(content: Content, client: FlaskClient) -> None:
    content.article("d.md", title="Secret Lighthouse Plan", front="draft: true")
    content.article("f.md", title="Future Lighthouse", date="2031-01-01T00:00:00Z")
    assert result_titles(client, "lighthouse") == []


def test_search_pages_vary_by_query_in_the_cache(reader: FlaskClient) -> None:
    first = reader.get("/search?q=cafe")
    second = reader.get("/search?q=lighthouse")
    assert first.headers["ETag"] != second.headers["ETag"]
    again = reader.get("/search?q=cafe", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_results_while_the_index_is_being_built_say_so_and_are_not_cached(
    newsroom: Content, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blog.search.engine.SearchIndex, "missing", property(lambda self: 3))
    response = client.get("/search?q=lighthouse")
    assert response.status_code == 200
    assert "3 articles cannot be found yet" in text_of(parse(response.data))
    assert response.headers["Cache-Control"] == "no-store"
    monkeypatch.undo()
    complete = client.get("/search?q=lighthouse")
    assert "cannot be found yet" not in text_of(parse(complete.data))
    assert "max-age" in complete.headers["Cache-Control"]

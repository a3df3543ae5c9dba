"""Author pages, bylines, profiles, author feeds and the authors' structured data, through
the real app on real files."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient

import blog.content.watch
from blog import get_library
from tests.articles import Content
from tests.conftest import build_app
from tests.html import elements, executable_constructs, parse, text_of

MIRA_PROFILE = (
    "name: Mira Okonjo\nrole: Science Editor\nphoto: /static/images/tide-lines.webp\n"
    "links:\n  - https://www.mastodon.example/@mira\n"
    "  - label: Mira's newsletter\n    url: https://mira.example/letters\n"
)
MIRA_BIO = "Mira covers **science** and the sea.\n\n<script>alert(1)</script><p onclick=x()>Hi</p>"


def write_newsroom(content: Content) -> Content:
    """Three bylines (one of them shared, one spelt two ways), a story without one, a draft
    and a scheduled story by authors with nothing published; Mira has a profile, Tomas a
    broken one, Ada none."""
    content.article(
        "2025-03-01-tidal-trams.md",
        title="Tidal Trams Run All Night",
        date="2025-03-01T07:45:00Z",
        front="categoria: Technology\nauthor: Mira Okonjo",
    )
    content.article(
        "2025-02-01-robot-ferries.md",
        title="Robot Ferries Cross the Bay",
        date="2025-02-01T09:00:00Z",
        front="categoria: Technology\nauthor:\n  - Mira Okonjo\n  - Tomas Reyes\n  - Ada Quill",
    )
    content.article(
        "2025-01-15-bank-hours.md",
        title="Bank Trims Branch Hours",
        date="2025-01-15T09:00:00Z",
        front="categoria: Business\nauthor: tomas reyes",
    )
    content.article("2025-01-10-no-byline.md", title="Nobody Signed This", date="2025-01-10")
    content.article(
        "2025-04-01-secret.md", title="Draft", front="draft: true\nauthor: Secret Writer"
    )
    content.article(
        "2031-03-01-bridge.md",
        title="Bridge Opens",
        date="2031-03-01T08:00:00Z",
        front="author: Future Writer",
    )
    content.profile("mira-okonjo", MIRA_PROFILE, MIRA_BIO)
    content.profile("tomas-reyes", "name: Tomas Reyes\nrole: [Transport", "A bio.")
    return content


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Content:
    return write_newsroom(Content(tmp_path_factory.mktemp("authors")))


@pytest.fixture(scope="module")
def reader(newsroom: Content) -> FlaskClient:
    """A reader's client on the newsroom, one app for the tests that only read."""
    return build_app(newsroom.root).test_client()


def page(client: FlaskClient, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return parse(response.data)


def main_links(doc, prefix: str) -> list[str]:
    hrefs = [a.get("href") or "" for a in elements(doc.find(".//main"), "a")]
    return list(dict.fromkeys(h for h in hrefs if h.startswith(prefix)))


def json_ld(doc) -> list[dict]:
    scripts = [s for s in elements(doc, "script") if s.get("type") == "application/ld+json"]
    return [json.loads(s.text) for s in scripts]


def byline_links(doc) -> list[tuple[str, str]]:
    """(text, href) of the links in every byline of the page, in order."""
    return [
        (text_of(a), a.get("href"))
        for span in elements(doc, "span")
        if span.get("class") == "byline"
        for a in elements(span, "a")
    ]


def test_author_page_lists_the_authors_articles_newest_first(reader: FlaskClient) -> None:
    doc = page(reader, "/author/mira-okonjo/")
    assert main_links(doc, "/news/") == ["/news/tidal-trams/", "/news/robot-ferries/"]
    assert text_of(elements(doc, "h1")[0]) == "Mira Okonjo"


def test_bylines_spelt_differently_share_one_author_page(reader: FlaskClient) -> None:
    doc = page(reader, "/author/tomas-reyes/")
    assert main_links(doc, "/news/") == ["/news/robot-ferries/", "/news/bank-hours/"]
    assert "2 articles" in text_of(doc.find(".//main"))


@pytest.mark.parametrize(
    "url",
    [
        "/author/nobody/",
        "/author/secret-writer/",  # only a draft
        "/author/future-writer/",  # only a scheduled article
        "/author/mira-okonjo/page/2/",
        "/author/mira-okonjo/page/0/",
        "/author/nobody/feed.xml",
        "/author/secret-writer/atom.xml",
        "/author/",
    ],
)
def test_unknown_authors_and_pages_are_404(reader: FlaskClient, url: str) -> None:
    assert reader.get(url).status_code == 404


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("/author/Mira-Okonjo/", "/author/mira-okonjo/"),
        ("/author/Mira-Okonjo/feed.xml", "/author/mira-okonjo/feed.xml"),
    ],
)
def test_other_spellings_of_an_author_redirect(reader: FlaskClient, url: str, target: str) -> None:
    response = reader.get(url)
    assert response.status_code == 301 and response.headers["Location"] == target


def test_author_pages_are_paginated(newsroom: Content) -> None:
    client = build_app(newsroom.root, PER_PAGE=1).test_client()
    assert main_links(page(client, "/author/mira-okonjo/page/2/"), "/news/") == [
        "/news/robot-ferries/"
    ]
    assert client.get("/author/mira-okonjo/page/3/").status_code == 404


def test_article_byline_links_each_author_to_their_page(reader: FlaskClient) -> None:
    doc = page(reader, "/news/robot-ferries/")
    assert byline_links(doc.find(".//header[@class='story-header']")) == [
        ("Mira Okonjo", "/author/mira-okonjo/"),
        ("Tomas Reyes", "/author/tomas-reyes/"),
        ("Ada Quill", "/author/ada-quill/"),
    ]
    assert "By Mira Okonjo, Science Editor, Tomas Reyes and Ada Quill" in text_of(doc)


def test_card_bylines_link_their_authors(reader: FlaskClient) -> None:
    doc = page(reader, "/category/business/")
    assert byline_links(doc.find(".//main")) == [("tomas reyes", "/author/tomas-reyes/")]
    nobody = page(reader, "/")
    cards = [c for c in elements(nobody, "article") if "Nobody Signed" in text_of(c)]
    assert cards and not byline_links(cards[0])


def test_profile_is_shown_on_the_author_page(reader: FlaskClient) -> None:
    header = page(reader, "/author/mira-okonjo/").find(".//main/header")
    assert text_of(header.find(".//h1")) == "Mira Okonjo"
    assert "Science Editor" in text_of(header)
    photo = elements(header, "img")[0]
    assert photo.get("src") == "/static/images/tide-lines.webp"
    assert photo.get("width") and photo.get("height")
    links = [(text_of(a), a.get("href")) for a in elements(header.find(".//ul"), "a")]
    assert links == [
        ("mastodon.example", "https://www.mastodon.example/@mira"),
        ("Mira's newsletter", "https://mira.example/letters"),
    ]
    bio = [d for d in elements(header, "div") if d.get("class") == "author-bio"][0]
    assert [text_of(s) for s in elements(bio, "strong")] == ["science"]


def test_profile_bio_is_sanitized(reader: FlaskClient) -> None:
    doc = page(reader, "/author/mira-okonjo/")
    bio = [d for d in elements(doc, "div") if d.get("class") == "author-bio"][0]
    assert list(executable_constructs(bio)) == []
    assert "alert" not in text_of(bio) and "Hi" in text_of(bio)


def test_author_page_without_a_profile_shows_the_bylines_name(reader: FlaskClient) -> None:
    doc = page(reader, "/author/ada-quill/")
    header = doc.find(".//main/header")
    assert text_of(header.find(".//h1")) == "Ada Quill"
    assert elements(header, "img") == []
    assert not [d for d in elements(header, "div") if d.get("class") == "author-bio"]


def test_a_broken_profile_leaves_the_byline_as_the_name_linking_to_the_page(
    reader: FlaskClient,
) -> None:
    doc = page(reader, "/news/bank-hours/")
    assert byline_links(doc) == [("tomas reyes", "/author/tomas-reyes/")]
    assert "By tomas reyes ·" in text_of(doc.find(".//header[@class='story-header']"))
    header = page(reader, "/author/tomas-reyes/").find(".//main/header")
    assert text_of(header.find(".//h1")) == "Tomas Reyes"
    assert "Transport" not in text_of(header) and "A bio" not in text_of(header)


def test_profile_files_are_not_articles(reader: FlaskClient) -> None:
    assert reader.get("/news/mira-okonjo/").status_code == 404
    home = page(reader, "/")
    assert len(main_links(home, "/news/")) == 4
    assert not [loc for loc in _sitemap(reader) if "/news/mira" in loc or "/news/tomas" in loc]


def _sitemap(client: FlaskClient) -> list[str]:
    doc = client.get("/sitemap.xml").data.decode()
    return [part.split("</loc>")[0] for part in doc.split("<loc>")[1:]]


def test_sitemap_lists_every_author_page(reader: FlaskClient) -> None:
    authors = sorted(loc for loc in _sitemap(reader) if "/author/" in loc)
    assert authors == [
        "http://localhost/author/ada-quill/",
        "http://localhost/author/mira-okonjo/",
        "http://localhost/author/tomas-reyes/",
    ]


def _feed(client: FlaskClient, url: str) -> feedparser.FeedParserDict:
    feed = feedparser.parse(client.get(url).data)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


@pytest.mark.parametrize("kind", ["feed.xml", "atom.xml"])
def test_author_feeds_follow_the_author_page(reader: FlaskClient, kind: str) -> None:
    feed = _feed(reader, f"/author/tomas-reyes/{kind}")
    assert [e.link for e in feed.entries] == [
        "http://localhost/news/robot-ferries/",
        "http://localhost/news/bank-hours/",
    ]
    assert feed.feed.title.endswith("Tomas Reyes")


def test_author_pages_link_their_feeds(reader: FlaskClient) -> None:
    head = page(reader, "/author/mira-okonjo/").find("head")
    feeds = {link.get("href") for link in elements(head, "link") if link.get("rel") == "alternate"}
    assert {
        "http://localhost/author/mira-okonjo/feed.xml",
        "http://localhost/author/mira-okonjo/atom.xml",
    } <= feeds


def test_rss_items_carry_a_dc_creator_for_each_author(reader: FlaskClient) -> None:
    data = reader.get("/feed.xml").data
    feed = _feed(reader, "/feed.xml")
    ferries = next(e for e in feed.entries if e.link.endswith("/robot-ferries/"))
    assert [a["name"] for a in ferries.authors] == ["Mira Okonjo", "Tomas Reyes", "Ada Quill"]
    assert data.count(b"<dc:creator>") == 5  # 1 + 3 + 1: the unsigned story has none
    nobody = next(e for e in feed.entries if e.link.endswith("/no-byline/"))
    assert "authors" not in nobody


def test_atom_entries_keep_their_author_elements(reader: FlaskClient) -> None:
    feed = _feed(reader, "/atom.xml")
    ferries = next(e for e in feed.entries if e.link.endswith("/robot-ferries/"))
    assert [a["name"] for a in ferries.authors] == ["Mira Okonjo", "Tomas Reyes", "Ada Quill"]
    assert b"dc:creator" not in reader.get("/atom.xml").data


def test_article_json_ld_has_a_person_per_author_with_their_page(reader: FlaskClient) -> None:
    news = json_ld(page(reader, "/news/robot-ferries/"))[0]
    assert news["@type"] == "NewsArticle"
    assert news["author"] == [
        {"@type": "Person", "name": name, "url": f"http://localhost/author/{slug}/"}
        for name, slug in (
            ("Mira Okonjo", "mira-okonjo"),
            ("Tomas Reyes", "tomas-reyes"),
            ("Ada Quill", "ada-quill"),
        )
    ]


def test_author_page_is_a_profile_page_of_a_person(reader: FlaskClient) -> None:
    (data,) = json_ld(page(reader, "/author/mira-okonjo/"))
    assert data["@type"] == "ProfilePage"
    assert data["url"] == "http://localhost/author/mira-okonjo/"
    person = data["mainEntity"]
    assert person == {
        "@type": "Person",
        "name": "Mira Okonjo",
        "url": "http://localhost/author/mira-okonjo/",
        "jobTitle": "Science Editor",
        "image": "http://localhost/static/images/tide-lines.webp",
        "sameAs": ["https://www.mastodon.example/@mira", "https://mira.example/letters"],
    }
    (plain,) = json_ld(page(reader, "/author/ada-quill/"))
    assert plain["mainEntity"] == {
        "@type": "Person",
        "name": "Ada Quill",
        "url": "http://localhost/author/ada-quill/",
    }


# Profiles that change: each test its own folder and app.


@pytest.fixture(params=["inotify", "scan"])
def watch_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with kernel change events, and again with the stamp-scanning fallback."""
    if request.param == "scan":
        monkeypatch.setattr(blog.content.watch, "INotify", None)
    return request.param


@pytest.fixture
def newsroom_app(content: Content, make_app: Callable[..., Flask]) -> Flask:
    write_newsroom(content)
    return make_app()


def role_on_page(client: FlaskClient) -> str:
    header = page(client, "/author/mira-okonjo/").find(".//main/header")
    roles = [p for p in elements(header, "p") if p.get("class") == "author-role"]
    return text_of(roles[0]) if roles else ""


def test_a_profile_edit_shows_without_a_restart_and_changes_the_version(
    watch_mode: str, content: Content, newsroom_app: Flask
) -> None:
    client = newsroom_app.test_client()
    assert role_on_page(client) == "Science Editor"
    before = get_library(newsroom_app).index().version
    content.profile("mira-okonjo", MIRA_PROFILE.replace("Science Editor", "Sea Editor"))
    assert role_on_page(client) == "Sea Editor"
    assert get_library(newsroom_app).index().version != before
    doc = page(client, "/news/tidal-trams/")  # the byline, cached before, follows
    assert "Sea Editor" in text_of(doc.find(".//header[@class='story-header']"))


def test_a_new_profile_and_a_deleted_one_show_without_a_restart(
    watch_mode: str, content: Content, newsroom_app: Flask
) -> None:
    client = newsroom_app.test_client()
    assert elements(page(client, "/author/ada-quill/").find(".//main/header"), "img") == []
    content.profile("ada-quill", "role: Sports Desk\nphoto: https://images.example/ada.webp")
    header = page(client, "/author/ada-quill/").find(".//main/header")
    assert "Sports Desk" in text_of(header)
    assert elements(header, "img")[0].get("src") == "https://images.example/ada.webp"
    (content.root / "authors" / "ada-quill.md").unlink()
    assert "Sports Desk" not in text_of(page(client, "/author/ada-quill/"))


def test_a_broken_edit_of_a_profile_keeps_its_last_good_version(
    content: Content, newsroom_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = newsroom_app.test_client()
    assert role_on_page(client) == "Science Editor"
    with caplog.at_level(logging.ERROR, logger="blog.content"):
        content.profile("mira-okonjo", "name: Mira\nrole: [unclosed")
        for _ in range(3):
            assert role_on_page(client) == "Science Editor"
    logged = [r.getMessage() for r in caplog.records if "authors/mira-okonjo.md" in r.getMessage()]
    assert len(logged) == 1 and "last good version" in logged[0]


def test_a_profile_folder_made_after_start_is_read(
    watch_mode: str, content: Content, make_app
) -> None:
    content.article("a.md", title="A", front="author: Ada Quill")
    client = make_app().test_client()
    assert "Sports Desk" not in text_of(page(client, "/author/ada-quill/"))
    content.profile("ada-quill", "role: Sports Desk")
    assert "Sports Desk" in text_of(page(client, "/author/ada-quill/"))


def check(app: Flask, *paths: str) -> tuple[int, list[str]]:
    result = app.test_cli_runner().invoke(args=["content", "check", *paths])
    return result.exit_code, result.output.splitlines()


def test_the_check_reports_a_broken_profile_with_file_line_and_field(
    newsroom_app: Flask,
) -> None:
    status, lines = check(newsroom_app)
    assert status == 1
    found = [line for line in lines if line.startswith("authors/tomas-reyes.md")]
    assert len(found) == 1
    assert found[0].startswith("authors/tomas-reyes.md:3: error: role: YAML syntax error")
    assert "bylines show the name only" in found[0]
    assert not [
        line for line in lines if line.startswith("authors/mira-okonjo.md:") and "error" in line
    ]


@pytest.mark.parametrize(
    ("front", "where"),
    [
        ("name: Mira Okonjo\nlinks: 42", "authors/mira-okonjo.md:3: error: links:"),
        ("name:\n  - Mira\n  - Okonjo", "authors/mira-okonjo.md:2: error: name:"),
        ("role: {a: b}", "authors/mira-okonjo.md:2: error: role:"),
        ("links:\n  - label: Home", "authors/mira-okonjo.md:2: error: links:"),
        ("bio: [a, b]", "authors/mira-okonjo.md:2: error: bio:"),
    ],
)
def test_a_profile_field_of_the_wrong_kind_is_an_error_and_the_byline_stays(
    content: Content, make_app, front: str, where: str
) -> None:
    content.article("a.md", title="A", front="author: Mira Okonjo")
    content.profile("mira-okonjo", front)
    app = make_app()
    status, lines = check(app, str(content.root / "authors" / "mira-okonjo.md"))
    assert status == 1
    assert [line for line in lines if line.startswith(where)], lines
    doc = page(app.test_client(), "/news/a/")
    assert byline_links(doc) == [("Mira Okonjo", "/author/mira-okonjo/")]


def test_unsafe_profile_urls_are_left_out_and_warned(content: Content, make_app) -> None:
    content.article("a.md", title="A", front="author: Mira Okonjo")
    content.profile(
        "mira-okonjo",
        "photo: javascript:alert(1)\nlinks:\n  - javascript:alert(1)\n"
        "  - label: Mail\n    url: mailto:mira@example.org\n  - //evil.example/",
    )
    app = make_app()
    header = page(app.test_client(), "/author/mira-okonjo/").find(".//main/header")
    assert elements(header, "img") == []
    assert [a.get("href") for a in elements(header.find(".//ul"), "a")] == [
        "mailto:mira@example.org"
    ]
    status, lines = check(app)
    assert status == 0
    warnings = [line for line in lines if line.startswith("authors/mira-okonjo.md")]
    assert "authors/mira-okonjo.md:2: warning: photo: not an http(s) URL" in warnings[0]
    assert sum(": warning: links: link " in line for line in warnings) == 2


def test_the_check_notes_a_profile_nobody_writes_as_and_a_misspelt_name(
    content: Content, make_app
) -> None:
    content.article("a.md", title="A", front="author: Mira Okonjo")
    content.profile("mira-okonjo", "name: Mira Okonjo-Hale")
    content.profile("mira-okongo", "name: Mira Okongo")
    status, lines = check(make_app())
    assert status == 0
    assert any(
        line.startswith("authors/mira-okonjo.md:2: warning: name: 'Mira Okonjo-Hale'")
        for line in lines
    ), lines
    assert any(
        line.startswith("authors/mira-okongo.md:1: info: file: no published article")
        for line in lines
    ), lines


def test_the_check_of_the_authors_folder_checks_the_profiles(newsroom_app: Flask) -> None:
    folder = get_library(newsroom_app).root / "authors"
    status, lines = check(newsroom_app, str(folder))
    assert status == 1
    assert lines[-1] == "2 files checked: 1 errors, 1 warnings, 0 notes"

"""The editors' front page: the lead, top stories, category blocks, the latest, the breaking
strip, pinned articles and picture captions, through the real app on real files."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog import get_library
from blog.web.templating import shorten
from tests.articles import Content
from tests.conftest import FIXED_NOW, build_app, set_clock
from tests.html import elements, parse, text_of

NOW = FIXED_NOW


@pytest.fixture
def make_app(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    """The app with ``IMAGE_FETCH`` off: the stories' remote pictures are linked as written,
    so a test tells whose picture a place shows by its URL (how pictures are shown, and
    stand in for, is tests/test_picture_pages.py's)."""
    return lambda **config: make_app(**{"IMAGE_FETCH": False, **config})


def at(hours: float) -> str:
    """A date ``hours`` from the app's fixed now (negative: in the past)."""
    return (NOW + dt.timedelta(hours=hours)).isoformat()


def story(
    content: Content,
    name: str,
    hours_ago: float,
    *,
    image: bool = False,
    category: str | None = None,
    front: str = "",
    standfirst: str = "",
) -> None:
    """An article served at /news/<name>/, ``hours_ago`` before the app's now."""
    lines = [front] if front else []
    if image:
        lines.append(f"featuredimage: https://example.org/uploads/{name}.webp")
    if category:
        lines.append(f"categoria: {category}")
    if standfirst:
        lines.append(f"short-description: {standfirst}")
    content.article(
        f"{name}.md", title=f"Story {name}", date=at(-hours_ago), front="\n".join(lines)
    )


def home(client: FlaskClient, url: str = "/") -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    return parse(response.data)


def with_class(root: ET.Element, name: str, tag: str | None = None) -> list[ET.Element]:
    return [e for e in elements(root, tag) if name in (e.get("class") or "").split()]


def slug_of(link: ET.Element) -> str:
    return (link.get("href") or "").removeprefix("/news/").rstrip("/")


def lead_of(doc: ET.Element) -> ET.Element:
    (lead,) = with_class(doc, "lead", "article")
    return lead


def lead_slug(doc: ET.Element) -> str:
    (title,) = with_class(lead_of(doc), "lead-title")
    return slug_of(elements(title, "a")[0])


def top_slugs(doc: ET.Element) -> list[str]:
    sections = with_class(doc, "top-stories", "section")
    titles = with_class(sections[0], "card-title") if sections else []
    return [slug_of(elements(t, "a")[0]) for t in titles]


def blocks(doc: ET.Element) -> list[tuple[str, list[str]]]:
    """(heading, article slugs) of each category block, in order."""
    found = []
    for section in with_class(doc, "home-section", "section"):
        links = [
            slug_of(a)
            for a in elements(section, "a")
            if (a.get("href") or "").startswith("/news/") and a.get("tabindex") != "-1"
        ]
        found.append((text_of(elements(section, "h2")[0]), links))
    return found


def latest(doc: ET.Element) -> list[ET.Element]:
    lists = with_class(doc, "latest-list", "ol")
    return elements(lists[0], "li") if lists else []


def items_shown(doc: ET.Element) -> list[str]:
    """Every article the front page shows as an item (its headline link), in order."""
    main = doc.find(".//main")
    assert main is not None
    headlines = [
        *with_class(main, "lead-title"),
        *with_class(main, "card-title"),
        *(li for ul in with_class(main, "headlines") for li in elements(ul, "li")),
        *latest(main),
    ]
    return [slug_of(a) for h in headlines for a in elements(h, "a")]


# The lead


def test_a_featured_article_with_an_image_leads(content: Content, make_app) -> None:
    story(content, "fresh", 1, image=True)
    story(content, "chosen", 5, image=True, front="featured: true")
    doc = home(make_app().test_client())
    assert lead_slug(doc) == "chosen"
    (img,) = elements(lead_of(doc), "img")
    assert img.get("src") == "https://example.org/uploads/chosen.webp"


def test_a_featured_article_without_an_image_leaves_the_lead_to_the_newest_with_one(
    content: Content, make_app
) -> None:
    story(content, "scoop", 1, front="featured: true")
    story(content, "plain", 2)
    story(content, "pictured", 10, image=True)
    story(content, "older-pictured", 20, image=True)
    doc = home(make_app().test_client())
    assert lead_slug(doc) == "pictured"
    assert top_slugs(doc) == ["scoop", "plain", "older-pictured"]


def test_with_no_image_anywhere_the_lead_is_text_with_no_image_block(
    content: Content, make_app
) -> None:
    story(content, "newest", 1)
    story(content, "older", 2)
    response = make_app().test_client().get("/")
    doc = parse(response.data)
    lead = lead_of(doc)
    assert lead_slug(doc) == "newest" and "lead-text" in lead.get("class", "")
    assert elements(lead, "img") == [] and not with_class(lead, "lead-image")
    assert b"placeholder.webp" not in response.data  # nor a stand-in picture on any card


@pytest.mark.parametrize("state", ["draft: true", "date_in_future"], ids=["draft", "scheduled"])
def test_a_featured_draft_or_scheduled_article_is_not_shown(
    content: Content, make_app, state: str
) -> None:
    story(content, "public", 5, image=True)
    if state == "draft: true":
        story(content, "hidden", 1, image=True, front="featured: true\ndraft: true")
    else:
        story(content, "hidden", -3, image=True, front="featured: true")
    app = make_app()
    doc = home(app.test_client())
    assert lead_slug(doc) == "public"
    assert "hidden" not in items_shown(doc)
    if state != "draft: true":  # its time comes: then it leads
        set_clock(app, NOW + dt.timedelta(hours=3))
        assert lead_slug(home(app.test_client())) == "hidden"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"FEATURED_HOURS": 48}, "fresh"),
        ({"FEATURED_HOURS": 72}, "old-featured"),
        ({}, "old-featured"),
    ],
    ids=["48-hours-passed", "72-hours", "no-expiry-by-default"],
)
def test_featured_articles_lead_for_featured_hours(
    content: Content, make_app, config: dict[str, float], expected: str
) -> None:
    story(content, "old-featured", 50, image=True, front="featured: true")
    story(content, "fresh", 1, image=True)
    assert lead_slug(home(make_app(**config).test_client())) == expected


def test_a_featured_article_leaves_the_lead_when_its_time_ends(content: Content, make_app) -> None:
    story(content, "featured", 47, image=True, front="featured: true")
    story(content, "fresh", 1, image=True)
    app = make_app(FEATURED_HOURS=48)
    assert lead_slug(home(app.test_client())) == "featured"
    set_clock(app, NOW + dt.timedelta(hours=1))
    assert lead_slug(home(app.test_client())) == "fresh"


# Top stories


def test_top_stories_rank_by_priority_then_date_then_the_newest_fill_them(
    content: Content, make_app
) -> None:
    story(content, "leader", 12, image=True, front="priority: 5")
    story(content, "p2-older", 10, front="priority: 2")
    story(content, "p1-newer", 2, front="featured: true")
    story(content, "p2-newer", 3, front="priority: 2")
    story(content, "newest", 1)
    story(content, "newer", 4)
    doc = home(make_app().test_client())
    assert lead_slug(doc) == "leader"
    assert top_slugs(doc) == ["p2-newer", "p2-older", "p1-newer", "newest"]


@pytest.mark.parametrize("count", [0, 2, 6])
def test_the_number_of_top_stories_is_a_setting(content: Content, make_app, count: int) -> None:
    for n in range(10):
        story(content, f"s{n}", n)
    doc = home(make_app(TOP_STORIES=count).test_client())
    assert top_slugs(doc) == [f"s{n}" for n in range(1, count + 1)]
    assert bool(with_class(doc, "top-stories")) == (count > 0)


# Category blocks


def newsroom(content: Content) -> Content:
    """Five categories of different sizes, pictures on some; nothing featured."""
    sizes = {"Business": 2, "Sport": 5, "Culture": 3, "Travel": 4, "Science": 1}
    hours = 0
    for category, size in sizes.items():
        for n in range(size):
            hours += 1
            story(
                content,
                f"{category.lower()}-{n}",
                hours,
                image=n % 2 == 0,
                category=category,
                standfirst=f"What happened in {category} number {n}.",
            )
    return content


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, ["Sport", "Travel", "Culture", "Business", "Science"]),  # by size
        ({"CATEGORIES": ("Travel", "Business", "Weather")}, ["Travel", "Business"]),
        (
            {"HOME_CATEGORIES": ("science", "Sport"), "CATEGORIES": ("Travel",)},
            ["Science", "Sport"],
        ),
    ],
    ids=["by-size", "categories-setting", "home-categories-setting"],
)
def test_category_blocks_and_their_order_are_settings(
    content: Content, make_app, config: dict[str, object], expected: list[str]
) -> None:
    newsroom(content)
    doc = home(make_app(TOP_STORIES=0, **config).test_client())
    assert [name for name, _ in blocks(doc)] == expected


def test_a_category_block_shows_its_newest_first_with_picture_and_standfirst(
    content: Content, make_app
) -> None:
    newsroom(content)
    doc = home(
        make_app(TOP_STORIES=0, HOME_CATEGORY_ITEMS=3, HOME_CATEGORIES=("Sport",)).test_client()
    )
    (section,) = with_class(doc, "home-section", "section")
    assert lead_slug(doc) == "business-0"  # the newest with a picture
    assert blocks(doc) == [("Sport", ["sport-0", "sport-1", "sport-2"])]
    (card,) = with_class(section, "card", "article")
    assert "number 0" in text_of(card)
    assert elements(card, "img")[0].get("src") == "https://example.org/uploads/sport-0.webp"
    (lines,) = with_class(section, "headlines", "ul")
    assert [slug_of(a) for a in elements(lines, "a")] == ["sport-1", "sport-2"]
    assert elements(lines, "img") == [] and "number 1" not in text_of(lines)
    assert elements(section, "h2")[0].find("a").get("href") == "/category/sport/"


def test_the_number_of_articles_in_a_block_is_a_setting(content: Content, make_app) -> None:
    newsroom(content)
    doc = home(make_app(TOP_STORIES=0, HOME_CATEGORY_ITEMS=2).test_client())
    # Business has two articles, one of them the lead.
    assert [len(slugs) for _, slugs in blocks(doc)] == [2, 2, 2, 1, 1]
    assert blocks(home(make_app(HOME_CATEGORY_ITEMS=0).test_client())) == []


def test_no_article_appears_twice_on_the_front_page(content: Content, make_app) -> None:
    newsroom(content)
    story(content, "featured-sport", 30, image=True, category="Sport", front="featured: true")
    story(content, "featured-travel", 40, category="Travel", front="priority: 2")
    for n in range(25):
        story(content, f"extra-{n}", 50 + n)
    doc = home(make_app().test_client())
    shown = items_shown(doc)
    assert len(shown) == len(set(shown)), shown
    assert lead_slug(doc) == "featured-sport"
    assert top_slugs(doc)[0] == "featured-travel"
    # The newest PER_PAGE articles are all on page 1, so that page 2 carries on after them.
    index = get_library(make_app()).index()
    assert {a.slug for a in index.articles[:20]} <= set(shown)


# Latest, the sections, page 2


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """Forty-five articles an hour apart, no pictures, no categories."""
    content = Content(tmp_path_factory.mktemp("archive"))
    for n in range(45):
        story(content, f"a{n:02d}", n + 1, standfirst="Word " * 60)
    return build_app(content.root).test_client()


def test_latest_lists_the_rest_of_the_newest_with_their_times(archive: FlaskClient) -> None:
    doc = home(archive)
    assert lead_slug(doc) == "a00"
    assert top_slugs(doc) == ["a01", "a02", "a03", "a04"]
    items = latest(doc)
    assert [slug_of(elements(li, "a")[0]) for li in items] == [f"a{n:02d}" for n in range(5, 20)]
    time = elements(items[0], "time")[0]
    assert time.get("datetime") == (NOW - dt.timedelta(hours=6)).isoformat()
    assert text_of(time) == "6 hours ago"  # a news list's time; the date in the attribute
    assert time.get("title", "").endswith("UTC")


def test_page_two_stays_the_plain_newest_first_list(archive: FlaskClient) -> None:
    doc = home(archive, "/page/2/")
    main = doc.find(".//main")
    titles = [slug_of(elements(t, "a")[0]) for t in with_class(main, "card-title")]
    assert titles == [f"a{n:02d}" for n in range(20, 40)]
    assert not with_class(main, "lead") and not with_class(main, "top-stories")
    assert not with_class(main, "latest") and not with_class(main, "home-section")
    assert [a.get("href") for a in elements(main, "a") if a.get("rel") == "prev"] == ["/"]
    first = home(archive)
    assert [a.get("href") for a in elements(first, "a") if a.get("rel") == "next"] == ["/page/2/"]


def test_the_front_page_links_to_every_section(content: Content, make_app) -> None:
    newsroom(content)
    doc = home(make_app(HOME_CATEGORIES=("Sport",)).test_client())
    (nav,) = with_class(doc, "home-nav", "nav")
    hrefs = [a.get("href") for a in elements(nav, "a")]
    for slug in ("business", "sport", "culture", "travel", "science"):
        assert f"/category/{slug}/" in hrefs
    assert "/deals/" in hrefs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Short enough.", "Short enough."),
        ("x" * 160, "x" * 160),
        ("word " * 40, "word " * 31 + "word…"),
        ("Ports, ferries and trams, " * 8, ("Ports, ferries and trams, " * 6)[:-2] + "…"),
        ("y" * 200, "y" * 159 + "…"),
    ],
    ids=["short", "exactly-160", "words", "no-comma-before-ellipsis", "one-long-word"],
)
def test_standfirsts_on_cards_are_shortened_at_a_word_boundary(text: str, expected: str) -> None:
    assert shorten(text) == expected
    assert len(shorten(text)) <= 160


def test_a_card_shows_the_shortened_standfirst_and_the_article_the_whole(
    archive: FlaskClient,
) -> None:
    (card, *_) = with_class(home(archive, "/page/2/"), "card", "article")
    (standfirst,) = with_class(card, "standfirst")
    assert text_of(standfirst).endswith("Word…") and len(text_of(standfirst)) <= 160
    article = home(archive, "/news/a20/")
    assert text_of(with_class(article, "standfirst")[0]) == ("Word " * 60).strip()


# The breaking strip


def strip(doc: ET.Element) -> list[str]:
    """The breaking strip's article slugs; checks it is a region labelled 'Breaking'."""
    regions = with_class(doc, "breaking", "section")
    if not regions:
        return []
    (region,) = regions
    label = doc.find(f".//*[@id='{region.get('aria-labelledby')}']")
    assert label is not None and text_of(label) == "Breaking"
    return [slug_of(a) for a in elements(region, "a")]


def test_the_breaking_strip_is_above_every_page_newest_first(content: Content, make_app) -> None:
    story(content, "first-alarm", 3, front="breaking: true", category="Weather")
    story(content, "later-alarm", 1, front=f"breaking: true\nbreaking_until: {at(24)}")
    story(content, "quiet", 2, front="breaking: false")
    client = make_app().test_client()
    for url in ("/", "/news/quiet/", "/category/weather/", "/tags/", "/nope/"):
        response = client.get(url)
        assert strip(parse(response.data)) == ["later-alarm", "first-alarm"], url


@pytest.mark.parametrize(
    ("front", "hours_ago", "ends_in"),
    [
        ("breaking: true", 5, 1),  # BREAKING_HOURS (6) after its date
        (f"breaking: true\nbreaking_until: {at(2)}", 30, 2),
    ],
    ids=["breaking-hours", "breaking-until"],
)
def test_the_breaking_strip_goes_on_time_with_no_restart_and_the_cache_on(
    content: Content, make_app, front: str, hours_ago: float, ends_in: float
) -> None:
    story(content, "alarm", hours_ago, front=front)
    story(content, "other", 40)
    app = make_app()  # the response cache is on: SimpleCache
    client = app.test_client()
    for url in ("/", "/news/other/"):
        assert strip(parse(client.get(url).data)) == ["alarm"]
        assert strip(parse(client.get(url).data)) == ["alarm"]  # now from the cache
    end = NOW + dt.timedelta(hours=ends_in)
    set_clock(app, end - dt.timedelta(seconds=1))
    assert strip(parse(client.get("/news/other/").data)) == ["alarm"]
    set_clock(app, end)
    for url in ("/", "/news/other/"):
        assert strip(parse(client.get(url).data)) == [], url


def test_the_version_and_cache_lifetime_follow_the_strips_end(content: Content, make_app) -> None:
    story(content, "alarm", 1, front=f"breaking: true\nbreaking_until: {at(0.01)}")  # 36 s
    app = make_app(HTTP_MAX_AGE=300)
    client = app.test_client()
    index = get_library(app).index()
    assert index.next_change == NOW + dt.timedelta(seconds=36)
    assert client.get("/").cache_control.max_age == 36
    set_clock(app, NOW + dt.timedelta(seconds=36))
    assert get_library(app).index().version != index.version
    assert client.get("/").cache_control.max_age == 300


def test_a_page_revalidated_by_date_is_sent_again_once_the_strip_is_gone(
    content: Content, make_app
) -> None:
    story(content, "alarm", 1, front=f"breaking: true\nbreaking_until: {at(1)}")
    story(content, "other", 40)
    app = make_app()
    client = app.test_client()
    stamp = client.get("/news/other/").headers["Last-Modified"]
    assert client.get("/news/other/", headers={"If-Modified-Since": stamp}).status_code == 304
    set_clock(app, NOW + dt.timedelta(hours=1))
    again = client.get("/news/other/", headers={"If-Modified-Since": stamp})
    assert again.status_code == 200 and strip(parse(again.data)) == []


# Pinned


def category_slugs(client: FlaskClient, url: str) -> list[str]:
    main = home(client, url).find(".//main")
    assert main is not None
    return [slug_of(elements(t, "a")[0]) for t in with_class(main, "card-title")]


def pinned_desk(content: Content) -> None:
    story(content, "newest", 1, category="Business")
    story(content, "pinned-short", 30, category="Business", front=f"pinned_until: {at(24)}")
    story(content, "middle", 40, category="Business")
    story(content, "pinned-long", 50, category="Business", front=f"pinned_until: {at(48)}")
    story(content, "oldest", 60, category="Business")
    story(content, "pin-ended", 70, category="Business", front=f"pinned_until: {at(-1)}")


def test_pinned_articles_come_first_in_their_category_until_their_time(
    content: Content, make_app
) -> None:
    pinned_desk(content)
    app = make_app()
    client = app.test_client()
    order = ["pinned-short", "pinned-long", "newest", "middle", "oldest", "pin-ended"]
    assert category_slugs(client, "/category/business/") == order
    set_clock(app, NOW + dt.timedelta(hours=24))
    order = ["pinned-long", "newest", "pinned-short", "middle", "oldest", "pin-ended"]
    assert category_slugs(client, "/category/business/") == order


def test_pinned_articles_are_not_repeated_on_later_pages(content: Content, make_app) -> None:
    pinned_desk(content)
    client = make_app(PER_PAGE=4).test_client()
    pages = [
        category_slugs(client, "/category/business/"),
        category_slugs(client, "/category/business/page/2/"),
    ]
    assert pages == [["pinned-short", "pinned-long", "newest", "middle"], ["oldest", "pin-ended"]]


def test_flags_leave_the_feeds_in_date_order(content: Content, make_app) -> None:
    pinned_desk(content)
    story(content, "featured", 80, category="Business", front="featured: true")
    story(content, "alarm", 2, category="Business", front="breaking: true")
    client = make_app().test_client()
    newest_first = [
        "newest",
        "alarm",
        "pinned-short",
        "middle",
        "pinned-long",
        "oldest",
        "pin-ended",
        "featured",
    ]
    for url in ("/feed.xml", "/category/business/feed.xml", "/atom.xml"):
        feed = feedparser.parse(client.get(url).data)
        assert [e.link.rstrip("/").rsplit("/", 1)[-1] for e in feed.entries] == newest_first, url


# Caption and credit


@pytest.mark.parametrize(
    ("fields", "caption", "credit"),
    [
        (
            'featuredimage_caption: The quay at dawn.\nfeaturedimage_credit: "Photo: M. Okonjo"',
            "The quay at dawn. Photo: M. Okonjo",
            "Photo: M. Okonjo",
        ),
        ("featuredimage_caption: The quay at dawn.", "The quay at dawn.", None),
        ('featuredimage_credit: "Photo: M. Okonjo"', "Photo: M. Okonjo", "Photo: M. Okonjo"),
        ("", None, None),
    ],
    ids=["caption-and-credit", "caption", "credit", "neither"],
)
def test_the_article_picture_has_its_caption_and_credit(
    content: Content, make_app, fields: str, caption: str | None, credit: str | None
) -> None:
    story(content, "quay", 1, image=True, front=fields)
    doc = home(make_app().test_client(), "/news/quay/")
    (figure,) = with_class(doc, "story-image", "figure")
    assert elements(figure, "img")[0].get("src") == "https://example.org/uploads/quay.webp"
    captions = elements(figure, "figcaption")
    assert [text_of(c) for c in captions] == ([caption] if caption else [])
    smalls = [text_of(s) for c in captions for s in elements(c, "small")]
    assert smalls == ([credit] if credit else [])


def test_a_caption_is_text_not_markup(content: Content, make_app: Callable[..., Flask]) -> None:
    story(
        content, "quay", 1, image=True, front='featuredimage_caption: "<b>Bold</b> & <i>more</i>"'
    )
    (caption,) = elements(home(make_app().test_client(), "/news/quay/"), "figcaption")
    assert text_of(caption) == "<b>Bold</b> & <i>more</i>" and not elements(caption, "b")

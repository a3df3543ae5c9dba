"""The editors' format, quirk by quirk: one file in, one validated Article out."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from blog.content.fields import slugify
from blog.content.models import ArticleError, parse_article, slug_from_path
from tests.articles import article_text

UTC = dt.UTC


def parse(text: str | bytes, path: str = "2025-06-02-tidal-trams.md", tz: str = "UTC"):
    data = text.encode() if isinstance(text, str) else text
    return parse_article(path, data, "hash", ZoneInfo(tz))


@pytest.mark.parametrize(
    ("yaml_tags", "expected"),
    [
        ('\n  - "#AI #Amazon #TechNews"', ("AI", "Amazon", "TechNews")),
        ("\n  - Climate\n  - Policy", ("Climate", "Policy")),
        ('"Football, Transfers, Premier League"', ("Football", "Transfers", "Premier League")),
        ('\n  - "#AI #ai #Robots"', ("AI", "Robots")),
        ('\n  - "#Energy"\n  - "#Transport #Cities"', ("Energy", "Transport", "Cities")),
        ("[]", ()),
        ("", ()),
    ],
)
def test_tags_in_every_shape_editors_write(yaml_tags: str, expected: tuple[str, ...]) -> None:
    assert parse(article_text(front=f"tags: {yaml_tags}")).tags == expected


def test_missing_tags_field_means_no_tags() -> None:
    assert parse(article_text()).tags == ()


@pytest.mark.parametrize(
    ("yaml_deals", "expected"),
    [
        ("No", False),
        ("Yes", True),
        ('"No"', False),
        ('"Yes"', True),
        ("yes", True),
        ("false", False),
        ("true", True),
    ],
)
def test_deals_as_yaml_booleans_or_strings(yaml_deals: str, expected: bool) -> None:
    assert parse(article_text(front=f"deals: {yaml_deals}")).deals is expected


def test_missing_deals_means_no_deal() -> None:
    assert parse(article_text()).deals is False


def test_deals_with_an_unreadable_value_names_line_and_field() -> None:
    with pytest.raises(ArticleError) as e:
        parse(article_text(front="categoria: Business\ndeals: perhaps"))
    assert (e.value.line, e.value.field) == (5, "deals")
    assert str(e.value).startswith("2025-06-02-tidal-trams.md:5: deals: ")


@pytest.mark.parametrize(
    ("yaml_date", "tz", "expected"),
    [
        ("2025-04-11T01:00:26.920Z", "UTC", dt.datetime(2025, 4, 11, 1, 0, 26, 920000, UTC)),
        ("2025-04-11", "UTC", dt.datetime(2025, 4, 11, tzinfo=UTC)),
        ("2025-07-14T09:30:00+02:00", "UTC", dt.datetime(2025, 7, 14, 7, 30, tzinfo=UTC)),
        ("2025-08-02 14:15:00", "UTC", dt.datetime(2025, 8, 2, 14, 15, tzinfo=UTC)),
        ("2025-08-02 14:15:00", "Europe/Madrid", dt.datetime(2025, 8, 2, 12, 15, tzinfo=UTC)),
        ("2025-04-11", "Europe/Madrid", dt.datetime(2025, 4, 10, 22, 0, tzinfo=UTC)),
        ('"2025-04-11T01:00:26Z"', "UTC", dt.datetime(2025, 4, 11, 1, 0, 26, tzinfo=UTC)),
    ],
)
def test_every_date_shape_becomes_aware_utc(yaml_date: str, tz: str, expected: dt.datetime) -> None:
    date = parse(article_text(date=yaml_date), tz=tz).date
    assert date == expected
    assert date.utcoffset() == dt.timedelta(0)


def test_unreadable_date_is_an_error_with_its_line() -> None:
    with pytest.raises(ArticleError) as e:
        parse(article_text(date="next tuesday"))
    assert (e.value.line, e.value.field) == (3, "date")


def test_sections_in_order_then_body() -> None:
    front = (
        "mk2: >-\n  Second section.\n"
        "mk1: >-\n  <!--StartFragment-->\n\n\n  First.\n\n\n  <!--EndFragment-->\n"
        'mk3: ""\nmk5:'
    )
    article = parse(article_text(front=front, body="The body."))
    assert article.sections == (
        ("mk1", "<!--StartFragment-->\n\nFirst.\n\n<!--EndFragment-->"),
        ("mk2", "Second section."),
    )
    assert article.markdown.endswith("The body.")
    assert article.markdown.index("First.") < article.markdown.index("Second")


def test_empty_body_is_allowed() -> None:
    article = parse(article_text(front="mk1: >-\n  Only a section.", body=""))
    assert (article.body, article.sections) == ("", (("mk1", "Only a section."),))


def test_folded_section_keeps_paragraphs_and_lists() -> None:
    front = "mk1: >-\n  ### Heading\n\n\n  * one\n\n  * two\n\n\n  Closing line."
    assert (
        parse(article_text(front=front)).sections[0].markdown
        == "### Heading\n\n* one\n* two\n\nClosing line."
    )


def test_standfirst_from_folded_short_description() -> None:
    front = "short-description: Three port cities will run\n  their night trams on tidal power."
    assert parse(article_text(front=front)).standfirst == (
        "Three port cities will run their night trams on tidal power."
    )


def test_unknown_fields_are_kept_and_ignored() -> None:
    article = parse(article_text(front="layout: blog-post\nseo_score: 42"))
    assert dict(article.extra) == {"layout": "blog-post", "seo_score": 42}


def test_missing_optional_fields_are_tolerated() -> None:
    article = parse(article_text())
    assert (article.category, article.image, article.author, article.updated) == (
        None,
        None,
        None,
        None,
    )
    assert (article.standfirst, article.sections, article.aliases, article.draft) == (
        "",
        (),
        (),
        False,
    )


def test_optional_fields_when_present() -> None:
    front = (
        "categoria: Food & Drink\nauthor: Mira Okonjo\ndraft: true\n"
        "updated: 2025-06-03T10:00:00Z\naliases:\n  - /old/path/\n  - old-slug\n"
        "featuredimage_alt: A tram at night"
    )
    article = parse(article_text(front=front))
    assert article.category == "Food & Drink"
    assert article.author == "Mira Okonjo"
    assert article.draft is True
    assert article.updated == dt.datetime(2025, 6, 3, 10, tzinfo=UTC)
    assert article.aliases == ("/old/path/", "old-slug")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://example.org/app/uploads/2025/06/tram.webp",
            "https://example.org/app/uploads/2025/06/tram.webp",
        ),
        ("http://example.org/tram.jpg", "http://example.org/tram.jpg"),
        ("/static/images/tram.webp", "/static/images/tram.webp"),
        ('"javascript:alert(1)"', None),
        ('"data:image/svg+xml;base64,PHN2Zz4="', None),
        ("//evil.example/x.png", None),
        ("ftp://example.org/x.png", None),
        ('"https:no-host"', None),
    ],
)
def test_featured_image_only_http_or_site_path(url: str, expected: str | None) -> None:
    assert parse(article_text(front=f"featuredimage: {url}")).image == expected


def test_featured_image_alt_is_empty_when_not_given_not_the_headline() -> None:
    """An empty alt beside a visible headline is right; the headline twice is not."""
    assert parse(article_text(title="Night Trams")).image_alt == ""


def test_featured_image_caption_and_credit() -> None:
    front = "featuredimage_caption: Trams at dusk\nfeaturedimage_credit: 'Photo: M. Okonjo'"
    article = parse(article_text(front=front))
    assert (article.image_caption, article.image_credit) == ("Trams at dusk", "Photo: M. Okonjo")


@pytest.mark.parametrize(
    ("front", "authors"),
    [
        ("author: Mira Okonjo", ("Mira Okonjo",)),
        (
            "author:\n  - Mira Okonjo\n  - Tomas  Reyes\n  - Mira Okonjo",
            ("Mira Okonjo", "Tomas Reyes"),
        ),
        ("author:\n  - Mira Okonjo\n  - mira  okonjo", ("Mira Okonjo",)),
        ("author: ''", ()),
        ("", ()),
    ],
)
def test_author_is_a_name_or_a_list_of_names(front: str, authors: tuple[str, ...]) -> None:
    article = parse(article_text(front=front))
    assert article.authors == authors
    assert article.author == (authors[0] if authors else None)


@pytest.mark.parametrize(
    ("front", "priority"),
    [
        ("", 0),
        ("featured: true", 1),
        ("featured: No", 0),
        ("priority: 3", 3),
        ("priority: '2'", 2),
        ("featured: true\npriority: 5", 5),
        ("featured: true\npriority: 0", 1),
    ],
)
def test_featured_and_priority_rank_an_article_for_the_front_page(
    front: str, priority: int
) -> None:
    article = parse(article_text(front=front))
    assert article.priority == priority
    assert article.featured is (priority > 0)


@pytest.mark.parametrize(
    ("front", "field"),
    [
        ("priority: high", "priority"),
        ("priority: -1", "priority"),
        ("priority: [1]", "priority"),
        ("featured: maybe", "featured"),
        ("breaking: sometimes", "breaking"),
        ("breaking_until: tomorrow", "breaking_until"),
        ("pinned_until: soon", "pinned_until"),
        ("author:\n  - [nested]", "author"),
    ],
)
def test_a_wrong_front_page_field_is_an_error_naming_it(front: str, field: str) -> None:
    with pytest.raises(ArticleError) as error:
        parse(article_text(front=front))
    assert error.value.field == field and error.value.line == 4


def test_breaking_and_pinned_moments_are_read_as_dates() -> None:
    front = "breaking: true\nbreaking_until: 2025-06-02T12:00:00+02:00\npinned_until: 2025-06-09"
    article = parse(article_text(front=front))
    assert article.breaking is True
    assert article.breaking_until == dt.datetime(2025, 6, 2, 10, tzinfo=UTC)
    assert article.pinned_until == dt.datetime(2025, 6, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("path", "front", "slug"),
    [
        ("2025-06-02-tidal-trams.md", "", "tidal-trams"),
        ("tidal-trams.md", "", "tidal-trams"),
        ("2025/2025-06-02-Tidal Trams.md", "", "tidal-trams"),
        ("2025-06-02-tidal-trams.md", "slug: Night Trams 2025", "night-trams-2025"),
        ("2025-06-02-x.md", "slug: ../../etc/passwd", "etc-passwd"),
    ],
)
def test_slug_from_file_name_or_front_matter(path: str, front: str, slug: str) -> None:
    assert parse(article_text(front=front), path=path).slug == slug


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("AI", "ai"),
        ("Food & Drink", "food-drink"),
        ("Café Culture", "cafe-culture"),
        ("Kestrel_Rovers", "kestrel-rovers"),
        ("東京", "東京"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_slug_from_path_strips_date_prefix() -> None:
    assert slug_from_path("2026-01-20-harbour-ferries.md") == "harbour-ferries"


def test_byte_order_mark_and_crlf_are_read() -> None:
    text = article_text(front="categoria: Sport  \ndeals: No", body="Line one.  \n\nLine two.")
    article = parse(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert (article.title, article.category, article.deals) == (
        "Harbour Cities Turn to Tidal Power",
        "Sport",
        False,
    )
    assert "\r" not in article.body


def test_missing_title_is_an_error() -> None:
    with pytest.raises(ArticleError) as e:
        parse("---\ndate: 2025-01-01\n---\nBody")
    assert e.value.field == "title"


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(ArticleError) as e:
        parse("---\ntitle: Fine\ndate: 2025-01-01\ntags: [unclosed\n---\nBody")
    assert e.value.line == 4  # where the unclosed bracket opens
    assert "YAML syntax error" in e.value.message


@pytest.mark.parametrize("front", ["- a list\n- of things", "just a string"])
def test_front_matter_that_is_not_a_mapping_is_an_error(front: str) -> None:
    with pytest.raises(ArticleError, match="not a mapping"):
        parse(f"---\n{front}\n---\nBody")


def test_not_utf8_is_an_error_with_its_line() -> None:
    with pytest.raises(ArticleError, match="not UTF-8") as e:
        parse(article_text().encode() + b"\nbad \xff byte")
    assert e.value.line == 11  # 9 lines of article, a blank one, then the bad byte


def test_no_front_matter_is_an_error() -> None:
    with pytest.raises(ArticleError, match="no front matter"):
        parse("Just some text")


def test_reading_time_counts_words_not_markup() -> None:
    words = " ".join(["word"] * 660)
    assert parse(article_text(body=f'<p dir="ltr">{words}</p>')).reading_minutes == 3


def test_scheduled_and_draft_articles_are_not_published() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert parse(article_text(date="2025-12-31T23:59:59Z")).is_published(now)
    assert not parse(article_text(date="2026-01-01T00:00:01Z")).is_published(now)
    assert not parse(article_text(front="draft: true")).is_published(now)

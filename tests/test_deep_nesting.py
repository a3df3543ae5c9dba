"""A field that nests deeper than the Markdown parser can follow (issue 19, finding 4): it
used to raise RecursionError, so its page and every site feed answered 500 on each request
and the check said nothing. Now the field is shown as plain text, every other field as
usual, and the check reports it."""

from __future__ import annotations

import json
from collections.abc import Callable

import feedparser
import pytest
from flask import Flask

from blog.markup.render import MAX_NESTING, Renderer, nesting_depth
from tests.articles import Content, article_text

DEEP_LIST = "".join("    " * level + f"- level {level}\n" for level in range(249))
DEEP_QUOTES = "".join(">" * level + " said\n\n" for level in range(1, 3 * MAX_NESTING))


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("plain", 0),
        ("- a\n    - b\n        - c", 2),
        ("> > > deep", 3),
        ("\t\t- tabbed", 2),
        (DEEP_LIST, 248),
    ],
)
def test_nesting_depth_counts_indents_and_quote_markers(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


@pytest.mark.parametrize("deep", [DEEP_LIST, DEEP_QUOTES], ids=["list", "quotes"])
def test_a_field_too_deep_to_parse_is_its_plain_text_and_the_others_render(deep: str) -> None:
    html = Renderer(()).html_of_parts(
        [("mk1", "First *field*."), ("mk2", deep + "<script>x()</script>"), ("body", "**Body**")]
    )
    assert "<em>field</em>" in html and "<strong>Body</strong>" in html
    assert "level 10" in html or "said" in html
    assert "<script>" not in html and "&lt;script&gt;" in html  # escaped, never markup


@pytest.fixture
def deep_site(content: Content, make_app: Callable[..., Flask]) -> Flask:
    content.write(
        "2025-03-01-deep.md",
        article_text(
            title="Deep",
            front="mk1: >-\n  Marker one.",
            body="Marker body.\n\n" + DEEP_LIST,
        ),
    )
    content.article("2025-03-02-plain.md", title="Plain")
    return make_app()


def test_the_page_and_every_feed_answer_with_the_other_text(deep_site: Flask) -> None:
    client = deep_site.test_client()
    page = client.get("/news/deep/")
    assert page.status_code == 200
    assert b"Marker one." in page.data and b"Marker body." in page.data
    for url in ("/feed.xml", "/atom.xml"):
        response = client.get(url)
        assert response.status_code == 200, url
        entry = next(e for e in feedparser.parse(response.data).entries if e.title == "Deep")
        assert "Marker one." in entry.content[0].value, url
    response = client.get("/feed.json")
    assert response.status_code == 200
    item = next(i for i in json.loads(response.data)["items"] if i["title"] == "Deep")
    assert "Marker body." in item["content_html"]


def test_the_check_reports_the_field_too_deep(deep_site: Flask) -> None:
    result = deep_site.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert (
        "2025-03-01-deep.md:7: error: body: lists or quotes nest 248 levels deep "
        f"(at most {MAX_NESTING}): readers get this field as plain text"
    ) in result.output

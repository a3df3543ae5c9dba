"""The renderer on its own: Markdown features news needs, and the heading outline."""

from __future__ import annotations

import pytest

from blog.markup.render import Renderer
from tests.html import elements, parse


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(["www.youtube.com"])


def tags_of(html: str) -> list[str]:
    return [e.tag for e in elements(parse(html).find("body"))][1:]  # without <body> itself


@pytest.mark.parametrize(
    ("markdown", "headings"),
    [
        ("### A\n\n#### B\n\n### C", ["h2", "h3", "h2"]),
        ("# Top\n\n## Sub", ["h2", "h3"]),
        ("## Already\n\n### Fine", ["h2", "h3"]),
        ("<h1>Pasted</h1>\n\n<h4>Deep</h4>", ["h2", "h5"]),
        ("##### Only deep", ["h2"]),
    ],
)
def test_headings_start_at_h2_and_keep_their_outline(
    renderer: Renderer, markdown: str, headings: list[str]
) -> None:
    found = [t for t in tags_of(renderer.html(markdown)) if t[0] == "h" and t[1:].isdigit()]
    assert found == headings


def test_headings_get_ids_for_links(renderer: Renderer) -> None:
    doc = parse(renderer.html("### A Trial That Paid for Itself"))
    assert elements(doc, "h2")[0].get("id") == "a-trial-that-paid-for-itself"


def test_sane_lists_and_rules(renderer: Renderer) -> None:
    html = renderer.html("* one\n* two\n\n- - -\n\n1. first\n2. second")
    assert tags_of(html) == ["ul", "li", "li", "hr", "ol", "li", "li"]


def test_footnotes_link_both_ways(renderer: Renderer) -> None:
    doc = parse(renderer.html("Claim.[^1]\n\n[^1]: Source."))
    hrefs = {a.get("href") for a in elements(doc, "a")}
    assert hrefs == {"#fn:1", "#fnref:1"}


def test_images_load_lazily(renderer: Renderer) -> None:
    image = elements(parse(renderer.html("![Tram](https://example.org/t.webp)")), "img")[0]
    assert (image.get("loading"), image.get("decoding"), image.get("alt")) == (
        "lazy",
        "async",
        "Tram",
    )

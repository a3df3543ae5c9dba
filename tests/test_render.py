"""The renderer on its own: Markdown features news needs, and the heading outline."""

from __future__ import annotations

import pytest

from blog.markup.render import Renderer, table_of_contents
from tests.html import elements, parse, text_of


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


@pytest.mark.parametrize(
    "opener",
    [
        "<textarea>",
        "<noscript>",
        "<style>",
        "<title>",
        "<select>",
        "<!-- an open comment",
        "<math><mtext><table><mglyph><style>",
        "<svg><p>",
        "<math><form>",
    ],
)
def test_an_unclosed_element_ends_with_its_field(renderer: Renderer, opener: str) -> None:
    parts = [("mk1", f"{opener}\n\nFirst."), ("mk2", "Second."), ("body", "Body.")]
    paragraphs = [text_of(p) for p in elements(parse(renderer.html_of_parts(parts)), "p")]
    assert paragraphs[-2:] == ["Second.", "Body."]


def test_headings_shift_alike_in_every_field(renderer: Renderer) -> None:
    html = renderer.html_of_parts([("mk1", "### A"), ("mk2", "#### B"), ("body", "### C")])
    assert [t for t in tags_of(html) if t[0] == "h"] == ["h2", "h3", "h2"]


def test_ids_stay_unique_across_fields_and_footnotes_link_within_theirs(
    renderer: Renderer,
) -> None:
    note = "### Notes\n\nClaim.[^1]\n\n[^1]: Source."
    html = renderer.html_of_parts([("mk1", note), ("mk2", note), ("body", note)])
    doc = parse(html)
    ids = [e.get("id") for e in elements(doc) if e.get("id")]
    assert len(ids) == len(set(ids)) == 9  # a heading, a reference and a note in each
    links = [a.get("href", "")[1:] for a in elements(doc, "a")]
    assert sorted(links) == sorted(i for i in ids if i.startswith("fn"))
    assert [anchor for anchor, _ in table_of_contents(html)] == ["notes", "notes_1", "notes_2"]

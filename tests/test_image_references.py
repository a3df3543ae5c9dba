"""Where articles name images: the lead image, Markdown pictures (inline and by label) and
pasted ``<img>`` tags, in order, each once; never a link, never a refused scheme, and in
linear time on hostile text."""

from __future__ import annotations

import time

import pytest

from blog.images.references import Use, kind, references, uses
from tests.articles import parsed_article


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("![A tram](https://cdn.example.org/tram.webp)", ["https://cdn.example.org/tram.webp"]),
        ('![A tram](/static/media/tram.jpg "At night")', ["/static/media/tram.jpg"]),
        ("![](<https://cdn.example.org/a tram.jpg>)", ["https://cdn.example.org/a tram.jpg"]),
        ("![A tram][tram]\n\n[tram]: /media/tram.jpg", ["/media/tram.jpg"]),
        ("![Tram]\n\n[tram]: <https://cdn.example.org/t.jpg>", ["https://cdn.example.org/t.jpg"]),
        ('<p dir="ltr"><img alt="" src="/media/a.png?x=1&amp;y=2"></p>', ["/media/a.png?x=1&y=2"]),
        ("<IMG SRC='https://cdn.example.org/b.gif'>", ["https://cdn.example.org/b.gif"]),
        ("![a](/media/a.jpg) and again ![b](/media/a.jpg)", ["/media/a.jpg"]),
        ("![a](/media/2.jpg)\n\n<img src=/media/1.jpg>", ["/media/2.jpg", "/media/1.jpg"]),
        ("[a link, not a picture](/media/a.jpg)", []),
        ("![x](javascript:alert(1)) ![y](data:image/png;base64,AAAA)", []),
        ("![x](//cdn.example.org/protocol-relative.jpg) ![y](relative.jpg)", []),
        ("![unused label][nothing]", []),
    ],
)
def test_the_pictures_of_a_field_are_found(markdown: str, expected: list[str]) -> None:
    assert references(markdown) == expected


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("/static/images/harbour-dawn.webp", "local"),
        ("https://cdn.example.org/a.jpg", "remote"),
        ("http://cdn.example.org/a.jpg", "remote"),
        ("ftp://cdn.example.org/a.jpg", None),
        ("javascript:alert(1)", None),
    ],
)
def test_a_reference_is_local_remote_or_nothing(reference: str, expected: str | None) -> None:
    assert kind(reference) == expected


def test_an_article_shows_its_lead_image_then_those_of_its_fields() -> None:
    article = parsed_article(
        "a.md",
        front='featuredimage: /media/lead.jpg\nmk1: "![one](/media/one.jpg)"',
        body="![two](https://cdn.example.org/two.jpg)",
    )
    assert uses(article, article.parts) == [
        Use("featuredimage", "/media/lead.jpg"),
        Use("mk1", "/media/one.jpg"),
        Use("body", "https://cdn.example.org/two.jpg"),
    ]


@pytest.mark.parametrize(
    "hostile",
    ["![" * 50_000, "<img " * 50_000, "![a](" * 50_000, "[x]: /a\n" + "![x] " * 50_000],
    ids=["brackets", "img tags", "open links", "labels"],
)
def test_hostile_text_is_read_in_linear_time(hostile: str) -> None:
    start = time.monotonic()
    references(hostile)
    assert time.monotonic() - start < 1.0

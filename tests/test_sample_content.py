"""The sample content the site ships: enough of it, all of it valid, every quirk used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from blog import create_app, get_library

CONTENT = Path(__file__).resolve().parent.parent / "content"
STATIC = Path(__file__).resolve().parent.parent / "static"
RAW = {p.name: p.read_bytes() for p in sorted(CONTENT.glob("*.md"))}


@pytest.fixture(scope="module")
def sample() -> Flask:
    return create_app({"TESTING": True, "CONTENT_DIR": str(CONTENT)})


def test_every_sample_file_parses(sample: Flask) -> None:
    entries = get_library(sample).entries
    assert len(entries) == len(RAW) >= 15
    assert {path: str(e.error) for path, e in entries.items() if e.error} == {}


def test_samples_cover_five_categories_and_publish_most(sample: Flask) -> None:
    index = get_library(sample).index()
    assert len(index.categories) >= 5
    assert len(index.articles) >= 15


@pytest.mark.parametrize(
    ("quirk", "pattern"),
    [
        ("hashtag string", rb'tags:\s*\n\s*- "#'),
        ("plain tag list", rb"tags:\s*\n\s*- [A-Za-z]"),
        ("comma tag string", rb"tags: \"?[^\n#]+, "),
        ("deals No", rb"deals: No\b"),
        ("deals Yes", rb"deals: Yes\b"),
        ("quoted deals", rb'deals: "No"'),
        ("millisecond Z date", rb"date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"),
        ("bare date", rb"date: \d{4}-\d\d-\d\d\s*\r?\n"),
        ("offset date", rb"date: \S+[+-]\d\d:\d\d\s*\r?\n"),
        ("naive date", rb"date: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s*\r?\n"),
        ("folded section", rb"mk1: >-"),
        ("fragment comments", rb"<!--StartFragment-->"),
        ("rule", rb"\n- - -"),
        ("raw paragraph", rb'<p dir="ltr">'),
        ("pasted span", rb"<span style="),
        ("iframe embed", rb"<iframe"),
        ("pasted script", rb"<script"),
        ("byte-order mark", rb"^\xef\xbb\xbf"),
        ("CRLF", rb"\r\n"),
        ("slug override", rb"\nslug: "),
        ("draft", rb"\ndraft: true"),
        ("aliases", rb"\naliases:"),
        ("updated", rb"\nupdated: "),
        ("site-path image", rb"featuredimage: /static/images/"),
        ("remote image", rb"featuredimage: https://"),
        ("picture caption and credit", rb"featuredimage_caption: .+\r?\nfeaturedimage_credit: "),
    ],
)
def test_samples_use_every_quirk(quirk: str, pattern: bytes) -> None:
    assert any(re.search(pattern, data) for data in RAW.values()), quirk


def test_site_path_images_exist_offline(sample: Flask) -> None:
    for article in get_library(sample).index().articles:
        if article.image and article.image.startswith("/static/"):
            assert (STATIC / article.image.removeprefix("/static/")).is_file(), article.image


def test_some_samples_are_scheduled_and_draft(sample: Flask) -> None:
    index = get_library(sample).index()
    assert index.next_change is not None
    assert any(a.draft for a in index.unpublished.values())


def test_sample_author_profiles_parse_and_belong_to_bylines(sample: Flask) -> None:
    library = get_library(sample)
    profiles = library.profile_entries
    assert len(profiles) >= 2
    assert {path: str(e.error) for path, e in profiles.items() if e.error} == {}
    index = library.index()
    assert set(index.profiles) <= set(index.authors)
    assert not [p for p in index.articles if p.path.startswith("authors/")]

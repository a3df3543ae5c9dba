"""Hostile files never crash the site or the check: bombs, deep nesting, wrong types,
garbage, huge files, links out of the folder; and generated files never give a 500 or an
executable construct (hypothesis)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import blog.content.library
from blog import get_library
from blog.content.models import ArticleError, parse_article
from tests.articles import Content, article_text, yaml_value
from tests.html import executable_constructs, parse

BILLION_LAUGHS = """---
title: Laughs
date: 2025-01-01T00:00:00Z
a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
a2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
a3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
a4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
a5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
a6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
a7: &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]
a8: &a8 [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]
tags: *a8
mk1: *a8
---
Body.
"""

HOSTILE = {
    "bomb.md": BILLION_LAUGHS,
    "bomb-in-extra.md": BILLION_LAUGHS.replace("tags: *a8\nmk1: *a8\n", "lol: *a8\n"),
    "deep-list.md": "---\ntitle: Deep\ndate: 2025-01-01\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n",
    "deep-map.md": "---\ntitle: Deep\ndate: 2025-01-01\nx: "
    + "{a: " * 5000
    + "1"
    + "}" * 5000
    + "\n---\n",
    "deep-block.md": "---\ntitle: Deep\ndate: 2025-01-01\nx:\n"
    + "".join("  " * n + "- \n" for n in range(1, 1200))
    + "---\n",
    "list.md": "---\n- title\n- date\n---\n",
    "scalar.md": "---\njust a string\n---\n",
    "number.md": "---\n42\n---\n",
    "null.md": "---\n~\n---\nBody only.\n",
    "tags-map.md": "---\ntitle: T\ndate: 2025-01-01\ntags: {a: 1}\n---\n",
    "tags-number.md": "---\ntitle: T\ndate: 2025-01-01\ntags: 42\n---\n",
    "tags-nested.md": "---\ntitle: T\ndate: 2025-01-01\ntags: [[a], {b: c}]\n---\n",
    "date-list.md": "---\ntitle: T\ndate: [2025, 1, 1]\n---\n",
    "date-map.md": "---\ntitle: T\ndate: {y: 2025}\n---\n",
    "date-bool.md": "---\ntitle: T\ndate: yes\n---\n",
    "date-huge.md": "---\ntitle: T\ndate: 99999-01-01\n---\n",
    "date-number.md": "---\ntitle: T\ndate: 1e400\n---\n",
    "title-map.md": "---\ntitle: {a: b}\ndate: 2025-01-01\n---\n",
    "binary.md": bytes(range(256)) * 40,
    "latin1.md": "---\ntitle: Caf\xe9\ndate: 2025-01-01\n---\n".encode("latin-1"),
    "utf16.md": "---\ntitle: Wide\ndate: 2025-01-01\n---\n".encode("utf-16"),
    "bom-crlf.md": "\ufeff---\r\ntitle: Windows\r\ndate: 2025-01-01\r\n---\r\nBody.\r\n".encode(),
    "nul.md": "---\ntitle: Nul\x00byte\ndate: 2025-01-01\n---\n\x00\x00",
    "unclosed.md": "---\ntitle: Open\ndate: 2025-01-01\n",
    "empty.md": "",
    "python-tag.md": "---\ntitle: !!python/object/apply:os.system ['echo pwned']\n"
    "date: 2025-01-01\n---\n",
    "merge-loop.md": "---\nbase: &b {title: T}\n<<: *b\ndate: 2025-01-01\n---\n",
}


@pytest.fixture
def hostile(content: Content) -> Content:
    content.article("2025-01-02-good.md", title="A Good Story")
    for name, text in HOSTILE.items():
        content.write(name, text)
    return content


def test_hostile_files_leave_the_site_up_and_are_reported_once(
    hostile: Content, make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="blog"):
        app = make_app()
        client = app.test_client()
        for url in ("/", "/news/good/", "/feed.xml", "/sitemap.xml", "/search?q=lol", "/tags/"):
            assert client.get(url).status_code == 200, url
        for url in ("/news/laughs/", "/news/deep/"):
            assert client.get(url).status_code == 404, url  # refused files publish nothing
        client.get("/")
    errors = get_library(app).index().errors
    for name in ("list.md", "scalar.md", "binary.md", "utf16.md", "python-tag.md"):
        assert name in errors, name
    for name in ("deep-list.md", "deep-map.md", "deep-block.md"):
        assert "nesting" in errors[name].message, name
    assert "good.md" not in str(errors)
    assert "nul.md" not in errors  # control characters are dropped, the rest is published
    assert get_library(app).index().by_slug["nul"].title == "Nulbyte"
    assert caplog.text.count("deep-list.md") == 1  # once, not per request


def test_the_python_tag_is_never_run(hostile: Content, make_app: Callable[..., Flask]) -> None:
    errors = get_library(make_app()).index().errors
    assert "python-tag.md" in errors  # the safe loader refuses the tag


def test_the_check_reports_hostile_files_without_crashing(
    hostile: Content, make_app: Callable[..., Flask]
) -> None:
    result = make_app().test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1, result.output  # errors found, reported
    assert "deep-list.md" in result.output and "binary.md" in result.output
    assert "Traceback" not in result.output


def test_a_50_mb_file_is_refused_by_size_without_being_read(
    content: Content, make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    big = content.write("2025-01-03-big.md", article_text(title="Big", body="x"))
    with big.open("ab") as file:
        file.truncate(50 * 1024 * 1024)
    reads: list[str] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or real(self))
    app = make_app()
    error = get_library(app).index().errors["2025-01-03-big.md"]
    assert "over the" in error.message and "limit" in error.message
    assert "2025-01-03-big.md" not in reads
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert "2025-01-03-big.md" in result.output and "limit" in result.output


def test_symlinks_out_of_the_folder_are_ignored(
    content: Content, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text(article_text(title="Outside Secret"))
    os.symlink(outside, content.root / "link.md")
    os.symlink(tmp_path, content.root / "folder-link")
    os.symlink(content.root / "loop", content.root / "loop")  # a link to itself
    app = make_app()
    assert "Outside Secret" not in app.test_client().get("/").get_data(as_text=True)
    assert "link.md" not in get_library(app).entries


def test_deep_nesting_is_an_article_error_not_a_crash() -> None:
    data = HOSTILE["deep-list.md"].encode()
    with pytest.raises(ArticleError) as error:
        parse_article("deep.md", data, "h", dt.UTC)
    assert error.value.line >= 1


# Generated files: whatever an editor (or a fuzzer) writes, no 500 and nothing executable.

VECTORS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "<svg/onload=alert(1)>",
    '"><iframe srcdoc="<script>alert(1)</script>">',
    "<a href='&#106;avascript:alert(1)'>x</a>",
    "<!--<script>-->alert(1)",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
]
text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(VECTORS),
    st.text(alphabet=string.printable + "<>&\"'#:-[]{}|*!%@`", max_size=80),
)
scalar = st.one_of(
    text,
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
)
value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
keys = st.sampled_from(
    [
        "title",
        "date",
        "tags",
        "categoria",
        "deals",
        "slug",
        "short-description",
        "aliases",
        "featuredimage",
        "draft",
        "mk1",
        "mk3",
        "author",
        "updated",
        "x-other",
    ]
)


@settings(  # as many examples as the profile says (conftest.py): 15, or 100 in CI
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fields=st.dictionaries(keys, value, max_size=8), body=text)
def test_generated_files_never_fail_a_page_nor_run_script(
    content: Content, make_app: Callable[..., Flask], fields: dict[str, object], body: str
) -> None:
    front = "\n".join(f"{key}: {yaml_value(item)}" for key, item in fields.items())
    content.write("2025-01-02-fuzz.md", f"---\n{front}\n---\n{body}\n")
    app = make_app()
    client = app.test_client()
    index = get_library(app).index()
    urls = ["/", "/feed.xml", "/atom.xml", "/feed.json", "/sitemap.xml", "/tags/", "/categories/"]
    urls += [f"/news/{a.slug}/" for a in index.articles]
    urls += [f"/tag/{slug}/" for slug in index.tags] + [f"/category/{s}/" for s in index.categories]
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if response.mimetype == "text/html" and response.status_code == 200:
            assert list(executable_constructs(parse(response.data))) == [], url


def test_files_vanishing_and_appearing_mid_scan(
    content: Content, make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(6):
        content.article(f"2025-01-0{n + 1}-s{n}.md", title=f"Story {n}")
    app = make_app()
    library = get_library(app)
    for n in range(6):
        content.article(f"2025-01-0{n + 1}-s{n}.md", title=f"Story {n}, edited")
    real = blog.content.library.Library._load
    calls: list[str] = []

    def meddling_load(self: blog.content.library.Library, rel: str) -> bool:
        calls.append(rel)
        if len(calls) == 1:  # between the listing and the reading: one goes, one comes
            (content.root / "2025-01-06-s5.md").unlink(missing_ok=True)
            content.article("2025-01-09-late.md", title="Late Arrival")
        return real(self, rel)

    monkeypatch.setattr(blog.content.library.Library, "_load", meddling_load)
    library.refresh()
    monkeypatch.undo()
    client = app.test_client()
    assert client.get("/").status_code == 200
    library.refresh()
    titles = {a.title for a in library.index().articles}
    assert "Late Arrival" in titles and not any(t.startswith("Story 5") for t in titles)

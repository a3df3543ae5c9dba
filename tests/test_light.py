"""The light reader of a first start gives the article the full parser gives, or stands
aside: over every kind of file the tests know, and generated ones."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from blog.content.light import LightUnsure, _NotPlain, _plain_yaml, light_article
from blog.content.models import Article, ArticleError, parse_article
from tests.articles import (
    XSS_VECTORS,
    article_text,
    corpus_article,
    field_article,
    hostile_article,
    one_in,
)
from tests.test_hostile_files import HOSTILE

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (
    "---\ntitle: Harbour Cities Turn to Tidal Power for Night Trams\n"
    "date: 2025-06-02T07:45:10.118Z\n"
    "featuredimage: https://example.org/app/uploads/2025/06/tidal-tram-night.webp\n"
    'categoria: Technology\ndeals: No\ntags:\n  - "#Energy #Transport #Cities"\n'
    "short-description: Three port cities will run their night tram lines on\n"
    "  tidal power from next spring, after a two-year trial cut energy costs\n  by a fifth.\n"
    "mk1: >-\n  <!--StartFragment-->\n\n\n  ### A Trial That Paid for Itself\n\n\n"
    "  **Night trams were the first test**\n\n\n"
    "  The trial fed two turbines into the tram grid between midnight and five,\n"
    "  when demand is low and the tide is **predictable to the minute**.\n\n\n"
    "  <!--EndFragment-->\n"
    "mk2: >-\n  <!--StartFragment-->\n\n\n  ### What Comes Next\n\n\n"
    "  Operators say the \u201chard part was the batteries, not the sea\u201d.\n\n\n"
    "  <!--EndFragment-->\n"
    "---\n<!--StartFragment-->\n\n**At a Glance:**\n\n* **Cities:** three\n\n- - -\n\n"
    "Cheap, predictable power.\n\n<!--EndFragment-->\n"
)


def light_or_none(data: bytes) -> object:
    """What the light reader says of ``data``: an article, or None when it stands aside."""
    source_hash = hashlib.sha256(data).hexdigest()
    try:
        return light_article("2025-06-02-story.md", data, source_hash, dt.UTC)
    except LightUnsure:
        return None


def full(data: bytes) -> object:
    """The full parser's article, as the index keeps it (no text, no problems), or its
    error."""
    source_hash = hashlib.sha256(data).hexdigest()
    try:
        article = parse_article("2025-06-02-story.md", data, source_hash, dt.UTC)
    except ArticleError as e:
        return e
    return replace(article.without_text(), problems=())


def assert_same(data: bytes, deep_extra: bool = True) -> bool:
    """The light reader's article equals the full parser's whenever it gives one; True when
    it gave one. (``deep_extra=False``: unknown fields compared by name only, for a YAML
    bomb whose value a comparison would walk for minutes.)"""
    light, whole = light_or_none(data), full(data)
    if light is not None:
        if not deep_extra:
            assert isinstance(light, Article) and isinstance(whole, Article)
            assert [k for k, _ in light.extra] == [k for k, _ in whole.extra]
            light, whole = replace(light, extra=()), replace(whole, extra=())
        assert light == whole, data[:300]
    return light is not None


def section(key: str, lines: str, header: str = ">-") -> str:
    return f"{key}: {header}\n{lines}"


TRICKY = {
    "the editors' example": EXAMPLE,
    "explicit indentation": article_text(front=section("mk1", "    deep\n    text\n", ">2-")),
    "literal block": article_text(front=section("mk1", "  line one\n  line two\n", "|")),
    "keep chomping": article_text(front=section("mk1", "  words here\n\n\n", ">+")),
    "blank lines with spaces": article_text(
        front=section("mk1", "  first\n      \n  second words\n")
    ),
    "leading blank deeper than text": article_text(front=section("mk1", "      \n  text\n")),
    "less indented line": article_text(front=section("mk1", "    deep\n  shallow\n")),
    "tab indentation": article_text(front=section("mk1", "\ttabbed text\n")),
    "tab inside text": article_text(front=section("mk1", "  a\ttab inside\n")),
    "comment after indicator": article_text(front=section("mk1", "  text\n", ">- # note")),
    "plain one-line section": article_text(front='mk1: "Just a line"\nmk2: plain words'),
    "plain multi-line section": article_text(front="mk1: plain words\n  go on here"),
    "section as a list": article_text(front="mk1:\n- a\n- b"),
    "section as a mapping": article_text(front="mk1: {a: b}"),
    "empty section": article_text(front=section("mk1", "")),
    "section given twice": article_text(
        front=section("mk1", "  first words\n") + section("mk1", "  second text here\n")
    ),
    "sections out of order": article_text(
        front=section("mk3", "  three\n") + section("mk1", "  one\n")
    ),
    "unclosed double quote swallows a section": article_text(
        front='short-description: "open\n' + section("mk1", '  text"\n')
    ),
    "unclosed single quote": article_text(front="categoria: 'open\n" + section("mk1", "  x'\n")),
    "unclosed flow list": article_text(front="tags: [a,\n" + section("mk1", "  b]\n")),
    "quoted tag item left open": article_text(front='tags:\n  - "#a\n' + section("mk1", '  b"\n')),
    "anchor on a section": article_text(front="mk1: &s >-\n  text\nextra: *s"),
    "tag on a section": article_text(front="mk1: !!str >-\n  text"),
    "tags unquoted (a comment)": article_text(front="tags:\n  - #AI #Amazon\n"),
    "html spanning sections": article_text(
        front=section("mk1", "  a <b\n") + section("mk2", "  c> d\n"), body="e <f> g"
    ),
    "crlf and bom": "\ufeff" + EXAMPLE.replace("\n", "\r\n"),
    "next-line character": article_text(front=section("mk1", "  a\x85b c\n")),
    "line separator": article_text(front=section("mk1", "  a\u2028b c\n")),
    "delete character": article_text(front=section("mk1", "  a\x7fb\n")),
    "control characters": article_text(front=section("mk1", "  a\x01b c\n"), body="x\x02y"),
    "missing title": "---\ndate: 2025-01-01\n" + section("mk1", "  text\n") + "---\n",
    "error after a section": article_text(front=section("mk1", "  text\n") + "deals: maybe"),
    "yaml error after a section": article_text(front=section("mk1", "  text\n") + "x: [\n"),
    "boundary with spaces": EXAMPLE.replace("\n---\n<!--Start", "\n---   \n<!--Start", 1),
    "dashes inside a section": article_text(front=section("mk1", "  ---\n  - - -\n")),
    "document end marker": article_text(front=section("mk1", "  text\n") + "...\n"),
    "crlf inside a section only": article_text(front="mk1: >-\r\n  a\r\n  b\r\n"),
    "keep chomping, empty, last": article_text(front="extra: >+"),
    "literal keep chomping after a cut": article_text(
        front=section("mk1", "  text\n") + "extra: |+\n  kept\n"
    ),
}


@pytest.mark.parametrize("data", TRICKY.values(), ids=list(TRICKY))
def test_tricky_files_read_light_are_read_right(data: str) -> None:
    assert_same(data.encode())


def test_the_usual_shapes_are_read_light() -> None:
    """The common files take the light path (otherwise the tests above prove nothing)."""
    usual = ("the editors' example", "explicit indentation", "literal block", "crlf and bom")
    assert all(light_or_none(TRICKY[name].encode()) is not None for name in usual)
    assert light_or_none(TRICKY["unclosed double quote swallows a section"].encode()) is None


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_read_light_are_read_right(name: str) -> None:
    data = HOSTILE[name]
    assert_same(data if isinstance(data, bytes) else data.encode(), deep_extra="bomb" not in name)


def test_injection_vectors_in_every_field_read_light_are_read_right() -> None:
    for n, vector in enumerate([*XSS_VECTORS, *one_in(20)]):
        assert_same(hostile_article(vector).encode())
        assert_same(corpus_article(n, vector).encode())
        for field in ("mk2", "body"):
            assert_same(field_article(n, vector, field).encode())


def test_sample_content_and_bench_articles_are_read_light() -> None:
    files = sorted((ROOT / "content").glob("*.md"))
    taken = [assert_same(path.read_bytes()) for path in files]
    assert sum(taken) >= len(files) * 2 // 3


lines = st.lists(
    st.tuples(
        st.sampled_from(["", " ", "  ", "   ", "\t", "    "]),
        st.sampled_from(["", "words here", "<b>", "x</b> y", "# h", "- item", "'q", '"q', "a: b"]),
    ),
    max_size=6,
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["mk1", "mk2", "mk5", "title", "extra"]),
            st.sampled_from([">-", ">", "|", "|-", ">2", ">+", "'x'", "plain"]),
            lines,
        ),
        max_size=4,
    )
)
def test_generated_front_matter_read_light_is_read_right(
    fields: list[tuple[str, str, list[tuple[str, str]]]],
) -> None:
    front = "".join(
        f"{key}: {header}\n" + "".join(f"{indent}{text}\n" for indent, text in body)
        for key, header, body in fields
    )
    assert_same(article_text(front=front).encode())


_ATOMS = st.sampled_from(
    ["a", "No", "yes", "2025-06-02", "2025-06-02 10:00:00+02:00", "12", "0x1F", "1.5", "~",
     "'q''s'", '"dq"', "foo bar", "x: y", "#c", "a #b", "-x", "[a]", "{b}", "é", "\u00a0v",
     "", ":", "a:", "007", "=", "<<", "12:30", "a'b", '"x', "!t", "&a", "*a", "\u2028", "..."]
)  # fmt: skip
_LINES = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["title:", "on:", "2020:", "x-y:"]), st.just(" "), _ATOMS),
        st.tuples(st.sampled_from(["  ", " "]), st.sampled_from(["", "- ", "-  "]), _ATOMS),
        st.sampled_from([("", "", ""), ("# c", "", ""), ("tags:", "", "")]),
    ),
    max_size=8,
)


@given(_LINES)
def test_the_plain_yaml_reader_gives_what_pyyaml_gives_or_hands_over(
    lines: list[tuple[str, str, str]],
) -> None:
    text = "\n".join("".join(parts) for parts in lines)
    try:
        got = _plain_yaml(text)
    except _NotPlain:
        return
    assert repr(got) == repr(yaml.load(text, Loader=yaml.CSafeLoader))  # noqa: S506

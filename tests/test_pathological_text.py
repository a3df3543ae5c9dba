"""Everything that reads an editor's raw text reads it in one pass (issue 19): the search
index's text, the check's audit of what sanitizing removes, its footnote check, the word count.

Before, a pattern such as ``<[^>]*>`` read the rest of the text again from each "<" that
had no ">": 50,000 of them took each of these past 5 s (search indexing runs before a new
worker serves, the check runs in a pre-commit hook), and Python's HTML parser did the same
with unclosed tags."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from blog.content.reading import FileReader
from blog.editor.check import _FOOTNOTE_NOTE, _FOOTNOTE_REF
from blog.markup.removals import removals
from blog.markup.render import costly, nesting_depth, plain_paragraphs
from blog.search.text import plain_text
from tests.articles import article_text

N = 50_000
TEXTS = {
    "[": "[" * N,
    "[^": "[^" * N,
    "![": "![" * N,
    "<": "<" * N,
    "<a": "<a" * N,
    "</a": "</a" * N,
    "<http:": "<http:" * N,
    "<!--": "<!--" * N,
    "```": "```" * N,
    "~~~": "~~~\n" * N,
    "newlines": "\n" * N,
    "blank lines with spaces": " \n" * N,
    "rules": "- \n" * N,
    "quotes": "> \n" * N,
    "link definitions": "[x]: \n" * N,
    "](": "](" * N,
    "&": "&" * N,
    "|": "|" * N,
    "#": "#" * N,
    "indented items": "    - x\n" * N,
}
FUNCTIONS: dict[str, Callable[[str], object]] = {
    "search text": plain_text,
    "removals": lambda text: removals(text, ()),
    "footnote references": _FOOTNOTE_REF.findall,
    "footnote notes": _FOOTNOTE_NOTE.findall,
    "nesting depth": nesting_depth,
    "costly": costly,
    "plain paragraphs": plain_paragraphs,
}


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
@pytest.mark.parametrize("function", FUNCTIONS.values(), ids=FUNCTIONS.keys())
def test_reading_a_hostile_text_takes_one_pass(
    function: Callable[[str], object], text: str
) -> None:
    start = time.perf_counter()
    function(text)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_parsing_a_file_with_a_hostile_body_takes_one_pass(text: str, tmp_path: Path) -> None:
    (tmp_path / "2025-03-01-hostile.md").write_text(article_text(title="Hostile", body=text))
    start = time.perf_counter()
    reading = FileReader(tmp_path, dt.UTC, 2**21).read("2025-03-01-hostile.md", None)
    assert time.perf_counter() - start < 0.5
    assert reading.entry is not None and reading.entry.article is not None


def test_the_audit_still_finds_an_unclosed_tag_among_many() -> None:
    """The one-pass reading of unclosed tags finds what the old one did."""
    assert removals("<a" * 3 + "\n\ntext", ()) == [
        "<a (its closing > is missing) and the text after it"
    ]
    assert removals('<b class="x"\n\nMore text.', ()) == [
        "<b (its closing > is missing) and the text after it"
    ]
    assert removals("<b>fine</b>\n\ntext", ()) == []

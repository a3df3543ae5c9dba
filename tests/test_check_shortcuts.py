"""The check's shortcuts give what the full reading gives: a field too deep is found by
``deeper_than`` exactly when ``nesting_depth`` says so, and ``removals`` skips no text that
has something to report (taking code out can make a link)."""

from __future__ import annotations

import pytest

from blog.markup.allowlist import deeper_than, nesting_depth
from blog.markup.removals import removals

TEXTS = [
    "",
    "Plain text.\n\nAnother paragraph.",
    "> " * 100 + "quoted",
    "> " * 101 + "quoted",
    ">" * 101,
    " " * 404 + "- item",
    " " * 400 + "- item",
    "\t" * 101 + "x",
    "\t" * 100 + "x",
    "x\x0c" + "\t" * 101 + "y",  # a line break for splitlines, not for expandtabs
    "text\n" + "  >" * 40 + "\t" * 70 + "z",
    "- a\n" + "".join("    " * n + "- b\n" for n in range(1, 103)),
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("levels", [0, 3, 100])
def test_deeper_than_agrees_with_nesting_depth(text: str, levels: int) -> None:
    assert deeper_than(text, levels) == (nesting_depth(text) > levels)


def test_removals_reads_a_link_that_appears_once_code_is_taken_out() -> None:
    assert removals("[x]`code`(javascript:alert(1))", ()) == ["the link javascript:alert(1"]
    assert removals("No markup at all, not even a bracket.", ()) == []
    assert removals("Text <!-- unclosed", ()) != []

"""Traps in the editors' format that YAML accepts silently, found in the raw front matter.

YAML reads an unquoted ``- #AI #Amazon`` as a comment (the tags vanish), and folds the lines
of a ``>-`` section: lines that follow each other are joined into one, and a blank line
becomes a single line break, which Markdown reads as a space. So the one rule for a folded
section: paragraphs need an empty line between them once YAML has folded them, which takes
**two** blank lines in the file, between paragraphs and above a list or a heading. The check
warns where a section's text breaks it: paragraphs that merge, a list or heading folded into
the line above, a heading that swallows the line below it. None of this is an error to YAML;
all of it is to an editor. (Decap CMS writes its sections as ``|-`` blocks, which keep every
line as typed: no trap there.)

``short-description`` is not Markdown: it is always shown as one line of text, however it is
folded, so it has no such trap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_FOLDED_SECTION = re.compile(r"^(mk[1-5])[ \t]*:[ \t]*>[-+]?[ \t]*$", re.MULTILINE)
_NEXT_KEY = re.compile(r"^\S", re.MULTILINE)
# A line of a folded block that starts a list item, a heading or a quote.
_BLOCK_LINE = re.compile(r"^[ \t]+((?:[*+-]|#{1,6}|\d+[.)]|>)[ \t].*)$", re.MULTILINE)
_LIST_ITEM = re.compile(r"^(?:[*+-]\s|\d+[.)]\s)")
# Two lines of text at one indentation with a single blank line between them (the second is
# looked ahead at, so it can be the first of the next pair).
_ONE_BLANK_LINE = re.compile(r"^([ \t]+)(\S[^\n]*)\n[ \t]*\n(?=\1(\S[^\n]*))", re.MULTILINE)
# Lines after which the next line starts afresh: headings, rules, fences, and block-level HTML
# such as a pasted <p> or the <!--EndFragment--> comment. (A list item, a quote or a footnote
# takes the next line in, as a paragraph does.)
_ENDS_ITSELF = (
    r"#{1,6}(?:\s|$)|(?:[-*_][ \t]*){3,}$|```|~~~|<!--"
    r"|</?(?:address|article|aside|blockquote|details|div|dl|figure|figcaption|footer|form"
    r"|h[1-6]|header|hr|iframe|main|nav|ol|p|pre|section|table|ul|video)\b"
)
_ENDS_BLOCK = re.compile(_ENDS_ITSELF, re.IGNORECASE)
# Lines that start a block of their own even straight after a paragraph: those, and quotes,
# footnotes and lists (a list there has a finding of its own, above).
_STARTS_BLOCK = re.compile(rf"{_ENDS_ITSELF}|>|\[\^|[*+-]\s|\d+[.)]\s", re.IGNORECASE)
# A heading and, on the very next line, text: YAML folds the text into the heading.
_HEADING_THEN_TEXT = re.compile(r"^([ \t]+)(#{1,6}[ \t][^\n]*)\n\1(\S[^\n]*)", re.MULTILINE)
_MARKED_LINE = re.compile(r"(?:[*+-]|#{1,6}|\d+[.)]|>)[ \t]")
#: What every folding finding tells the editor to do: the one rule, in the check and the docs.
TWO_BLANK_LINES = "leave two blank lines above it"
# The ``tags:`` key and the indented or dashed lines under it.
_TAGS_BLOCK = re.compile(r"^tags[ \t]*:([^\n]*)((?:\n[ \t-][^\n]*)*)", re.MULTILINE)
# ``tags: #AI`` or ``  - #AI #Amazon``: YAML sees a comment.
_COMMENT_ITEM = re.compile(r"^[ \t]*-[ \t]*#", re.MULTILINE)


@dataclass(frozen=True)
class Problem:
    """Something an editor should fix in a file that still publishes."""

    line: int
    field: str
    message: str
    severity: str = "warning"  # "error", "warning" or "info"


def find_traps(fm_text: str, first_line: int, meta: Mapping[str, Any]) -> Iterator[Problem]:
    """Every trap in one file's front matter (``first_line`` is the file line of its text).

    Regular expressions over the whole text, not a loop over its lines: this runs for every
    file the site or the check reads.
    """
    for tags in _TAGS_BLOCK.finditer(fm_text):
        offsets = [tags.start()] if tags[1].strip().startswith("#") else []
        offsets += [tags.start(2) + m.start() for m in _COMMENT_ITEM.finditer(tags[2])]
        for offset in offsets:
            yield Problem(
                first_line + fm_text.count("\n", 0, offset),
                "tags",
                "unquoted hashtags are a YAML comment, so these tags are lost; "
                'put them in quotes: - "#AI #Amazon"',
                "error",
            )
    for match in _FOLDED_SECTION.finditer(fm_text):
        value = meta.get(match[1])
        if isinstance(value, str):
            end = _NEXT_KEY.search(fm_text, match.end())
            lines = fm_text[match.end() : end.start() if end else len(fm_text)]
            found = [
                *_folded_blocks(value, lines),
                *_run_on_paragraphs(value, lines),
                *_swallowed_by_headings(value, lines),
            ]
            for problem_at, message in sorted(found):
                line = first_line + fm_text.count("\n", 0, match.end() + problem_at)
                yield Problem(line, match[1], message)


def _run_on_paragraphs(value: str, block: str) -> Iterator[tuple[int, str]]:
    """(offset in block, message) for paragraphs that one blank line leaves joined to the
    paragraph (or list item) above them."""
    for pair in _ONE_BLANK_LINE.finditer(block):
        above, below = pair[2], pair[3]
        if _STARTS_BLOCK.match(below) or _ENDS_BLOCK.match(above):
            continue
        # What YAML made of it decides: a more-indented line keeps its blank line, say.
        if f"{above}\n{below}" in value:
            yield (
                pair.start(3),
                (
                    "this paragraph runs into the one above it: in a folded section one blank "
                    "line is only a line break; leave two blank lines between paragraphs"
                ),
            )


def _swallowed_by_headings(value: str, block: str) -> Iterator[tuple[int, str]]:
    """(offset in block, message) for text folded into the heading on the line above it:
    the heading swallows it (a list or heading there is ``_folded_blocks``' finding)."""
    for pair in _HEADING_THEN_TEXT.finditer(block):
        heading, text = pair[2].rstrip(), pair[3].rstrip()
        if _MARKED_LINE.match(text) or _ENDS_BLOCK.match(text):
            continue
        if f"{heading} {text}" in value:
            yield (
                pair.start(3),
                "this line is folded into the heading above it, which swallows it; "
                + TWO_BLANK_LINES,
            )


def _folded_blocks(value: str, block: str) -> Iterator[tuple[int, str]]:
    """(offset in block, message) for lists and headings YAML's folding joins to the line
    before them."""
    for candidate in _BLOCK_LINE.finditer(block):
        text = candidate[1].rstrip()
        at = value.find(text)
        if at <= 0:
            continue
        if value[at - 1] != "\n":
            yield (
                candidate.start(1),
                (
                    "this line is folded into the one before it and loses its meaning; "
                    + TWO_BLANK_LINES
                ),
            )
        elif _LIST_ITEM.match(text) and not _ENDS_BLOCK.match(text):  # not a rule: - - -
            previous = value[: at - 1].rsplit("\n", 1)[-1].strip()
            if previous and not _LIST_ITEM.match(previous) and not _ENDS_BLOCK.match(previous):
                yield (
                    candidate.start(1),
                    (
                        "a list straight after a paragraph is read as text; in a folded "
                        "section leave two blank lines above the list"
                    ),
                )

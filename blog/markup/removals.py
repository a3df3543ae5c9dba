"""What the sanitizer would take out of an editor's Markdown, for the check to report.

Reads raw HTML and Markdown link targets against the renderer's own allow-list
(``allowlist.ALLOWED_TAGS``, ``allowlist.attribute_rules``), without rendering: fast enough to run
over thousands of files in a pre-commit hook.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from blog.markup.allowlist import (
    ALLOWED_TAGS,
    DROP_WITH_CONTENT,
    LINK_SCHEMES,
    attribute_rules,
    embed_allowed,
    url_scheme,
)

# What pasting from a word processor leaves behind and sanitizing drops without loss: the
# check does not nag about these.
PASTE_NOISE_TAGS = frozenset({"span", "font", "o:p", "u", "center", "section", "article"})
PASTE_NOISE_ATTRIBUTES = frozenset(
    {"style", "dir", "class", "id", "lang", "align", "title", "frameborder", "allow", "scrolling"}
)
_CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_START = re.compile(r"<([a-zA-Z][\w:-]*)")
_BLANK_LINE = re.compile(r"(?=\n[ \t]*\n)")  # where each blank line begins (overlapping)
_AFTER_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_NOT_SPACE = re.compile(r"\S")
# Each alternative stops where its delimiter could begin again, so the pattern reads the
# text once however many "[" or "<" it holds (tests/test_pathological_text.py).
_MARKDOWN_URL = re.compile(
    r"\]\(\s*<?([^)\s>]+)|^[ \t]*\[[^\[\]\n]+\]:[ \t]*<?(\S+?)>?[ \t]*$"
    r"|<([a-zA-Z][\w+.-]*:[^<>\s]*)>",
    re.MULTILINE,
)


class _Inventory(HTMLParser):
    """Every start tag and attribute in a piece of HTML, as written (no sanitizing)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.open: dict[str, int] = {}  # elements dropped whole: how many are still open

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag in DROP_WITH_CONTENT:
            self.open[tag] = self.open.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if self.open.get(tag):
            self.open[tag] -= 1


def removals(markdown_text: str, embed_hosts: Collection[str]) -> list[str]:
    """What the sanitizer would take out of this Markdown that an editor would miss.

    Reads the raw HTML and Markdown link targets against the same allow-list the renderer
    uses, without rendering: fast enough to run over thousands of files in a pre-commit hook.
    """
    if "<" not in markdown_text and "]" not in markdown_text:
        return []  # no HTML, no link (taking code out adds neither): nothing to take out
    # Each pattern only where its first character is: most fields have no code, no comment.
    has_code = "`" in markdown_text or "~~~" in markdown_text
    text = _CODE.sub("", markdown_text) if has_code else markdown_text
    found: dict[str, None] = {}
    for tag in _unterminated_tags(text):
        found[f"<{tag} (its closing > is missing) and the text after it"] = None
    opened = text.rfind("<!--")
    if opened >= 0 and "-->" not in text[opened + 4 :] and text[opened + 4 :].strip():
        # Each field is its own document: an unclosed comment hides the rest of this field.
        found["an unclosed comment <!-- and everything after it in this field"] = None
    if "<!--" in text:
        text = _COMMENT.sub("", text)
    hosts = frozenset(h.lower() for h in embed_hosts)
    if "<" in text:
        attributes = attribute_rules(hosts)
        inventory = _Inventory()
        try:
            # After the last ">" there is no whole tag (the unclosed ones are reported
            # above), and Python's parser reads each unclosed tag there to the end of the
            # text: 50,000 of them took minutes.
            inventory.feed(text[: text.rfind(">") + 1])
            inventory.close()
        except AssertionError:
            # html.parser gives up on a malformed declaration such as "<![>"; the sanitizer
            # reads it as a comment and drops it. What was read before it is still reported.
            found["a malformed <! declaration and what it runs over"] = None
        for tag, attrs in inventory.tags:
            for item in _tag_removals(tag, attrs, attributes, hosts, inventory.open):
                found[item] = None
    if "](" not in text and "]:" not in text and "<" not in text:
        return list(found)
    for match in _MARKDOWN_URL.finditer(text):
        url = next(g for g in match.groups() if g)
        if url_scheme(url) not in LINK_SCHEMES | {""}:
            found[f"the link {url[:40]}"] = None
    return list(found)


def _unterminated_tags(text: str) -> list[str]:
    """Start tags whose ">" is missing: each runs on over a paragraph break (or to the end of
    the field, past a line break) and takes the text it runs over with it.

    One pass for any number of tags: the next ">", the next line break and the next blank
    line followed by text are each found once and reused by the tags before them (50,000
    unclosed "<a" read the rest of the text 50,000 times when each looked for itself).
    """
    found: list[str] = []
    if _START.search(text) is None:
        return found
    breaks = _paragraph_breaks(text)  # (where a blank line begins, where the text after it is)
    last_text = len(text.rstrip()) - 1  # the last character that is not white space
    close = newline = -2  # -2: not looked for yet; -1: there is none
    for match in _START.finditer(text):
        start = match.end()
        if -1 < close < start or close == -2:
            close = text.find(">", start)
        end = close if close >= 0 else len(text)
        if close < 0:
            if -1 < newline < start or newline == -2:
                newline = text.find("\n", start)
            if -1 < newline < last_text:  # it runs on past a line break, to the end
                found.append(match[1])
                continue
        at = bisect.bisect_left(breaks, (start, -1))
        if at < len(breaks) and breaks[at][1] < end:
            found.append(match[1])
    return found


def _paragraph_breaks(text: str) -> list[tuple[int, int]]:
    """Each blank line's start, with where the text after it begins (all in one pass: the
    text after a blank line is after the next one's too, so it is looked for once)."""
    breaks = []
    after = -1
    for blank in _BLANK_LINE.finditer(text):
        gap = _AFTER_BLANK_LINE.match(text, blank.start())
        assert gap is not None
        if after < gap.end():
            found = _NOT_SPACE.search(text, gap.end())
            after = found.start() if found else len(text)
        if after < len(text):
            breaks.append((blank.start(), after))
    return breaks


def _tag_removals(
    tag: str,
    attrs: list[tuple[str, str | None]],
    attributes: dict[str, Any],
    embed_hosts: Collection[str],
    unclosed: dict[str, int],
) -> list[str]:
    if ":" in tag:
        return []  # a Markdown autolink such as <https://…>: its URL is checked as a link
    if tag in DROP_WITH_CONTENT:
        if unclosed.get(tag):
            return [f"<{tag}>, never closed, and everything after it in this field"]
        return [f"<{tag}> and everything in it"]
    if tag == "iframe":
        src = dict(attrs).get("src") or ""
        if not embed_allowed(src, embed_hosts):
            return [f"the embed from {urlsplit(src.strip()).hostname or src[:40]!s}"]
    if tag not in ALLOWED_TAGS | {"h1"}:
        return [] if tag in PASTE_NOISE_TAGS else [f"<{tag}> (its text stays)"]
    allowed = attributes.get(tag, [])
    gone = []
    for name, value in attrs:
        ok = allowed(tag, name, value or "") if callable(allowed) else name in allowed
        if ok or name in PASTE_NOISE_ATTRIBUTES or name.startswith("data-"):
            continue
        if name in ("href", "src"):
            gone.append(f"the {'link' if name == 'href' else 'image'} {(value or '')[:40]}")
        else:
            gone.append(f"{name}= on <{tag}>")
    return gone

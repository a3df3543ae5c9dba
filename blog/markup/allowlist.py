"""The sanitizer's allow-list and the cheap measures of a field, without the renderer.

What ``render.py`` lets through (tags, attributes, link schemes, embeds) and the two quick
readings of a Markdown text (how deep it nests, whether it could take long to render). The
editors' check reads them over thousands of files; it needs neither Markdown nor bleach,
whose imports alone take longer than a pre-commit hook may (``editor/hook.py``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any
from urllib.parse import urlsplit

ALLOWED_TAGS = frozenset(
    {
        *("h2", "h3", "h4", "h5", "h6", "p", "br", "hr"),
        *("ul", "ol", "li", "a", "img", "figure", "figcaption"),
        *("table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"),
        *("blockquote", "code", "pre", "em", "strong", "b", "i", "sup", "sub"),
        *("div", "iframe"),
    }
)
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = frozenset({"http", "https"})
FOOTNOTE_CLASSES = frozenset({"footnote", "footnote-ref", "footnote-backref"})
EMBED_SANDBOX = "allow-scripts allow-same-origin allow-presentation allow-popups"
# Elements dropped with everything inside them, not just their tags: their text is code,
# styling or a fallback that would show up as junk in the article.
DROP_WITH_CONTENT = frozenset(
    {"script", "style", "template", "noscript", "noembed", "noframes", "xmp"}
    | {"object", "embed", "applet", "svg", "math", "select", "textarea", "title", "head"}
)


# Levels of lists and quotes a field may nest. Python-Markdown parses nesting by recursion
# and fails a little past 150 levels of lists; no article needs a tenth of this, and a field
# nested deeper is shown as its plain text (the check reports it as an error).
MAX_NESTING = 100
_QUOTE_MARKERS = re.compile(r"[> ]*")


def url_scheme(value: str) -> str:
    """Scheme as a browser would read it; '' for site-relative URLs."""
    cleaned = "".join(c for c in value if c > " ").lower()
    return urlsplit(cleaned).scheme if ":" in cleaned.split("/", 1)[0] else ""


def _link_attribute(tag: str, name: str, value: str) -> bool:
    if name == "href":
        return url_scheme(value) in LINK_SCHEMES | {""}
    if name == "class":
        return set(value.split()) <= FOOTNOTE_CLASSES
    return name in ("title", "id")


def _image_attribute(tag: str, name: str, value: str) -> bool:
    if name == "src":
        return url_scheme(value) in IMAGE_SCHEMES | {""}
    return name in ("alt", "title", "width", "height")


def _class_attribute(tag: str, name: str, value: str) -> bool:
    return name == "class" and set(value.split()) <= FOOTNOTE_CLASSES


def attribute_rules(embed_hosts: Collection[str]) -> dict[str, Any]:
    def iframe_attribute(tag: str, name: str, value: str) -> bool:
        if name == "src":
            return embed_allowed(value, embed_hosts)
        return name in ("width", "height", "title", "allowfullscreen")

    heading = ["id"]
    return {
        "a": _link_attribute,
        "img": _image_attribute,
        "iframe": iframe_attribute,
        "div": _class_attribute,
        "sup": ["id"],
        "li": ["id"],
        "th": ["align"],
        "td": ["align"],
        "ol": ["start"],
        **{h: heading for h in ("h2", "h3", "h4", "h5", "h6")},
    }


def embed_allowed(src: str, embed_hosts: Collection[str]) -> bool:
    parts = urlsplit(src.strip())
    return parts.scheme == "https" and (parts.hostname or "") in embed_hosts


def deeper_than(markdown_text: str, levels: int) -> bool:
    """Whether ``nesting_depth(markdown_text) > levels``, read in one search: each level
    needs a character of a line's leading run of spaces, tabs and ``>`` (four spaces or a
    tab for an indent, one ``>`` for a quote), so a text without a run of more than
    ``levels`` of them is not deeper, and only one with such a run is measured."""
    run = _RUNS.get(levels)
    if run is None:
        run = _RUNS[levels] = re.compile(f"[ \t>]{{{levels + 1}}}")
    return run.search(markdown_text) is not None and nesting_depth(markdown_text) > levels


_RUNS: dict[int, re.Pattern[str]] = {}


def nesting_depth(markdown_text: str) -> int:
    """How deep a field's lists and quotes nest, read from its lines' indents (four spaces a
    level, as the parser counts) and ``>`` markers: cheap enough for the check's every file."""
    deepest = 0
    for line in markdown_text.expandtabs(4).splitlines():
        rest = line.lstrip(" ")
        markers = _QUOTE_MARKERS.match(rest)
        quotes = markers.group().count(">") if markers else 0
        deepest = max(deepest, (len(line) - len(rest)) // 4 + quotes)
    return deepest


# What the parser reads in place: the worst of every pathological family measured
# (bench/pathological.py) stays near a quarter of a second at this size and count of markup
# characters. Its cost grows with the square of some of them: 2,000 "[x " take 2 s, 50,000
# "[^" half a minute, 24,000 "# h" headings 17 s (each heading's id checked against all
# before it). Longer or busier texts are rendered where they can be stopped (isolated.py).
COSTLY_MARKS = 500
COSTLY_BYTES = 5_000
_MARKS = "[<&|*_`~\\"


def costly(markdown_text: str, size: int = COSTLY_BYTES) -> bool:
    """Whether a text could take long to render: many markup characters, or over ``size``."""
    if len(markdown_text) > size:
        return True
    return sum(markdown_text.count(mark) for mark in _MARKS) > COSTLY_MARKS

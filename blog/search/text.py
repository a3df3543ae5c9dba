"""Text as the search engine sees it, in and out.

In: an article's Markdown and pasted HTML reduced to the words a reader sees (what is indexed),
and a reader's query cut into words, each quoted, so no input is ever FTS5 syntax. Out: matched
words, marked by FTS5 with private characters, escaped and turned into ``<mark>``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence

from markupsafe import Markup, escape

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
# Private markers around matched words: control characters are stripped from everything
# indexed, so these can only come from FTS5's highlight() and snippet().
OPEN, CLOSE = "\x02", "\x03"

# No pattern below can run on past what it looks for (no "[^>]*" without "<" excluded, no
# "\s*" across lines at a line's start): each reads the text in one pass, so that no
# article, however odd, makes indexing it slow (tests/test_pathological_text.py).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")
_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()]*\)")
_LINK_DEFINITION = re.compile(r"^[ \t]*\[[^\[\]\n]+\]:[ \t]*\S.*$", re.MULTILINE)
_RULE = re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*(?:[-+*][ \t]+|(?:>[ \t]*)+)", re.MULTILINE)  # items, quotes
_MARKS = re.compile(r"[*_`~#|]+")
_WORD = re.compile(r"[^\W_]+")


def query_words(query: str) -> list[str]:
    """The reader's words: letters and digits only, at most 12 from the first 200 characters."""
    text = unicodedata.normalize("NFC", query[:MAX_QUERY_CHARS] if isinstance(query, str) else "")
    return _WORD.findall(text)[:MAX_QUERY_WORDS]


def fts_query(words: Sequence[str]) -> str:
    """Every word quoted (so none is syntax) and required; the last one may be unfinished."""
    terms = [f'"{w.replace(chr(34), chr(34) * 2)}"' for w in words]
    if len(words[-1]) >= 2:
        terms[-1] += "*"
    return " AND ".join(terms)


def clean(text: str) -> str:
    """Text as indexed: NFC, no control characters, whitespace collapsed."""
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", text)).split())


def plain_text(markdown: str) -> str:
    """The words a reader sees in an article's Markdown and HTML, without the markup."""
    text = _COMMENT.sub(" ", markdown)
    text = _TAG.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _LINK_DEFINITION.sub(" ", text)
    text = _RULE.sub(" ", text)
    text = _BULLET.sub(" ", text)
    text = _MARKS.sub(" ", html.unescape(text))
    return clean(text)


def marked_up(text: str) -> Markup:
    """Escape everything from the article, then turn the private markers into ``<mark>``."""
    escaped = str(escape(text))
    return Markup(escaped.replace(OPEN, "<mark>").replace(CLOSE, "</mark>"))

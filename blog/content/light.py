"""An article as listings need it, read in a third of the time: for a first start.

``parse_article`` spends most of its time on the folded sections ``mk1``…``mk5``: YAML reads
kilobytes of text only for the page to show, and the traps in them are looked for. A first
start of 100,000 files needs every article's fields, not their text (that is read later, in
the background). So the sections are cut out of the front matter before YAML sees it, the
rest goes through ``parse_article`` itself (the same fields, the same rules), and the word
count is taken from the sections' lines as written: folding only changes whitespace, and
words are what lies between whitespace.

Only where that is certain. A section is cut only when it is a block scalar (``mk1: >-``)
whose every line is indented as YAML requires, with nothing YAML refuses in it, in a front
matter whose other lines open no quote or bracket a cut could cut in two; and a file that
does not parse this way is parsed whole, so every error names its true line. Anything else
(``LightUnsure``) is parsed whole by the caller. The tests hold the two readers' articles
equal over every kind of file they have.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import replace
from functools import lru_cache
from typing import Any, cast

from yaml import ScalarNode
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from blog.content import fields
from blog.content.fields import NOT_XML, slugify
from blog.content.models import (
    _YAML,
    KNOWN_KEYS,
    SECTION_KEYS,
    Article,
    ArticleError,
    _priority,
    parse_article,
    slug_from_path,
)

_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)  # python-frontmatter's, exactly
# Patterns that start with a line break, not "^": the engine then skips to each line break
# at C speed rather than trying every character (a front matter holds thousands).
_SECTION_HEAD = re.compile(
    r"\n(mk[1-5])[ \t]*:[ \t]*([|>](?:[1-9][-+]?|[-+][1-9]?)?)[ \t]*(?=\n|$)"
)
_OTHER_SECTION = re.compile(r"\nmk[1-5][ \t]*:[^\n]*")  # not a block scalar: left to YAML
_TOP_LEVEL_LINE = re.compile(r"\n(?=[^ \t\n])")  # the end of a block scalar's lines
_FIRST_TEXT = re.compile(r"\n( *)[^ \n]")
_INDICATOR = re.compile(r"[1-9]")
_TAG = re.compile(r"<[^<>]*>")  # models.py's, for the word count
# What YAML refuses that the decoding leaves in (it removes what XML cannot carry), and
# what YAML, not Python, takes for a line break or a byte-order mark.
_UNSURE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff]")
# Bytes that ask for the decoding's clean-up: control characters, U+FFFE and U+FFFF.
_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 13))
_KEEP = bytes(c for c in range(256) if c not in _CONTROL)
# A value that may run past its line: a quote or a bracket opened (after a key, a dash).
_OPENS = re.compile(r"\n[ \t]*(?:-[ \t]+)*(?:[^\s#\"'\[{][^:\n]*:[ \t]+)?([\"'\[{])([^\n]*)")


_YAML_LOAD = _YAML.load


class LightUnsure(Exception):
    """The file is not one the light reader can vouch for: parse it whole."""


def light_article(path: str, data: bytes, source_hash: str, tz: dt.tzinfo) -> Article:
    """``parse_article(...).without_text()`` for ``data``, its problems left out; raises
    ``LightUnsure`` when the file must be parsed whole (an error, or a shape not covered)."""
    text = _decode(data)
    split = _split(text)
    if split is None:
        raise LightUnsure(path)
    fm_text, body = split
    cut = _cut(fm_text)
    if cut is None:
        raise LightUnsure(path)
    reduced, sections = cut
    try:
        meta = _plain_yaml(reduced)
    except _NotPlain:
        pass  # PyYAML reads it, in parse_article below
    else:
        quick = _quick_article(path, meta, sections, body, source_hash, tz)
        if quick is not None:
            return quick
    # Framed as it was ("\n" first and last are its own): a blank line added at its end
    # would be kept by a keep-chomping block (``extra: |+``).
    reduced_data = f"---{reduced}---\n".encode()
    try:
        article = parse_article(path, reduced_data, source_hash, tz, load_front=_load_front)
    except ValueError as e:  # an error: its line is the whole file's
        raise LightUnsure(path) from e
    kept = dict(article.parts[:-1])  # sections that were not cut (short, plain ones)
    words = _words([sections.get(key) or kept.get(key, "") for key in SECTION_KEYS], body)
    return replace(article, sections=(), body="", has_text=False, word_count=words, problems=())


def _unsure(key: str, message: str) -> ArticleError:
    """A field ``parse_article`` would find wrong: it reads the file, and says where."""
    return ArticleError("", 1, key, message)


def _quick_article(
    path: str,
    meta: dict[object, object] | None,
    cut: dict[str, str],
    body: str,
    source_hash: str,
    tz: dt.tzinfo,
) -> Article | None:
    """``parse_article``'s article without its text, built straight from the plain YAML's
    mapping by the same field readers, for a file with no error; None when any field is
    wrong or missing (``parse_article`` then finds and names it). Its problems (warnings)
    are not looked for: a light article has none."""
    if not meta or not all(type(key) is str for key in meta):
        return None
    named = cast(dict[str, Any], meta)  # every key is text
    get = named.get
    title = fields.text(get("title"))
    if not title:
        return None
    try:
        date = fields.date(get("date"), tz, _unsure, "date")
        if date is None:
            return None
        parts = [cut.get(key) or fields.section(get(key), _unsure, key) for key in SECTION_KEYS]
        article = Article(
            path=path,
            source_hash=source_hash,
            slug=slugify(fields.text(get("slug"))) or slug_from_path(path),
            title=title,
            date=date,
            standfirst=fields.text(get("short-description")),
            category=sys.intern(fields.text(get("categoria"))) or None,
            image=fields.image_url(get("featuredimage")),
            image_alt=fields.text(get("featuredimage_alt")),
            image_caption=fields.text(get("featuredimage_caption")),
            image_credit=fields.text(get("featuredimage_credit")),
            tags=fields.tags(get("tags"), _unsure),
            deals=fields.flag(get("deals"), _unsure, "deals"),
            draft=fields.flag(get("draft"), _unsure, "draft"),
            authors=fields.strings(get("author"), _unsure, "author", one_line=True),
            priority=_priority(named, _unsure),
            breaking=fields.flag(get("breaking"), _unsure, "breaking"),
            aliases=fields.strings(get("aliases"), _unsure, "aliases"),
            breaking_until=fields.date(get("breaking_until"), tz, _unsure, "breaking_until"),
            pinned_until=fields.date(get("pinned_until"), tz, _unsure, "pinned_until"),
            updated=fields.date(get("updated"), tz, _unsure, "updated"),
            word_count=_words(parts, body),
            extra=tuple((k, v) for k, v in named.items() if k not in KNOWN_KEYS),
            has_text=False,
        )
    except ArticleError:
        return None
    return article


def _words(parts: list[str], body: str) -> int:
    """The word count of the sections' text and the body, as ``parse_article`` counts it."""
    markdown = "\n\n".join([*(p for p in parts if p), body.strip()])
    return len(_TAG.sub(" ", markdown).split())


def _decode(data: bytes) -> str:
    """``models._decode``: UTF-8 with or without a byte-order mark, line ends as LF, what XML
    cannot carry removed (rare: looked for in the bytes first)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LightUnsure("not UTF-8") from e
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    clean = len(data.translate(None, _KEEP)) == 0 and b"\xef\xbf\xbe" not in data
    if clean and b"\xef\xbf\xbf" not in data:
        return text
    return NOT_XML.sub("", text)


def _split(text: str) -> tuple[str, str] | None:
    """(front matter, body) as python-frontmatter splits them, found without a search
    through every character; None when the text does not start as usual."""
    first = _BOUNDARY.match(text)
    if first is None:
        return None
    at = first.end()
    while True:
        line = text.find("\n---", at)
        if line < 0:
            return None
        second = _BOUNDARY.match(text, line + 1)
        if second is not None:
            return text[first.end() : line + 1], text[second.end() :]
        at = line + 1


def _cut(fm_text: str) -> tuple[str, dict[str, str]] | None:
    """The front matter without its block-scalar sections, and each section's text as
    written; None when anything makes that uncertain. Regular expressions over the whole
    text, not a loop over its lines: this runs for every file of a first start."""
    if not fm_text.startswith("\n") or "\x7f" in fm_text:
        return None
    if not fm_text.isascii() and _UNSURE.search(fm_text):
        return None
    sections: dict[str, str] = {}
    kept: list[str] = []
    at = 0
    for head in _SECTION_HEAD.finditer(fm_text):
        following = _TOP_LEVEL_LINE.search(fm_text, head.end())
        end = following.start() + 1 if following else len(fm_text)
        text = _block_text(fm_text[head.end() : end], head[2])
        if text is None:
            return None
        kept.append(fm_text[at : head.start() + 1])
        sections[head[1]] = text  # a key given twice: YAML keeps the last
        at = end
    kept.append(fm_text[at:])
    reduced = "".join(kept)
    for plain in _OTHER_SECTION.finditer(reduced):
        after = reduced[plain.end() + 1 : plain.end() + 2]
        if after and after in " \t-":
            return None  # a section YAML reads from more than its own line
    for opened in _OPENS.finditer(reduced):
        if not _closed(opened[1], opened[2]):
            return None  # a quote or bracket that may go on past its line
    return reduced, sections


def _block_text(block: str, header: str) -> str | None:
    """A block scalar's text (its words as YAML would give them; ``block`` is its lines,
    each after a line break), or None when YAML would read its lines otherwise: a line less
    indented than the first, a tab where indentation goes, blank lines before the text
    deeper than it."""
    indicator = _INDICATOR.search(header)
    if indicator:
        indent = int(indicator[0])
    else:
        first = _FIRST_TEXT.search(block)
        if first is None:
            return ""  # no text at all
        indent = len(first[1])
        if indent == 0 or block[first.end() - 1] == "\t":
            return None
        leading = block[: first.start()]
        if " " in leading and any(len(line) > indent for line in leading.split("\n")):
            return None  # YAML takes the deepest leading blank line for the indentation
    if _shallower(indent).search(block):
        return None
    return block.strip()


@lru_cache(maxsize=16)
def _shallower(indent: int) -> re.Pattern[str]:
    """A line indented less than ``indent`` (compiled once for each indentation)."""
    return re.compile(f"\n {{0,{indent - 1}}}[^ \n]")


def _closed(quote: str, rest: str) -> bool:
    """True when a value opened with ``quote`` on a line is closed on it too."""
    rest = rest.rstrip()
    if quote in "[{":
        return rest.endswith("]" if quote == "[" else "}") and "#" not in rest
    if quote == "'":
        return rest.endswith("'") and rest.count("'") % 2 == 1
    escaped = re.sub(r"\\.", "", rest)
    return escaped.endswith('"') and escaped.count('"') == 1


# The plainest YAML, read here at a tenth of PyYAML's cost: top-level ``key: value`` lines
# whose values are plain scalars (on one line, or folded over indented lines), quoted ones
# on one line, or a list of such under the key. Each scalar is typed by PyYAML's own
# resolver and constructor (``No`` is False, a date a date), so the mapping is what
# PyYAML's would be; anything else (a comment, a tab, an anchor, a flow collection, an
# escape, a blank line inside a value...) is handed to PyYAML whole.
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?$")
_ITEM_LINE = re.compile(r"( +)- (.+)$")
_STARTS_OTHERWISE = frozenset("-?:,[]{}#&*!|>'\"%@`")  # what a plain scalar may not start with
# Characters YAML reads as line breaks, a byte-order mark, or will not read at all.
_UNUSUAL = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()


class _NotPlain(Exception):
    """Not the plainest YAML: PyYAML reads it."""


def _load_front(text: str) -> object:
    try:
        return _plain_yaml(text)
    except _NotPlain:
        return _YAML_LOAD(text)


def _plain_yaml(text: str) -> dict[object, object] | None:
    """The mapping PyYAML's safe loader would give for ``text``; ``_NotPlain`` when the
    text is not of the shapes read here."""
    if "\t" in text or "\\" in text or _UNUSUAL.search(text):
        raise _NotPlain
    lines = text.split("\n")
    meta: dict[object, object] = {}
    i, count = 0, len(lines)
    while i < count:
        line = lines[i]
        if not line.strip(" ") or line.startswith("#"):
            i += 1
            continue
        match = _KEY_LINE.match(line)
        if match is None:
            raise _NotPlain
        following = i + 1
        while following < count and lines[following].startswith(" "):
            following += 1
        rest, more = match[2], lines[i + 1 : following]
        value: object
        if rest is None or not rest.strip(" "):
            value = _sequence(more) if more else None
        else:
            value = _scalar(rest.rstrip(" "), more)
        meta[_typed_key(match[1])] = value
        i = following
    return meta or None


def _scalar(first: str, more: list[str]) -> object:
    """A scalar on ``first``, folded over the lines ``more`` when it is plain."""
    if not first:
        raise _NotPlain
    if first[0] == '"':
        inner = first[1:-1]
        if more or len(first) < 2 or not first.endswith('"') or '"' in inner:
            raise _NotPlain
        return inner
    if first[0] == "'":
        inner = first[1:-1]
        if more or len(first) < 2 or not first.endswith("'") or "'" in inner.replace("''", ""):
            raise _NotPlain
        return inner.replace("''", "'")
    if first[0] in _STARTS_OTHERWISE:
        raise _NotPlain
    parts = [first, *(line.strip(" ") for line in more)]
    for part in parts:
        if not part or part[0] in _STARTS_OTHERWISE or ": " in part or " #" in part:
            raise _NotPlain
        if part.endswith(":"):
            raise _NotPlain
    return _typed(" ".join(parts))


def _sequence(lines: list[str]) -> list[object]:
    """A block sequence of one-line scalars, every item at one indentation."""
    items: list[object] = []
    indent = None
    for line in lines:
        match = _ITEM_LINE.match(line)
        if match is None or (indent is not None and len(match[1]) != indent):
            raise _NotPlain
        indent = len(match[1])
        items.append(_scalar(match[2].strip(" "), []))
    return items


def _typed(plain: str) -> object:
    """A plain scalar as PyYAML types it (``No`` → False, ``2025-06-02`` → a date)."""
    implicit = _RESOLVER.yaml_implicit_resolvers
    if plain and plain[0] not in implicit and None not in implicit:
        return plain  # no type starts so: text (most headlines and standfirsts)
    tag = _RESOLVER.resolve(ScalarNode, plain, (True, False))
    if tag == "tag:yaml.org,2002:str":
        return plain
    if tag not in _TYPED:
        raise _NotPlain
    return SafeConstructor.yaml_constructors[tag](_CONSTRUCTOR, ScalarNode(tag, plain))


@lru_cache(maxsize=1024)
def _typed_key(plain: str) -> object:
    """A key as ``_typed`` types it (the same few in every file; the types are immutable)."""
    return _typed(plain)


_TYPED = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp")
)

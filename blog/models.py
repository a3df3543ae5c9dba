"""One article file in, one frozen, validated ``Article`` out.

Every quirk of the editors' format (see the README's editor guide) is resolved here, once:
hashtag strings, ``deals: No``, the date shapes, folded ``mk1``…``mk5`` sections. The rest of
the code trusts the model: aware datetimes, tuples of tags, scheme-checked image URLs.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml
from frontmatter.default_handlers import YAMLHandler

from .quirks import Problem, find_traps

SECTION_KEYS = ("mk1", "mk2", "mk3", "mk4", "mk5")
KNOWN_KEYS = frozenset(
    {
        "title",
        "date",
        "featuredimage",
        "featuredimage_alt",
        "categoria",
        "deals",
        "tags",
        "short-description",
        "slug",
        "draft",
        "author",
        "updated",
        "aliases",
        *SECTION_KEYS,
    }
)
WORDS_PER_MINUTE = 220

_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}-")
_HASHTAG_SPLIT = re.compile(r"[#,]")
_TOP_LEVEL_KEY = re.compile(r"^([^\s:#'\"-][^:\n]*):", re.MULTILINE)
_TAG = re.compile(r"<[^>]*>")
# What XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF): YAML escapes
# ("\0", "\ud800") can put them in any field, and one in a title made every feed fail.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_YAML = YAMLHandler()
_TRUE_WORDS = frozenset({"yes", "y", "true", "on", "1"})
_FALSE_WORDS = frozenset({"no", "n", "false", "off", "0", ""})


class ArticleError(ValueError):
    """A file that cannot become an article, with the place an editor must look."""

    def __init__(self, path: str, line: int, field: str | None, message: str) -> None:
        self.path, self.line, self.field, self.message = path, line, field, message
        where = f"{field}: " if field else ""
        super().__init__(f"{path}:{line}: {where}{message}")


class Section(NamedTuple):
    """One of the ``mk1``…``mk5`` fields that has text: which one, and its Markdown."""

    key: str
    markdown: str


@dataclass(frozen=True, slots=True)
class Article:
    """A parsed article: everything the site shows, already validated and normalised.

    The library keeps articles in memory ``without_text()``: the sections and body live in
    the on-disk store (``store.py``) and are read through ``Library.markdown()``. Slots, and
    shared strings for categories and tags, keep 100,000 of them small.
    """

    path: str
    source_hash: str
    slug: str
    title: str
    date: dt.datetime
    standfirst: str = ""
    category: str | None = None
    tags: tuple[str, ...] = ()
    deals: bool = False
    image: str | None = None
    image_alt: str = ""
    sections: tuple[Section, ...] = ()
    body: str = ""
    draft: bool = False
    author: str | None = None
    updated: dt.datetime | None = None
    committed: dt.datetime | None = None  # last git commit touching the file, if any
    aliases: tuple[str, ...] = ()
    word_count: int = 0
    extra: tuple[tuple[str, Any], ...] = ()  # unknown front-matter fields, in file order
    problems: tuple[Problem, ...] = ()
    has_text: bool = field(default=True, compare=False)

    @property
    def modified(self) -> dt.datetime:
        """When the article last changed: ``updated:``, else its last commit, never before
        its publication."""
        changed = self.updated or self.committed
        return max(changed, self.date) if changed else self.date

    @property
    def reading_minutes(self) -> int:
        """Whole minutes a reader needs, never zero."""
        return max(1, round(self.word_count / WORDS_PER_MINUTE))

    @property
    def parts(self) -> list[tuple[str, str]]:
        """(field, Markdown) for each section with text, then the body."""
        if not self.has_text:
            raise LookupError(f"{self.path}: text is in the store; ask the library for it")
        return [*((s.key, s.markdown) for s in self.sections), ("body", self.body)]

    @property
    def markdown(self) -> str:
        """Sections in order, then the body: the article's full Markdown source."""
        return join_parts(self.parts)

    def __reduce__(self) -> tuple[type[Article], tuple[Any, ...]]:
        # Pickled (by the store) as the constructor's arguments: unpickling 100,000
        # articles then makes no temporary state dicts, which fragment memory for good.
        return Article, tuple(getattr(self, f.name) for f in fields(Article))

    def without_text(self) -> Article:
        """The same article, light: what the index and listings need, without its text."""
        return replace(self, sections=(), body="", has_text=False)

    def is_published(self, now: dt.datetime) -> bool:
        """Readers see an article once it is not a draft and its time has come."""
        return not self.draft and self.date <= now


@lru_cache(maxsize=65536)
def slugify(text: str) -> str:
    """A URL-safe, lower-case slug; accents dropped, non-Latin letters kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.findall(r"\w+", stripped.lower())
    return "-".join(w.replace("_", "-") for w in words).strip("-")


def slug_from_path(path: str) -> str:
    """``2025-06-02-tidal-trams.md`` → ``tidal-trams``."""
    stem = PurePosixPath(path).stem
    return slugify(_DATE_PREFIX.sub("", stem)) or slugify(stem)


def parse_article(path: str, data: bytes, source_hash: str, tz: dt.tzinfo) -> Article:
    """Parse one file's bytes; raise ``ArticleError`` with file, line and field."""
    text = _decode(path, data)
    meta, body, fm_text, first_line = _split(path, text)
    lines = _field_lines(fm_text, first_line)
    problems: list[Problem] = []

    def fail(key: str, message: str) -> ArticleError:
        return ArticleError(path, lines.get(key, 1), key, message)

    def warn(key: str, message: str) -> None:
        problems.append(Problem(lines.get(key, 1), key, message))

    title = _text(meta.get("title"))
    if not title:
        raise fail("title", "missing or empty; every article needs a headline")
    date = _date(meta.get("date"), tz, fail, "date")
    if date is None:
        raise fail("date", "missing; every article needs a publication date")
    if not _has_zone(meta.get("date")):
        warn("date", f"no time zone; read as {tz} (write 2025-04-11T09:30:00Z)")
    sections = tuple(
        Section(key, text) for key in SECTION_KEYS if (text := _section(meta.get(key), fail, key))
    )
    body = body.strip()
    if not sections and not body:
        warn("title", "empty article: no sections (mk1…mk5) and no body")
    image = _image_url(meta.get("featuredimage"))
    if meta.get("featuredimage") and image is None:
        warn("featuredimage", "not an http(s) URL or a site path; the image is left out")
    problems.extend(find_traps(fm_text, first_line, meta))
    markdown_text = join_parts([*((s.key, s.markdown) for s in sections), ("body", body)])
    return Article(
        path=path,
        source_hash=source_hash,
        slug=slugify(_text(meta.get("slug"))) or slug_from_path(path),
        title=title,
        date=date,
        standfirst=_text(meta.get("short-description")),
        category=sys.intern(_text(meta.get("categoria"))) or None,
        tags=_tags(meta.get("tags"), fail),
        deals=_flag(meta.get("deals"), fail, "deals"),
        image=image,
        image_alt=_text(meta.get("featuredimage_alt")) or title,
        sections=sections,
        body=body,
        draft=_flag(meta.get("draft"), fail, "draft"),
        author=_text(meta.get("author")) or None,
        updated=_date(meta.get("updated"), tz, fail, "updated"),
        aliases=_strings(meta.get("aliases"), fail, "aliases"),
        word_count=len(_TAG.sub(" ", markdown_text).split()),
        extra=tuple((k, v) for k, v in meta.items() if k not in KNOWN_KEYS),
        problems=tuple(problems),
    )


def join_parts(parts: list[tuple[str, str]]) -> str:
    """An article's full Markdown source from its parts: sections in order, then the body."""
    return "\n\n".join(text for _, text in parts)


def _decode(path: str, data: bytes) -> str:
    """UTF-8 with or without a byte-order mark, CRLF or LF."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ArticleError(path, line, None, f"not UTF-8 (byte {e.start})") from e
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _split(path: str, text: str) -> tuple[dict[str, Any], str, str, int]:
    """Front matter mapping, body, the raw front-matter text and its first line's number."""
    if not text.startswith("---"):
        raise ArticleError(path, 1, None, "no front matter: the file must start with '---'")
    try:
        fm_text, body = _YAML.split(text)
    except ValueError as e:
        raise ArticleError(path, 1, None, "front matter is not closed by a '---' line") from e
    first_line = text[: text.find(fm_text)].count("\n") + 1
    try:
        meta = _YAML.load(fm_text)
    except yaml.MarkedYAMLError as e:
        # Where the broken construct starts (an unclosed bracket, say) says more than where
        # YAML gave up on it.
        mark = e.context_mark or e.problem_mark
        line = mark.line + first_line if mark else 1
        column = f", column {mark.column + 1}" if mark else ""
        raise ArticleError(path, line, None, f"YAML syntax error{column}: {e.problem}") from e
    except yaml.YAMLError as e:
        raise ArticleError(path, 1, None, f"YAML error: {e}") from e
    except RecursionError as e:  # a parser without a depth limit of its own
        raise ArticleError(path, 1, None, "front matter nested too deeply") from e
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        kind = type(meta).__name__
        raise ArticleError(path, 2, None, f"front matter is a {kind}, not a mapping of fields")
    return {str(k): v for k, v in meta.items()}, body, fm_text, first_line


def _field_lines(fm_text: str, first_line: int) -> dict[str, int]:
    """Line number in the file of each top-level key, for messages that name a field."""
    lines: dict[str, int] = {}
    number, counted = first_line, 0
    for match in _TOP_LEVEL_KEY.finditer(fm_text):
        number += fm_text.count("\n", counted, match.start())
        counted = match.start()
        lines.setdefault(match.group(1).strip(), number)
    return lines


def _text(value: object) -> str:
    """A scalar as trimmed text; structures are not text."""
    if value is None or isinstance(value, (list, dict)):
        return ""
    return " ".join(_NOT_XML.sub("", str(value)).split())


def _section(value: object, fail: Any, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        raise fail(key, f"expected Markdown text, got a {type(value).__name__}")
    return _NOT_XML.sub("", str(value)).strip()


def _flag(value: object, fail: Any, key: str) -> bool:
    """YAML 1.1 booleans (``No`` → False) and the same words as quoted strings."""
    if value is None or isinstance(value, bool):
        return bool(value)
    word = str(value).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise fail(key, f"expected Yes or No, got {str(value)[:40]!r}")


def _tags(value: object, fail: Any) -> tuple[str, ...]:
    """Hashtag strings, comma strings and plain lists, in order, without duplicates."""
    if value is None:
        return ()
    if isinstance(value, (str, int, float)):
        items: list[object] = [value]
    elif isinstance(value, list):
        items = value
    else:
        raise fail("tags", f"expected a list or a string of hashtags, got a {type(value).__name__}")
    tags: dict[str, str] = {}
    for item in items:
        if isinstance(item, (list, dict)):
            raise fail("tags", "a tag must be text, not a nested list or mapping")
        if item is None:
            continue
        for part in _HASHTAG_SPLIT.split(_NOT_XML.sub("", str(item))):
            name = " ".join(part.split())
            if name and slugify(name):
                tags.setdefault(slugify(name), sys.intern(name))
    return tuple(tags.values())


def _strings(value: object, fail: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if any(isinstance(item, (list, dict)) for item in items):
        raise fail(key, "expected a list of text items")
    cleaned = (_NOT_XML.sub("", str(item)).strip() for item in items if item is not None)
    return tuple(item for item in cleaned if item)


def _date(value: object, tz: dt.tzinfo, fail: Any, key: str) -> dt.datetime | None:
    """Every date shape editors write, as an aware UTC datetime; naive ones are in ``tz``."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError as e:
            raise fail(key, f"not a date: {value[:40]!r} (write 2025-04-11T09:30:00Z)") from e
    else:
        raise fail(key, f"not a date: {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(dt.UTC)


def _has_zone(value: object) -> bool:
    if isinstance(value, dt.datetime):
        return value.tzinfo is not None
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()).tzinfo is not None
        except ValueError:
            return True  # unreadable: reported as an error elsewhere
    return False  # a bare date


def _image_url(value: object) -> str | None:
    """Only ``http(s)`` URLs and site paths may ever reach an ``src``."""
    url = _text(value)
    if not url or "\\" in url or any(ord(c) < 32 for c in url):
        return None
    if url.startswith("/") and not url.startswith("//"):
        return url
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def site_timezone(name: str) -> ZoneInfo:
    """The zone naive dates are read in."""
    return ZoneInfo(name)

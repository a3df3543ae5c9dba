"""One article file in, one frozen, validated ``Article`` out.

Every quirk of the editors' format (see docs/editors.md) is resolved here, once:
hashtag strings, ``deals: No``, the date shapes (read field by field in ``fields.py``), folded
``mk1``…``mk5`` sections and the traps YAML accepts silently (``quirks.py``). The rest of the
code trusts the model: aware datetimes, tuples of tags, scheme-checked image URLs.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from functools import partial
from pathlib import PurePosixPath
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

import yaml
from frontmatter.default_handlers import YAMLHandler

from blog.content import fields, syntax
from blog.content.fields import slugify
from blog.content.quirks import Problem, find_traps

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
        "featured",
        "priority",
        "breaking",
        "breaking_until",
        "pinned_until",
        "featuredimage_caption",
        "featuredimage_credit",
        *SECTION_KEYS,
    }
)
WORDS_PER_MINUTE = 220

_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}-")
_TOP_LEVEL_KEY = re.compile(r"^([^\s:#'\"-][^:\n]*):", re.MULTILINE)
_TAG = re.compile(r"<[^<>]*>")  # not "[^>]*": over 50,000 "<" that reads the text 50,000 times
_YAML = YAMLHandler()
_T = TypeVar("_T")


class ArticleError(ValueError):
    """A file that cannot become an article, with the place an editor must look; ``more``:
    the file's other problems, found in the same reading (the check shows them all)."""

    def __init__(
        self,
        path: str,
        line: int,
        field: str | None,
        message: str,
        more: tuple[Problem, ...] = (),
    ) -> None:
        self.path, self.line, self.field, self.message = path, line, field, message
        self.more = more
        where = f"{field}: " if field else ""
        super().__init__(f"{path}:{line}: {where}{message}")

    @property
    def problems(self) -> tuple[Problem, ...]:
        """This error and the file's other problems, in line order."""
        own = Problem(self.line, self.field or "file", self.message, "error")
        return tuple(sorted((own, *self.more), key=lambda p: p.line))

    def with_more(self, more: list[Problem]) -> ArticleError:
        """The same error, carrying the file's other problems."""
        return ArticleError(self.path, self.line, self.field, self.message, tuple(more))

    def __reduce__(
        self,
    ) -> tuple[type[ArticleError], tuple[str, int, str | None, str, tuple[Problem, ...]]]:
        # Pickled with the library's state (snapshot.py) as what it was made from.
        return type(self), (self.path, self.line, self.field, self.message, self.more)


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
    authors: tuple[str, ...] = ()  # ``author:``, one name or a list, in order
    image_caption: str = ""
    image_credit: str = ""
    # The editors' say on the front page (docs/editors.md): in the lead or top stories,
    # highest priority first (``featured: true`` is priority 1); a breaking-news strip; first
    # in its category until a moment.
    priority: int = 0
    breaking: bool = False
    breaking_until: dt.datetime | None = None
    pinned_until: dt.datetime | None = None
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
    def author(self) -> str | None:
        """The first author's name (the byline's lead), if any."""
        return self.authors[0] if self.authors else None

    @property
    def featured(self) -> bool:
        """True when editors put it forward (``featured: true`` or a ``priority``)."""
        return self.priority > 0

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
        return Article, tuple(getattr(self, f.name) for f in dataclass_fields(Article))

    def without_text(self) -> Article:
        """The same article, light: what the index and listings need, without its text."""
        return replace(self, sections=(), body="", has_text=False)

    def is_published(self, now: dt.datetime) -> bool:
        """Readers see an article once it is not a draft and its time has come."""
        return not self.draft and self.date <= now


def slug_from_path(path: str) -> str:
    """``2025-06-02-tidal-trams.md`` → ``tidal-trams``."""
    stem = PurePosixPath(path).stem
    return slugify(_DATE_PREFIX.sub("", stem)) or slugify(stem)


def parse_article(
    path: str,
    data: bytes,
    source_hash: str,
    tz: dt.tzinfo,
    load_front: Callable[[str], Any] | None = None,
) -> Article:
    """Parse one file's bytes; raise ``ArticleError`` with file, line and field (and every
    other problem the file has, in ``more``). ``load_front`` reads the front matter's YAML
    instead of PyYAML (``light.py``'s reader of its plainest shapes, which gives what PyYAML
    gives or hands over to it)."""
    text = _decode(path, data)
    meta, body, fm_text, first_line = _split(path, text, load_front or _YAML.load)
    lines = field_lines(fm_text, first_line)
    problems: list[Problem] = []
    errors: list[ArticleError] = []

    def fail(key: str, message: str) -> ArticleError:
        return ArticleError(path, lines.get(key, 1), key, message)

    def warn(key: str, message: str) -> None:
        problems.append(Problem(lines.get(key, 1), key, message))

    def read(reader: Callable[[], _T], default: _T) -> _T:
        """A field's value; a wrong one is noted, and the reading goes on to the others."""
        try:
            return reader()
        except ArticleError as e:
            errors.append(e)
            return default

    title = fields.text(meta.get("title"))
    if not title:
        errors.append(fail("title", "missing or empty; every article needs a headline"))
    no_date: dt.datetime | None = None
    date = read(lambda: fields.date(meta.get("date"), tz, fail, "date"), no_date)
    if date is None and not any(e.field == "date" for e in errors):
        errors.append(fail("date", "missing; every article needs a publication date"))
    if date is not None and not fields.has_zone(meta.get("date")):
        warn("date", f"no time zone; read as {tz} (write 2025-04-11T09:30:00Z)")
    sections = tuple(
        Section(key, text)
        for key in SECTION_KEYS
        if (text := read(partial(fields.section, meta.get(key), fail, key), ""))
    )
    body = body.strip()
    if not sections and not body:
        warn("title", "empty article: no sections (mk1…mk5) and no body")
    image = fields.image_url(meta.get("featuredimage"))
    if meta.get("featuredimage") and image is None:
        warn("featuredimage", "not an http(s) URL or a site path; the image is left out")
    problems.extend(find_traps(fm_text, first_line, meta))
    nothing: tuple[str, ...] = ()
    tags = read(lambda: fields.tags(meta.get("tags"), fail), nothing)
    deals = read(lambda: fields.flag(meta.get("deals"), fail, "deals"), False)
    draft = read(lambda: fields.flag(meta.get("draft"), fail, "draft"), False)
    authors = read(
        lambda: fields.strings(meta.get("author"), fail, "author", one_line=True), nothing
    )
    priority = read(lambda: _priority(meta, fail), 0)
    breaking = read(lambda: fields.flag(meta.get("breaking"), fail, "breaking"), False)
    aliases = read(lambda: fields.strings(meta.get("aliases"), fail, "aliases"), nothing)

    def moment(key: str) -> dt.datetime | None:
        return read(lambda: fields.date(meta.get(key), tz, fail, key), None)

    breaking_until, pinned_until, updated = map(
        moment, ("breaking_until", "pinned_until", "updated")
    )
    if errors or date is None:
        errors.sort(key=lambda e: e.line)
        first, *others = errors
        more = [Problem(e.line, e.field or "file", e.message, "error") for e in others]
        raise first.with_more(more + problems)
    markdown_text = join_parts([*((s.key, s.markdown) for s in sections), ("body", body)])
    return Article(
        path=path,
        source_hash=source_hash,
        slug=slugify(fields.text(meta.get("slug"))) or slug_from_path(path),
        title=title,
        date=date,
        standfirst=fields.text(meta.get("short-description")),
        category=sys.intern(fields.text(meta.get("categoria"))) or None,
        image=image,
        # No alt text given: empty, which is right beside a visible headline (repeating the
        # headline made screen readers say it twice).
        image_alt=fields.text(meta.get("featuredimage_alt")),
        image_caption=fields.text(meta.get("featuredimage_caption")),
        image_credit=fields.text(meta.get("featuredimage_credit")),
        sections=sections,
        body=body,
        word_count=len(_TAG.sub(" ", markdown_text).split()),
        extra=tuple((k, v) for k, v in meta.items() if k not in KNOWN_KEYS),
        problems=tuple(problems),
        tags=tags,
        deals=deals,
        draft=draft,
        authors=authors,
        priority=priority,
        breaking=breaking,
        breaking_until=breaking_until,
        pinned_until=pinned_until,
        updated=updated,
        aliases=aliases,
    )


def _priority(meta: dict[str, Any], fail: Callable[[str, str], ArticleError]) -> int:
    """``priority: 3`` as is; ``featured: true`` alone is 1; neither is 0."""
    value = meta.get("priority")
    if value is not None and value != "":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise fail("priority", f"expected a whole number, got {str(value)[:40]!r}")
        try:
            number = int(value)
        except ValueError as e:
            raise fail("priority", f"expected a whole number, got {str(value)[:40]!r}") from e
        if number < 0:
            raise fail("priority", f"expected 0 or more, got {number}")
        if number > 0 or not fields.flag(meta.get("featured"), fail, "featured"):
            return number
    return 1 if fields.flag(meta.get("featured"), fail, "featured") else 0


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
    return fields.NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _split(
    path: str, text: str, load_front: Callable[[str], Any] = _YAML.load
) -> tuple[dict[str, Any], str, str, int]:
    """Front matter mapping, body, the raw front-matter text and its first line's number."""
    if not text.startswith("---"):
        raise ArticleError(path, 1, None, "no front matter: the file must start with '---'")
    try:
        fm_text, body = _YAML.split(text)
    except ValueError as e:
        raise ArticleError(path, 1, None, "front matter is not closed by a '---' line") from e
    first_line = text[: text.find(fm_text)].count("\n") + 1
    try:
        meta = load_front(fm_text)
    except yaml.MarkedYAMLError as e:
        first, *others = syntax.every_error(
            fm_text, first_line, syntax.explain(e, fm_text, first_line)
        )
        traps = find_traps(fm_text, first_line, dict(syntax.readable_fields(fm_text)))
        raise ArticleError(path, first.line, first.field, first.message, (*others, *traps)) from e
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


def field_lines(text: str, first_line: int = 1) -> dict[str, int]:
    """The line of each top-level key (its first), for messages that name a field: the one
    finder, for the parser (front matter starting at ``first_line``) and the check (a
    whole file)."""
    lines: dict[str, int] = {}
    number, counted = first_line, 0
    for match in _TOP_LEVEL_KEY.finditer(text):
        number += text.count("\n", counted, match.start())
        counted = match.start()
        lines.setdefault(match.group(1).strip(), number)
    return lines


def site_timezone(name: str) -> ZoneInfo:
    """The zone naive dates are read in."""
    return ZoneInfo(name)

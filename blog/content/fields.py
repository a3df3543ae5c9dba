"""Front-matter values as editors write them, read into the model's types.

``deals: No`` and ``"Yes"``, hashtag strings and comma strings and lists, dates with a zone,
without one or bare, structures where text belongs: each reader takes what YAML gave and returns
one type, or raises through ``fail`` (which names the file, line and field).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

Fail = Callable[[str, str], Exception]  # (field, message) -> the error to raise

# What XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF): YAML escapes
# ("\0", "\ud800") can put them in any field, and one in a title made every feed fail.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HASHTAG_SPLIT = re.compile(r"[#,]")
_TRUE_WORDS = frozenset({"yes", "y", "true", "on", "1"})
_FALSE_WORDS = frozenset({"no", "n", "false", "off", "0", ""})


@lru_cache(maxsize=65536)
def slugify(text: str) -> str:
    """A URL-safe, lower-case slug; accents dropped, non-Latin letters kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.findall(r"\w+", stripped.lower())
    return "-".join(w.replace("_", "-") for w in words).strip("-")


def text(value: object) -> str:
    """A scalar as trimmed text; structures are not text."""
    if value is None or isinstance(value, (list, dict)):
        return ""
    return " ".join(NOT_XML.sub("", str(value)).split())


def section(value: object, fail: Fail, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        raise fail(key, f"expected Markdown text, got a {type(value).__name__}")
    return NOT_XML.sub("", str(value)).strip()


def flag(value: object, fail: Fail, key: str) -> bool:
    """YAML 1.1 booleans (``No`` → False) and the same words as quoted strings."""
    if value is None or isinstance(value, bool):
        return bool(value)
    word = str(value).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise fail(key, f"expected Yes or No, got {str(value)[:40]!r}")


def tags(value: object, fail: Fail) -> tuple[str, ...]:
    """Hashtag strings, comma strings and plain lists, in order, without duplicates."""
    if value is None:
        return ()
    if isinstance(value, (str, int, float)):
        items: list[object] = [value]
    elif isinstance(value, list):
        items = value
    else:
        raise fail("tags", f"expected a list or a string of hashtags, got a {type(value).__name__}")
    found: dict[str, str] = {}  # slug → the first spelling an editor used
    for item in items:
        if isinstance(item, (list, dict)):
            raise fail("tags", "a tag must be text, not a nested list or mapping")
        if item is None:
            continue
        for part in _HASHTAG_SPLIT.split(NOT_XML.sub("", str(item))):
            name = " ".join(part.split())
            if name and slugify(name):
                found.setdefault(slugify(name), sys.intern(name))
    return tuple(found.values())


def strings(value: object, fail: Fail, key: str, one_line: bool = False) -> tuple[str, ...]:
    """One text or a list of texts, empty ones left out; ``one_line``: whitespace collapsed
    and repeats dropped, a repeat being the same name as a slug (names: ``Mira Okonjo`` and
    ``mira okonjo`` are one author, with one page)."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if any(isinstance(item, (list, dict)) for item in items):
        raise fail(key, "expected a list of text items")
    cleaned = [NOT_XML.sub("", str(item)).strip() for item in items if item is not None]
    if one_line:
        names: dict[str, str] = {}  # slug (or the name, when it has none) → first spelling
        for item in cleaned:
            name = sys.intern(" ".join(item.split()))
            names.setdefault(slugify(name) or name, name)
        cleaned = list(names.values())
    return tuple(item for item in cleaned if item)


def date(value: object, tz: dt.tzinfo, fail: Fail, key: str) -> dt.datetime | None:
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


def has_zone(value: object) -> bool:
    if isinstance(value, dt.datetime):
        return value.tzinfo is not None
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()).tzinfo is not None
        except ValueError:
            return True  # unreadable: reported as an error elsewhere
    return False  # a bare date


_CONTROL = re.compile(r"[\x00-\x1f]")  # characters below 32: never in a URL


def image_url(value: object) -> str | None:
    """Only ``http(s)`` URLs and site paths may ever reach an ``src``."""
    url = text(value)
    if not url or "\\" in url or _CONTROL.search(url):
        return None
    if url.startswith("/") and not url.startswith("//"):
        return url
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None

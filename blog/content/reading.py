"""Reading one article file again: what it holds now, and what changed for readers.

The library decides what to do with the answer (record it, store its text, log its
problems); this module only reads and parses, so each can be read on its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from blog.content.files import Stamp, inside
from blog.content.light import LightUnsure, light_article
from blog.content.models import Article, ArticleError, parse_article
from blog.content.store import Parts


@dataclass(frozen=True, slots=True)
class Entry:
    """One file as last seen: its stamp, its content hash, its last good article, its error."""

    stamp: Stamp | None  # None: read the file again (a last good version from the store)
    source_hash: str
    article: Article | None
    error: ArticleError | None = None


class Problem(NamedTuple):
    """Something to log once: a key that changes with the problem, the message, its level."""

    key: str
    message: str
    level: int = logging.ERROR


class Reading(NamedTuple):
    """What reading a file found."""

    entry: Entry | None  # the file's entry now; None when the file is gone
    changed: bool  # True when what readers see may have changed
    text: Parts | None = None  # the text of a newly parsed version, for the store
    problems: tuple[Problem, ...] = ()
    keep: bool = False  # nothing to record: keep the entry as it is


class FileReader:
    """Reads and parses the files of one content folder."""

    def __init__(self, root: Path, timezone: dt.tzinfo, max_bytes: int) -> None:
        self.root = root
        self.timezone = timezone
        self.max_bytes = max_bytes

    def read(self, rel: str, old: Entry | None, light: bool = False) -> Reading:
        """The file ``rel`` now, given what was last seen of it; ``light``: its article
        without reading its text where that is certain to give the same (``light.py``: a
        first start), and then no text for the store."""
        path = self.root / rel
        try:
            if path.is_symlink() and not inside(self.root, str(path)):
                raise FileNotFoundError(rel)
            st = path.stat()
            if st.st_size > self.max_bytes:
                limit = f"file is {st.st_size} bytes, over the {self.max_bytes} limit"
                raise ArticleError(rel, 1, None, limit)
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            if not self.root.is_dir():  # the whole folder went: keep the last good versions
                return Reading(old, False, keep=True)
            return Reading(None, old is not None)
        except ArticleError as e:
            return _last_good(rel, old, Stamp.of(st), "size:" + str(st.st_size), e)
        except OSError as e:
            return Reading(
                old, False, problems=(Problem(rel, f"{rel}:1: unreadable: {e}"),), keep=True
            )
        return self._parsed(rel, old, Stamp.of(st), data, light)

    def _parsed(
        self, rel: str, old: Entry | None, stamp: Stamp, data: bytes, light: bool = False
    ) -> Reading:
        source_hash = hashlib.sha256(data).hexdigest()
        if old is not None and old.source_hash == source_hash:  # touched, not changed
            return Reading(Entry(stamp, source_hash, old.article, old.error), False)
        if light:
            try:
                article = light_article(rel, data, source_hash, self.timezone)
            except LightUnsure:
                pass  # parsed whole, below
            else:
                return Reading(Entry(stamp, source_hash, article), True)
        try:
            article = parse_article(rel, data, source_hash, self.timezone)
        except ArticleError as e:
            return _last_good(rel, old, stamp, source_hash, e)
        problems = tuple(
            Problem(
                f"{rel}:{source_hash}:{p.line}:{p.field}",
                f"{rel}:{p.line}: {p.field}: {p.message}",
                logging.ERROR if p.severity == "error" else logging.WARNING,
            )
            for p in article.problems
        )
        # Memory keeps the article without its text; the text goes to the store.
        entry = Entry(stamp, source_hash, article.without_text())
        return Reading(entry, True, article.parts, problems)


def _last_good(
    rel: str, old: Entry | None, stamp: Stamp, source_hash: str, error: ArticleError
) -> Reading:
    """A file that no longer parses keeps serving its last good version, if it had one."""
    last_good = old.article if old else None
    kept = "keeping its last good version" if last_good else "not published"
    problem = Problem(f"{rel}:{source_hash}", f"{error} ({kept})")
    return Reading(Entry(stamp, source_hash, last_good, error), True, problems=(problem,))

"""The current index, and the map of records it is rebuilt from as files change.

A rebuild costs in proportion to the files that changed, not to the folder
(``update_index``): the map of each file's record is kept in step with the entries between
rebuilds, and a file whose version did not change keeps its record, so record numbers tell
what changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import replace

from blog.content import git
from blog.content.flags import Windows
from blog.content.index import Index, build_index
from blog.content.index_update import update_index
from blog.content.models import Article, ArticleError
from blog.content.profiles import Profile
from blog.content.reading import Entry
from blog.content.records import NO_TIME, Records, to_us
from blog.content.tables import ArticleMap, KeyTable


class Catalog:
    """The index readers are served from, and what the next one is built from."""

    def __init__(
        self,
        clock: Callable[[], dt.datetime],
        article_path: Callable[[str], str],
        windows: Windows,
        records: Records | None = None,
    ) -> None:
        self.clock = clock
        self.records = records or Records()
        self._files = KeyTable(self.records, "path")  # each file's record, by path
        self.index = build_index(
            ArticleMap(self.records, self._files.copy()),
            clock(),
            article_path=article_path,
            windows=windows,
        )
        self.commits: git.CommitTimes | None = None  # set when the folder is a git checkout
        self._errors: dict[str, ArticleError] = {}
        self._changed: set[str] = set()  # files whose entry changed since the last index
        self.profiles: Mapping[str, Profile] = {}  # the authors' profiles the next index holds

    def mark(self, rel: str) -> None:
        """The entry of ``rel`` changed: the next rebuild looks at it."""
        self._changed.add(rel)

    def mark_all(self, paths: set[str]) -> None:
        self._changed |= paths

    def rid(self, rel: str) -> int | None:
        """The record of the file's article in the next index, if it has one."""
        return self._files.find(rel)

    def adopt(self, files: KeyTable, index: Index) -> None:
        """Take a map of records and its index as they are (read back from the store, or
        built in bulk): the entries are already in step with them."""
        self._files = files
        self.index = index
        self._changed = set()

    def rebuild(self, entries: MutableMapping[str, Entry]) -> tuple[Index, set[str]]:
        """Swap in the index for the files marked since the last one; (the index it
        replaced, the paths whose article changed)."""
        changed = self._changed | self._apply_commit_times(entries, self._changed)
        self._changed = set()
        old = self.index
        really: set[str] = set()
        for rel in changed:
            entry = entries.get(rel)
            if self._put(rel, entry.article if entry else None):
                really.add(rel)
            if entry is not None and entry.error is not None:
                self._errors[rel] = entry.error
            else:
                self._errors.pop(rel, None)
        self.index = update_index(
            old,
            ArticleMap(self.records, self._files.copy()),
            really,
            self.clock(),
            self._errors,
            self.profiles,
        )
        return old, really

    def _put(self, rel: str, article: Article | None) -> bool:
        """Give ``rel`` the record of ``article`` (none: take it out); True when its record
        changed."""
        rid = self._files.find(rel)
        if article is None:
            if rid is None:
                return False
            self._files.remove(rid, rel)
            return True
        if rid is not None:
            if _same_version(self.records, rid, article):
                return False
            self._files.remove(rid, rel)
        self._files.add(self.records.add(article), rel)
        return True

    def _apply_commit_times(self, entries: MutableMapping[str, Entry], paths: set[str]) -> set[str]:
        """Give the articles of ``paths``, and of files new commits touched, the time of the
        last commit on their file (one incremental ``git log``); the paths that changed."""
        if self.commits is None:
            return set()
        touched = self.commits.update()
        times = self.commits.times or {}
        updated = set()
        for rel in entries.keys() if touched is None else paths | touched:
            entry = entries.get(rel)
            if entry and entry.article and entry.article.committed != times.get(rel):
                article = replace(entry.article, committed=times.get(rel))
                entries[rel] = replace(entry, article=article)
                updated.add(rel)
        return updated


def _same_version(records: Records, rid: int, article: Article) -> bool:
    """True when the record is this version of the file (same bytes, same commit time)."""
    committed = NO_TIME if article.committed is None else to_us(article.committed)
    path, slug, source_hash = records.keys(rid)
    return (
        source_hash == article.source_hash
        and records.committed_us(rid) == committed
        and path == article.path
        and slug == article.slug
    )

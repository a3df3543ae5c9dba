"""The current index, and how the next one follows the library's files as they change.

A rebuild costs in proportion to the files that changed, not to the folder
(``update_index``): the library's table of records (``entries.Files``) is kept in step with
the files between rebuilds, and a file whose version did not change keeps its record, so
record numbers tell what changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace

from blog.content import git
from blog.content.entries import Files
from blog.content.flags import Windows
from blog.content.index import Index, build_index
from blog.content.index_update import update_index
from blog.content.profiles import Profile
from blog.content.records import NO_TIME, Records, from_us, to_us
from blog.content.tables import ArticleMap, KeyTable


class Catalog:
    """The index readers are served from, and what the next one is built from."""

    def __init__(
        self,
        clock: Callable[[], dt.datetime],
        article_path: Callable[[str], str],
        windows: Windows,
        records: Records,
    ) -> None:
        self.clock = clock
        self.index = build_index(
            ArticleMap(records, KeyTable(records, "path")),
            clock(),
            article_path=article_path,
            windows=windows,
        )
        self.commits: git.CommitTimes | None = None  # set when the folder is a git checkout
        self._changed: set[str] = set()  # files whose entry changed since the last index
        self.profiles: Mapping[str, Profile] = {}  # the authors' profiles the next index holds

    def mark(self, rel: str) -> None:
        """The entry of ``rel`` changed: the next rebuild looks at it."""
        self._changed.add(rel)

    def mark_all(self, paths: set[str]) -> None:
        self._changed |= paths

    def adopt(self, index: Index) -> None:
        """Serve an index built elsewhere (read back from the store) as the current one."""
        self.index = index
        self._changed = set()

    def rebuild(self, files: Files) -> tuple[Index, set[str]]:
        """Swap in the index for the files marked since the last one; (the index it
        replaced, the paths whose article changed)."""
        changed = self._changed | self._apply_commit_times(files, self._changed)
        self._changed = set()
        old = self.index
        articles = files.articles()
        really = {p for p in changed if old.files.rid(p) != articles.rid(p)}
        self.index = update_index(
            old, articles, really, self.clock(), files.errors(), self.profiles
        )
        return old, really

    def _apply_commit_times(self, files: Files, paths: set[str]) -> set[str]:
        """Give the articles of ``paths``, and of files new commits touched, the time of the
        last commit on their file (one incremental ``git log``); the paths that changed."""
        if self.commits is None:
            return set()
        touched = self.commits.update()
        times = self.commits.times or {}
        records = files.records
        updated = set()
        candidates = paths | touched if touched is not None else _dated_otherwise(files, times)
        for rel in candidates:
            rid = files.rid(rel)
            if rid is None:
                continue
            committed = times.get(rel)
            stored = records.committed_us(rid)
            if (None if stored == NO_TIME else from_us(stored)) == committed:
                continue
            entry = files.get(rel)
            if entry is not None and entry.article is not None:
                files.put(rel, replace(entry, article=replace(entry.article, committed=committed)))
                updated.add(rel)
        return updated


def _dated_otherwise(files: Files, times: Mapping[str, dt.datetime]) -> list[str]:
    """The files whose record's commit time is not git's (the whole history was read: at a
    start, every file is asked), from the committed-time column: at 100,000 files a second
    less than looking each up by path."""
    records = files.records
    committed = records.column("committed")
    found = []
    for rid in files.table.ids:
        rel = records.path(rid)
        moment = times.get(rel)
        if committed[rid] != (NO_TIME if moment is None else to_us(moment)):
            found.append(rel)
    found += [rel for rel in files.broken if files.table.find(rel) is None]
    return found

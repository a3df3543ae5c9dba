"""The current index, and the per-file maps it is rebuilt from as files change.

A rebuild costs in proportion to the files that changed, not to the folder
(``update_index``), because the maps are kept in step with the entries between rebuilds
and an unchanged file keeps its ``Article`` object: identity tells what changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import replace
from typing import Any

from blog.content import git
from blog.content.flags import Windows
from blog.content.index import Index, build_index
from blog.content.index_update import update_index
from blog.content.models import Article, ArticleError
from blog.content.profiles import Profile
from blog.content.reading import Entry


class Catalog:
    """The index readers are served from, and what the next one is built from."""

    def __init__(
        self,
        clock: Callable[[], dt.datetime],
        article_path: Callable[[str], str],
        windows: Windows,
    ) -> None:
        self.clock = clock
        self.index = build_index({}, clock(), article_path=article_path, windows=windows)
        self.commits: git.CommitTimes | None = None  # set when the folder is a git checkout
        self._files: dict[str, Article] = {}
        self._errors: dict[str, ArticleError] = {}
        self._changed: set[str] = set()  # files whose entry changed since the last index
        self.profiles: Mapping[str, Profile] = {}  # the authors' profiles the next index holds

    def mark(self, rel: str) -> None:
        """The entry of ``rel`` changed: the next rebuild looks at it."""
        self._changed.add(rel)

    def mark_all(self, paths: set[str]) -> None:
        self._changed |= paths

    def rebuild(self, entries: MutableMapping[str, Entry]) -> tuple[Index, set[str]]:
        """Swap in the index for the files marked since the last one; (the index it
        replaced, the paths whose article changed)."""
        changed = self._changed | self._apply_commit_times(entries, self._changed)
        self._changed = set()
        old = self.index
        for rel in changed:
            entry = entries.get(rel)
            _put(self._files, rel, entry.article if entry else None)
            _put(self._errors, rel, entry.error if entry else None)
        changed = {p for p in changed if self._files.get(p) is not old.files.get(p)}
        self.index = update_index(
            old, dict(self._files), changed, self.clock(), self._errors, self.profiles
        )
        return old, changed

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


def _put(mapping: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key``, or remove it when ``value`` is None."""
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value

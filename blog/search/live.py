"""The search engine kept at the content library's current version, for every process.

Each process (a gunicorn worker after the fork) syncs the engine to the index it serves
before it answers a search, incrementally: only the articles that changed. The engine's tables
live in the store's file: when that fails, search is unavailable (pages are not), and the
next search syncs again from nothing, into the file as it is by then.
"""

from __future__ import annotations

import sqlite3
import threading

from blog.content.library import Library
from blog.search.engine import Results, SearchIndex


class SearchUnavailable(Exception):
    """The store under the search index failed; pages are still served."""


class LiveSearch:
    """The app's search engine, kept at the library's current content version."""

    def __init__(self, engine: SearchIndex, library: Library) -> None:
        self.engine = engine
        self.library = library
        self._version: str | None = None
        self._lock = threading.Lock()

    def current(self) -> SearchIndex:
        """The engine, synced first if the content changed (incrementally: only changed
        articles). Always to the library's newest index, so no sync ever goes backwards; a
        request has refreshed it already (``current_index``), this never does."""
        if self._version != self.library.current.version:
            with self._lock:
                index = self.library.current
                if self._version != index.version:
                    self.engine.sync(index.articles)
                    self._version = index.version
        return self.engine

    def progress(self) -> int:
        """How many published articles are not searchable yet (0: search is complete);
        synced first. ``sqlite3.Error`` when the store fails."""
        try:
            return self.current().missing
        except sqlite3.Error as e:
            self._failed(e)
            raise

    def search(self, query: str, limit: int, offset: int) -> tuple[Results, int]:
        """(a page of results, how many articles are not searchable yet), the engine synced
        first. After a store error it starts again from nothing (the file may be a new one)
        and tries once more, then raises ``SearchUnavailable``."""
        try:
            return self._search(query, limit, offset)
        except sqlite3.Error as e:
            self._failed(e)
        try:
            return self._search(query, limit, offset)
        except sqlite3.Error as e:
            self._failed(e)
            raise SearchUnavailable(str(e)) from e

    def _search(self, query: str, limit: int, offset: int) -> tuple[Results, int]:
        engine = self.current()
        return engine.search(query, limit, offset), engine.missing

    def _failed(self, error: sqlite3.Error) -> None:
        self.library.writes.failed(error)  # logged once, with the pages' own failures
        with self._lock:
            self.engine.reset()
            self._version = None

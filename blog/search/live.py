"""The search engine kept at the content library's current version, for every process.

Each process (a gunicorn worker after the fork) syncs the engine to the index it serves
before it answers a search, incrementally: only the articles that changed.
"""

from __future__ import annotations

import threading

from blog.content.library import Library
from blog.search.engine import SearchIndex


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

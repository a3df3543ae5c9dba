"""The library's writes to the on-disk store, batched: one transaction per thousand rows
instead of one per file, which is what lets a first start read a big folder quickly."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from blog.content.reading import Entry
from blog.content.store import BATCH, Parsed, Parts, Store


class StoreWrites:
    """Texts and entries waiting to be written, and the writing."""

    def __init__(self, store: Store, report: Callable[[str, str], None]) -> None:
        self.store = store
        self._report = report
        self._texts: list[tuple[str, Parts]] = []  # texts the store does not have yet
        self._entries: dict[str, Entry | None] = {}  # entries to remember (None: forget)

    def text(self, source_hash: str, parts: Parts) -> None:
        """Queue a version's text."""
        self._texts.append((source_hash, parts))

    def entry(self, rel: str, entry: Entry | None) -> None:
        """Queue what to remember of a file (None: forget it); writes once a batch is full."""
        self._entries[rel] = entry
        if len(self._entries) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write what is queued: texts first, so that no index that needs one is swapped in
        before it is there; then the entries, for the next start."""
        if not (self._texts or self._entries):
            return
        try:
            self.store.put(self._texts)
            kept = ((rel, e) for rel, e in self._entries.items() if e and e.article)
            self.store.remember(_remembered(rel, e) for rel, e in kept)
            self.store.forget(rel for rel, e in self._entries.items() if not e or not e.article)
        except sqlite3.Error as e:  # pages still render: a missing text is read from its file
            self._report(f"store:{e}", f"store {self.store.path} not written: {e}")
        self._texts, self._entries = [], {}


def _remembered(rel: str, entry: Entry) -> Parsed:
    """What the store keeps of an entry. A broken file's last good article is kept with no
    stamp: the next start reads the file again, yet still has that version to serve."""
    assert entry.article is not None
    if entry.error is None:
        return rel, entry.stamp, entry.source_hash, entry.article
    return rel, None, entry.article.source_hash, entry.article

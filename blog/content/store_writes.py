"""The library's writes to the on-disk store, batched: one transaction per thousand rows
instead of one per file, which is what lets a first start read a big folder quickly.

A store that fails (a full disk, its file deleted or damaged) must not cost a reader any text:
texts it did not take stay here, in memory, for pages to read and for the next write to
retry, and the failure is logged once, its end once too.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import OrderedDict

from blog.content.reading import Entry
from blog.content.reports import Reports
from blog.content.store import BATCH, Parsed, Parts, Store

log = logging.getLogger(__name__)

# Texts kept in memory while the store refuses them (about 5 kB each). Past this, the oldest
# go: a page then reads its file again, which still holds that version unless it changed.
KEEP_UNSTORED = 5000
FAILING = "store"  # the key of the store's failure, whichever part meets it (``Reports``)


class StoreWrites:
    """Texts and entries waiting to be written, and the writing."""

    def __init__(self, store: Store, reports: Reports) -> None:
        self.store = store
        self._reports = reports
        # Texts the store does not have yet, by content hash; pages read them from here.
        self._texts: OrderedDict[str, Parts] = OrderedDict()
        self._entries: dict[str, Entry | None] = {}  # entries to remember (None: forget)
        self._lock = threading.Lock()  # for the texts: pages read them, and store them
        self.failing = False

    def text(self, source_hash: str, parts: Parts) -> None:
        """Queue a version's text."""
        with self._lock:
            self._texts[source_hash] = parts
            while len(self._texts) > KEEP_UNSTORED:
                self._texts.popitem(last=False)

    def unstored(self, source_hash: str) -> Parts | None:
        """The text of a version the store has not taken yet, or None."""
        with self._lock:
            return self._texts.get(source_hash)

    def store_text(self, source_hash: str, parts: Parts) -> None:
        """Write one text now (a page read it from its file); kept here if that fails."""
        try:
            self.store.put([(source_hash, parts)])
        except sqlite3.Error as e:
            self.failed(e)
            self.text(source_hash, parts)
        else:
            self.worked()

    def entry(self, rel: str, entry: Entry | None) -> None:
        """Queue what to remember of a file (None: forget it); writes once a batch is full
        (not while the store fails: the next refresh tries again)."""
        self._entries[rel] = entry
        if len(self._entries) >= BATCH and not self.failing:
            self.flush()

    def flush(self) -> None:
        """Write what is queued: texts first, so that no index that needs one is swapped in
        before it is there; then the entries, for the next start. What the store refuses
        stays queued for the next flush."""
        with self._lock:
            texts = list(self._texts.items())
        if not (texts or self._entries):
            if self.failing:  # nothing to write: does a write transaction work again?
                try:
                    with self.store.transaction():
                        pass
                except sqlite3.Error:
                    return
                self.worked()
            return
        try:
            self.store.put(texts)
            with self._lock:
                for source_hash, parts in texts:
                    if self._texts.get(source_hash) is parts:
                        del self._texts[source_hash]
            kept = ((rel, e) for rel, e in self._entries.items() if e and e.article)
            self.store.remember(_remembered(rel, e) for rel, e in kept)
            self.store.forget(rel for rel, e in self._entries.items() if not e or not e.article)
        except sqlite3.Error as e:  # pages still render: from memory, or from their files
            self.failed(e)
            return
        self._entries = {}
        self.worked()

    def failed(self, error: sqlite3.Error) -> None:
        """The store refused a read or a write: logged once until it works again."""
        self.failing = True
        self._reports.report(
            FAILING,
            f"store {self.store.path} failing ({error}); "
            "pages are served from memory and the files, search is unavailable",
        )

    def worked(self) -> None:
        """The store took a write: the end of a failure is logged once."""
        if self.failing:
            self.failing = False
            if self._reports.settled(FAILING):
                log.warning("content: store %s works again", self.store.path)


def _remembered(rel: str, entry: Entry) -> Parsed:
    """What the store keeps of an entry. A broken file's last good article is kept with no
    stamp: the next start reads the file again, yet still has that version to serve."""
    assert entry.article is not None
    if entry.error is None:
        return rel, entry.stamp, entry.source_hash, entry.article
    return rel, None, entry.article.source_hash, entry.article

"""The content library: the articles on disk, kept fresh, indexed in memory.

Requests ask for ``library.index()``. At most once per check interval one request asks the
watch which files changed, reads only those again, and swaps in a new immutable ``Index``;
every other request just reads the current one, taking no lock. A file that breaks keeps its
last good article; the error is logged once, with file, line and field.

The work is done by parts that each own one thing: ``ProcessWatch`` (which files changed,
in whichever process asks), ``FileReader`` (a file → its entry), ``StoreWrites`` (batched
writes to the on-disk store), ``Catalog`` (the index, its rebuilds and git's commit times),
``Texts`` (an article's Markdown, back from the store), ``Reports`` (each problem logged
once) and ``ProfileShelf`` (the authors' profiles in ``authors/``, which are not articles).
The library holds the entries and decides when each part runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import sqlite3
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from multiprocessing.connection import Connection
from pathlib import Path

from blog.content import bulk, git, snapshot
from blog.content.catalog import Catalog
from blog.content.entries import Broken, Files
from blog.content.files import FolderUnreadable, Stamp, is_article_path, is_profile_path, walk
from blog.content.flags import Windows
from blog.content.index import Index, build_index
from blog.content.models import Article
from blog.content.profile_shelf import ProfileEntry, ProfileShelf
from blog.content.reading import Entry, FileReader
from blog.content.records import Records
from blog.content.reports import Reports
from blog.content.store import Parts, Store
from blog.content.store_writes import StoreWrites
from blog.content.tables import KeyTable
from blog.content.texts import Texts
from blog.content.watch import ProcessWatch

__all__ = ["Entry", "Library", "utc_now"]

log = logging.getLogger(__name__)

SNAPSHOT_AFTER = 256  # files read at a start beyond the kept state: keep a new one

#: Called after every swap with the index replaced and the paths whose article changed.
Listener = Callable[[Index, set[str]], None]


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Schedule:
    """When requests look for changes themselves: once an interval, or once every two when
    a thread of the process does it (``refresher.py``) and they only cover for it."""

    interval: float
    checked_at: float = -float("inf")
    background: bool = False

    def due(self) -> bool:
        interval = self.interval * (2 if self.background else 1)
        return time.monotonic() - self.checked_at >= interval


class Library:
    """Articles from one content folder, with a fresh immutable index for every change."""

    def __init__(
        self,
        root: Path,
        *,
        timezone: dt.tzinfo,
        check_interval: float,
        max_bytes: int,
        article_path: Callable[[str], str],
        windows: Windows,
        clock: Callable[[], dt.datetime] = utc_now,
        store: Store | None = None,
    ) -> None:
        self.root = root
        self.clock = clock
        self.schedule = Schedule(check_interval)
        self.reports = Reports()
        self.reader = FileReader(root, timezone, max_bytes)
        store = store or Store.temporary()
        store.add_schema(snapshot.SCHEMA)
        self.writes = StoreWrites(store, self.reports)
        self.records = Records()
        self.files = Files(self.records)  # every file seen: its record and stamp, or its error
        # The clock through self: tests set it after the library is made.
        self.catalog = Catalog(lambda: self.clock(), article_path, windows, self.records)
        self.texts = Texts(self.writes, root, timezone, self.reports.report)
        self.profile_shelf = ProfileShelf(root, max_bytes, self.reports.report)
        self.listeners: list[Listener] = []
        self._watch = ProcessWatch(root)
        self._snapshot_key = snapshot.settings_key(windows, article_path)
        self._loaded = False
        self._lock = threading.Lock()

    def index(self) -> Index:
        """The current index; refreshed first if the check interval has passed."""
        if self.schedule.due() or self._change_due(self.catalog.index):
            if self._lock.acquire(blocking=False):
                try:
                    self._refresh()
                finally:
                    self._lock.release()
        return self.catalog.index

    @property
    def store(self) -> Store:
        """The on-disk store the library reads from and writes to."""
        return self.writes.store

    @property
    def check_interval(self) -> float:
        """Seconds between looks for changed files (0: on every request)."""
        return self.schedule.interval

    @property
    def windows(self) -> Windows:
        """How long the front page's flags last."""
        return self.catalog.index.windows

    @property
    def timezone(self) -> dt.tzinfo:
        """The site's time zone, for dates written without one."""
        return self.reader.timezone

    @property
    def current(self) -> Index:
        """The index as it is, without looking for changes."""
        return self.catalog.index

    def load(self) -> Index:
        """Read the whole folder now (at start-up, before any request): the state the store
        kept, if any (``snapshot.py``), then only the files changed since."""
        with self._lock:
            if git.is_checkout(self.root):
                self.catalog.commits = git.CommitTimes(self.root)
            # A second load (a test setting the clock) keeps what the first one read.
            first, self._loaded = not self._loaded, True
            restored = self._restore() if first else True
            recalled = self._recall() if first else 0
            unread: list[str] | None = None  # read in bulk just now: only these are left
            if not restored:
                unread = self._read_in_child()
                restored = unread is not None and self._restore()
                unread = unread if restored else None
            if not restored and not self._read_in_bulk():
                self.catalog.mark_all(set(self.files.paths()))
            read = self._scan() if unread is None else self._read_left(unread)
            changed = self._rebuild()  # commit times too: a folder that became a checkout
            if not restored or max(recalled + read, changed) >= SNAPSHOT_AFTER:
                self.save()
            self.schedule.checked_at = time.monotonic()  # this was the look for changes
        return self.catalog.index

    def save(self) -> None:
        """Keep the library's state in the store for the next start, and forget the texts
        no file uses any more (housekeeping: a failing store skips both)."""
        try:
            snapshot.save(self.store, self.files, self.catalog.index, self._snapshot_key)
            self.store.prune(self.records.source_hash(rid) for rid in self.files.table.ids)
        except sqlite3.Error as e:  # the next start reads the folder again
            self.writes.failed(e)

    def _restore(self) -> bool:
        """Take the state the store kept, if it is good; True when it was."""
        saved = snapshot.load(self.store, self._snapshot_key, self.catalog.index.article_path)
        if saved is None:
            return False
        self.records = saved.files.records
        self.files = saved.files
        self.catalog.adopt(saved.index)
        return True

    def _read_in_child(self) -> list[str] | None:
        """A first start over many files, in a child process that reads them in bulk and
        keeps the result in the store: this process then reads it back in one piece, as on
        any restart, and keeps none of the bulk read's garbage (the workers gunicorn forks
        from it would share it). The files the child found broken, for this process to read
        again and report (every other file was just read, each with the stamp it had then);
        None when there are too few files, or the child failed."""
        if not self._bulk_due():
            return None
        started = time.perf_counter()
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)
        child = context.Process(target=self._bulk_child, args=(sending,), name="content-first-read")
        child.start()
        sending.close()
        try:
            unread: list[str] | None = receiving.recv()
        except (EOFError, OSError):
            unread = None  # the child died before it was done
        receiving.close()
        child.join()
        if child.exitcode != 0 or unread is None:
            log.warning("content: first read in a child process failed; reading here")
            return None
        log.info(
            "content: first start: %s read in %.1f s on %d cores; article texts and the "
            "search index are filled in behind",
            self.root,
            time.perf_counter() - started,
            bulk.workers(),
        )
        return unread

    def _bulk_child(self, sending: Connection) -> None:
        """The child's work: read in bulk, keep it in the store, and send the parent the
        files it must read again itself (broken ones: their errors are reported there)."""
        self.reports.report = lambda *args, **kwargs: None  # type: ignore[method-assign]
        if not self._read_in_bulk():
            raise SystemExit(1)
        try:
            snapshot.save(self.store, self.files, self.catalog.index, self._snapshot_key)
        except sqlite3.Error as e:
            raise SystemExit(1) from e
        sending.send(list(self.files.broken))
        sending.close()

    def _read_left(self, unread: list[str]) -> int:
        """After a bulk read: the files it left to this process, and the authors' profiles
        (no scan: every other file was read a moment ago, with the stamp it had when read;
        one changed since is found at the next look, as any edit is). How many changed."""
        changed = sum(self._load(rel) for rel in unread)
        changed += self._profiles_changed(self.profile_shelf.scan())
        self.writes.flush()
        return changed

    def _bulk_due(self) -> bool:
        """True when this start must read enough files for a pool to pay for itself."""
        if len(self.files) or self.files.broken:
            return False
        try:
            return sum(1 for _ in islice(self._walk(), bulk.BULK_FROM)) >= bulk.BULK_FROM
        except FolderUnreadable:
            return False

    def _read_in_bulk(self) -> bool:
        """A first start over many files: read them all on every core (``bulk.py``) and
        index them at once; False when there are too few for that to pay."""
        try:
            walk = self._walk()
            head = [rel for rel, _ in islice(walk, bulk.BULK_FROM)]
        except FolderUnreadable:
            return False
        if len(head) < bulk.BULK_FROM or len(self.files) or self.files.broken:
            return False
        # The rest of the listing is taken as the pool reads: the two overlap.
        listing = chain(head, (rel for rel, _ in walk))
        committed = None
        if self.catalog.commits is not None:
            self.catalog.commits.update()
            committed = self.catalog.commits.times
        records, files = self.records, self.files
        hashes = array("Q")  # by record: its file's path hash
        for chunk in bulk.read_all(self.reader, listing, committed):
            numbers = records.extend(chunk.names, chunk.segment)
            for problem in chunk.problems:
                self.reports.report(*problem)
            files.extend_stamps(numbers, chunk.mtime, chunk.size, chunk.inode)
            hashes.extend(chunk.hashes)
            for read in chunk.broken:
                files.broken[read.rel] = Broken(read.stamp, read.source_hash, read.error)
        records.freeze()
        order = sorted(range(len(hashes)), key=hashes.__getitem__)
        files.table = KeyTable(
            records, "path", array("Q", (hashes[r] for r in order)), array("I", order)
        )
        index = self.catalog.index
        self.catalog.adopt(
            build_index(
                files.articles(),
                self.clock(),
                files.errors(),
                article_path=index.article_path,
                windows=index.windows,
            )
        )
        return True

    def _recall(self) -> int:
        """The files read since the snapshot, each as last remembered (the scan then reads
        only those changed since); how many."""
        count = 0
        try:
            for rel, stamp, source_hash, article in self.store.recall():
                self.files.put(rel, Entry(Stamp(*stamp) if stamp else None, source_hash, article))
                self.catalog.mark(rel)
                count += 1
        except sqlite3.Error as e:  # the scan reads the files not recalled
            self.writes.failed(e)
        return count

    def refresh(self) -> Index:
        """Look for changes now, whatever the interval (after a ``git pull``, say)."""
        with self._lock:
            self._refresh()
        return self.catalog.index

    def wait_for_change(self, timeout: float) -> None:
        """Return once this process's watch has news, or after ``timeout`` seconds."""
        self._watch.wait(timeout)

    def markdown(self, article: Article) -> str:
        """The article's full Markdown source, from the store."""
        return self.texts.markdown(article)

    def parts(self, article: Article) -> Parts:
        """(field, Markdown) of the article's sections and body, from the store."""
        return self.texts.parts(article)

    def stored_parts(self, article: Article) -> Parts:
        """The article's text if the store has it, without reading its file: for background
        work over every article (behind a first start, texts arrive as search is built);
        ``LookupError`` when it has not."""
        parts = self.texts.stored(article)
        if parts is None:
            raise LookupError(f"{article.path}: text not stored yet")
        return parts

    def text_lost(self, article: Article) -> bool:
        """True when this version's text was found nowhere (its page must not be kept)."""
        return self.texts.lost(article)

    @property
    def entries(self) -> dict[str, Entry]:
        """Every file seen, good or broken (a copy: for the editors' commands)."""
        with self._lock:
            return self.files.entries()

    def entries_of(self, paths: Iterable[str]) -> dict[str, Entry]:
        """The entries of these files, those seen (a few, without a copy of every entry)."""
        with self._lock:
            found = {rel: self.files.get(rel) for rel in paths}
        return {rel: entry for rel, entry in found.items() if entry is not None}

    @property
    def profile_entries(self) -> dict[str, ProfileEntry]:
        """Every author profile file seen, good or broken (for the check)."""
        with self._lock:
            return self.profile_shelf.entries

    def elsewhere(self, root: Path) -> Library:
        """A library of another folder with this one's settings (files an editor checks)."""
        return Library(
            root,
            timezone=self.timezone,
            check_interval=self.check_interval,
            max_bytes=self.reader.max_bytes,
            article_path=self.catalog.index.article_path,
            windows=self.windows,
            clock=self.clock,
        )

    def _change_due(self, current: Index) -> bool:
        """True once a scheduled article's time, or the end of a front-page flag, has come."""
        return current.next_change is not None and self.clock() >= current.next_change

    def _refresh(self) -> None:
        paths = self._watch.changes()
        changed = self._scan() if paths is None else self._update(paths)
        self.writes.flush()
        self.schedule.checked_at = time.monotonic()
        if changed or self._change_due(self.catalog.index):
            self._rebuild()

    def _scan(self) -> int:
        """Compare every file's stamp with what we hold; read the ones that differ. How many
        files were read or dropped (0: nothing changed)."""
        files = self.files
        seen = bytearray(len(self.records))  # by record: its file is still there
        seen_paths: set[str] = set()  # broken files, and files read again
        changed = 0
        try:
            for rel, st in files.changed_among(self._walk(), seen):  # the usual: none
                rid = files.rid(rel)
                if rid is not None:
                    seen[rid] = 1
                if rel in files.broken:
                    seen_paths.add(rel)
                if (rid is None and rel not in files.broken) or files.stamp(rel) != Stamp.of(st):
                    changed += self._load(rel)
                    seen_paths.add(rel)
        except FolderUnreadable:
            # Moved away, unmounted, unreadable: not every article deleted. Keep serving
            # what we have until the folder is back.
            self.writes.flush()
            return changed
        if self.reports.settled("<root>"):
            log.warning("content: folder %s readable again", self.root)
        changed += self._profiles_changed(self.profile_shelf.scan())
        gone = [rel for rel in files.broken if rel not in seen_paths]
        for rid in files.table.ids:
            if rid < len(seen) and seen[rid]:
                continue
            rel = files.records.path(rid)
            if rel not in seen_paths:
                gone.append(rel)
        for rel in gone:
            changed += self._drop(rel)
        self.writes.flush()
        return changed

    def _update(self, paths: set[str]) -> bool:
        """Look again at the files the watch named, and only those."""
        profiles = {rel for rel in paths if is_profile_path(rel)}
        changed = self._profiles_changed(self.profile_shelf.update(profiles)) if profiles else False
        for rel in paths - profiles:
            if is_article_path(rel):
                changed |= self._load(rel)
        return changed

    def _profiles_changed(self, changed: bool) -> bool:
        """When the profiles changed, the next index holds the new ones."""
        if changed:
            self.catalog.profiles = self.profile_shelf.profiles
        return changed

    def _walk(self) -> Iterator[tuple[str, os.stat_result]]:
        """Every article file under the root, as (relative path, stat)."""
        return walk(self.root, lambda problem: self.reports.report("<root>", problem))

    def _load(self, rel: str) -> bool:
        """(Re)read one file; True when what readers see may have changed."""
        reading = self.reader.read(rel, self.files.get(rel))
        for problem in reading.problems:
            self.reports.report(*problem)
        if reading.keep:
            return False
        if reading.entry is None:
            return self._drop(rel)
        if reading.text is not None:
            self.writes.text(reading.entry.source_hash, reading.text)
        self.files.put(rel, reading.entry)
        self.writes.entry(rel, reading.entry)
        self.catalog.mark(rel)
        return reading.changed

    def _drop(self, rel: str) -> bool:
        """Forget a file that is gone; True if it was known."""
        self.writes.entry(rel, None)
        self.catalog.mark(rel)
        return self.files.drop(rel)

    def _rebuild(self) -> int:
        """Swap in the index for the files changed since the last one; how many articles
        changed."""
        old, changed = self.catalog.rebuild(self.files)
        for conflict in self.catalog.index.conflicts:
            self.reports.report(f"conflict:{conflict}", f"conflict: {conflict}")
        for listener in self.listeners:
            listener(old, changed)
        return len(changed)

"""The content library: the articles on disk, kept fresh, indexed in memory.

Requests ask for ``library.index()``. At most once per ``CONTENT_CHECK_INTERVAL`` one request
asks the watch which files changed, parses only those again, and swaps in a new immutable
``Index``; every other request just reads the current one, taking no lock. A file that breaks
keeps its last good article; the error is logged once, with file, line and field.

Memory holds each article ``without_text()``; the text goes to the on-disk ``Store`` as the
file is parsed and comes back through ``markdown()`` when a page is rendered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from markupsafe import Markup

from blog.content import git
from blog.content.files import FolderUnreadable, Stamp, inside, is_article_name, walk
from blog.content.index import Index, build_index
from blog.content.index_update import update_index
from blog.content.models import Article, ArticleError, parse_article
from blog.content.store import BATCH, Parsed, Parts, Store
from blog.content.texts import Texts
from blog.content.watch import Watch
from blog.markup.render import Renderer

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Entry:
    """One file as last seen: its stamp, its content hash, its last good article, its error."""

    stamp: Stamp | None  # None: read the file again (a last good version from the store)
    source_hash: str
    article: Article | None
    error: ArticleError | None = None


class Library:
    """Articles from one content folder, with a fresh immutable index for every change."""

    def __init__(
        self,
        root: Path,
        *,
        timezone: dt.tzinfo,
        check_interval: float,
        max_bytes: int,
        renderer: Renderer,
        clock: Callable[[], dt.datetime] = utc_now,
        store: Store | None = None,
    ) -> None:
        self.root = root
        self.timezone = timezone
        self.check_interval = check_interval
        self.max_bytes = max_bytes
        self.renderer = renderer
        self.clock = clock
        self.store = store or Store.temporary()
        self._unstored: list[tuple[str, Parts]] = []  # texts the store does not have yet
        self._unsaved: dict[str, Entry | None] = {}  # entries to remember (None: forget)
        self._entries: dict[str, Entry] = {}
        # What the index is built from, kept in step with the entries as files change.
        self._files: dict[str, Article] = {}
        self._errors: dict[str, ArticleError] = {}
        self._changed: set[str] = set()  # files whose entry changed since the last index
        self._lock = threading.Lock()
        self._watch: Watch | None = None
        self._checked_at = -float("inf")
        self.texts = Texts(self.store, renderer, root, timezone, self._report)
        self._reported: set[str] = set()
        self._commits: git.CommitTimes | None = None
        self._index = build_index({}, clock())
        # Set by refresher.py when a thread of its own refreshes (on each change, at least
        # once an interval): requests leave the work to it unless it is an interval behind.
        self.refreshed_in_background = False

    def index(self) -> Index:
        """The current index; refreshed first if the check interval has passed."""
        current = self._index
        interval = self.check_interval * (2 if self.refreshed_in_background else 1)
        due = time.monotonic() - self._checked_at >= interval
        if due or self._publication_due(current):
            if self._lock.acquire(blocking=False):
                try:
                    self._refresh()
                finally:
                    self._lock.release()
        return self._index

    @property
    def current(self) -> Index:
        """The index as it is, without looking for changes."""
        return self._index

    def load(self) -> Index:
        """Read the whole folder now (at start-up, before any request)."""
        with self._lock:
            self._commits = git.CommitTimes(self.root) if git.is_checkout(self.root) else None
            for rel, stamp, source_hash, article in self.store.recall():
                # Each file as last seen; the scan then reads only those that changed since.
                self._entries[rel] = Entry(Stamp(*stamp) if stamp else None, source_hash, article)
            self._changed |= self._entries.keys()
            self._scan()
            self._rebuild()
            self.store.prune(e.article.source_hash for e in self._entries.values() if e.article)
        return self._index

    def refresh(self) -> Index:
        """Look for changes now, whatever the interval (after a ``git pull``, say)."""
        with self._lock:
            self._refresh()
        return self._index

    def wait_for_change(self, timeout: float) -> None:
        """Return once this process's watch has news, or after ``timeout`` seconds (at once
        the kernel's events; when changes are found by scanning, the timeout)."""
        watch = self._watch
        if watch is None or watch.pid != os.getpid():
            time.sleep(timeout)
        else:
            watch.wait(timeout)

    def html(self, article: Article) -> Markup:
        """The article's sanitized HTML (rendered once per version while in use)."""
        return self.texts.html(article)

    def markdown(self, article: Article) -> str:
        """The article's full Markdown source, from the store."""
        return self.texts.markdown(article)

    def parts(self, article: Article) -> Parts:
        """(field, Markdown) of the article's sections and body, from the store."""
        return self.texts.parts(article)

    @property
    def entries(self) -> dict[str, Entry]:
        """Every file seen, good or broken (a copy: for the editors' commands)."""
        with self._lock:
            return dict(self._entries)

    def _publication_due(self, current: Index) -> bool:
        return current.next_publication is not None and self.clock() >= current.next_publication

    def _refresh(self) -> None:
        if self._watch is None or self._watch.pid != os.getpid() or not self._watch.active:
            # A new process (a forked worker) or no kernel watch yet: watch first, then
            # scan, so no change can fall between the two.
            if self._watch is not None and self._watch.pid == os.getpid():
                self._watch.close()
            self._watch = Watch(self.root)
            changed = self._scan()
        else:
            paths = self._watch.changes()
            changed = self._scan() if paths is None else self._update(paths)
        self._persist()
        self._checked_at = time.monotonic()
        if changed or self._publication_due(self._index):
            self._rebuild()

    def _scan(self) -> bool:
        """Compare every file's stamp with what we hold; parse the ones that differ."""
        seen: set[str] = set()
        changed = False
        try:
            for rel, st in self._walk():
                seen.add(rel)
                entry = self._entries.get(rel)
                if entry is None or entry.stamp != Stamp.of(st):
                    changed |= self._load(rel)
        except FolderUnreadable:
            # Moved away, unmounted, unreadable: not every article deleted. Keep serving
            # what we have until the folder is back.
            self._persist()
            return changed
        if "<root>" in self._reported:
            self._reported.discard("<root>")
            log.warning("content: folder %s readable again", self.root)
        for gone in set(self._entries) - seen:
            self._drop(gone)
            changed = True
        self._persist()
        return changed

    def _update(self, paths: set[str]) -> bool:
        """Look again at the files the watch named, and only those."""
        changed = False
        for rel in paths:
            if is_article_name(os.path.basename(rel)):
                changed |= self._load(rel)
        return changed

    def _walk(self) -> Iterator[tuple[str, os.stat_result]]:
        """Every article file under the root, as (relative path, stat)."""
        return walk(self.root, lambda problem: self._report("<root>", problem))

    def _load(self, rel: str) -> bool:
        """(Re)read one file; True when what readers see may have changed."""
        old = self._entries.get(rel)
        path = self.root / rel
        try:
            if path.is_symlink() and not inside(self.root, str(path)):
                raise FileNotFoundError(rel)
            st = path.stat()
            if st.st_size > self.max_bytes:
                raise ArticleError(
                    rel, 1, None, f"file is {st.st_size} bytes, over the {self.max_bytes} limit"
                )
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            if not self.root.is_dir():
                return False  # the whole folder went: keep the last good versions
            return self._drop(rel)
        except ArticleError as e:
            return self._keep_last_good(rel, old, Stamp.of(st), "size:" + str(st.st_size), e)
        except OSError as e:
            self._report(rel, f"{rel}:1: unreadable: {e}")
            return False
        source_hash = hashlib.sha256(data).hexdigest()
        if old is not None and old.source_hash == source_hash:
            self._set(rel, Entry(Stamp.of(st), source_hash, old.article, old.error))
            return False
        try:
            article = parse_article(rel, data, source_hash, self.timezone)
        except ArticleError as e:
            return self._keep_last_good(rel, old, Stamp.of(st), source_hash, e)
        self._set(rel, Entry(Stamp.of(st), source_hash, self._light(article)))
        for problem in article.problems:
            self._report(
                f"{rel}:{source_hash}:{problem.line}:{problem.field}",
                f"{rel}:{problem.line}: {problem.field}: {problem.message}",
                level=logging.ERROR if problem.severity == "error" else logging.WARNING,
            )
        return True

    def _set(self, rel: str, entry: Entry) -> None:
        self._entries[rel] = self._unsaved[rel] = entry
        self._changed.add(rel)
        if len(self._unsaved) >= BATCH:
            self._persist()

    def _drop(self, rel: str) -> bool:
        """Forget a file that is gone; True if it was known."""
        self._unsaved[rel] = None
        self._changed.add(rel)
        return self._entries.pop(rel, None) is not None

    def _light(self, article: Article) -> Article:
        """Queue the article's text for the store; keep only the rest in memory."""
        self._unstored.append((article.source_hash, article.parts))
        return article.without_text()

    def _persist(self) -> None:
        """Write what changed to the store: texts first, so that no index that needs one
        is swapped in before it is there; then the entries, for the next start."""
        if not (self._unstored or self._unsaved):
            return
        try:
            self.store.put(self._unstored)
            kept = ((rel, e) for rel, e in self._unsaved.items() if e and e.article)
            self.store.remember(_remembered(rel, e) for rel, e in kept)
            self.store.forget(rel for rel, e in self._unsaved.items() if not e or not e.article)
        except sqlite3.Error as e:  # pages still render: a missing text is read from its file
            self._report(f"store:{e}", f"store {self.store.path} not written: {e}")
        self._unstored, self._unsaved = [], {}

    def _keep_last_good(
        self, rel: str, old: Entry | None, stamp: Stamp, source_hash: str, error: ArticleError
    ) -> bool:
        last_good = old.article if old else None
        self._set(rel, Entry(stamp, source_hash, last_good, error))
        kept = "keeping its last good version" if last_good else "not published"
        self._report(f"{rel}:{source_hash}", f"{error} ({kept})")
        return True

    def _report(self, key: str, message: str, level: int = logging.ERROR) -> None:
        """Log a content problem once, not on every request that meets it."""
        if key not in self._reported:
            self._reported.add(key)
            log.log(level, "content: %s", message)

    def _apply_commit_times(self, paths: set[str]) -> set[str]:
        """Give the articles of ``paths``, and of files new commits touched, the time of the
        last commit on their file (one incremental ``git log``); the paths that changed."""
        if self._commits is None:
            return set()
        touched = self._commits.update()
        times = self._commits.times or {}
        updated = set()
        for rel in self._entries.keys() if touched is None else paths | touched:
            entry = self._entries.get(rel)
            if entry and entry.article and entry.article.committed != times.get(rel):
                article = replace(entry.article, committed=times.get(rel))
                self._entries[rel] = replace(entry, article=article)
                updated.add(rel)
        return updated

    def _rebuild(self) -> None:
        """Swap in the index for the files changed since the last one: work in proportion
        to the changes, not to the folder (``update_index``)."""
        changed = self._changed | self._apply_commit_times(self._changed)
        self._changed = set()
        old = self._index
        for rel in changed:
            entry = self._entries.get(rel)
            _put(self._files, rel, entry.article if entry else None)
            _put(self._errors, rel, entry.error if entry else None)
        # An unchanged file keeps its Article object: identity finds what changed.
        changed = {p for p in changed if self._files.get(p) is not old.files.get(p)}
        index = update_index(old, dict(self._files), changed, self.clock(), self._errors)
        for conflict in index.conflicts:
            self._report(f"conflict:{conflict}", f"conflict: {conflict}")
        for path in changed:  # forget the HTML of versions no longer served
            if path in old.files:
                self.texts.forget(old.files[path].source_hash)
        self._index = index


def _put(mapping: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key``, or remove it when ``value`` is None."""
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value


def _remembered(rel: str, entry: Entry) -> Parsed:
    """What the store keeps of an entry. A broken file's last good article is kept with no
    stamp: the next start reads the file again, yet still has that version to serve."""
    assert entry.article is not None
    if entry.error is None:
        return rel, entry.stamp, entry.source_hash, entry.article
    return rel, None, entry.article.source_hash, entry.article

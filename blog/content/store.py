"""What the site keeps on disk between requests and restarts: one SQLite file per content folder.

- **Texts.** Memory holds what listings need (headline, dates, tags, image); the Markdown of
  every good version of every file, half a gigabyte at 100,000 articles, stays here, found by
  content hash, and is read when a page is rendered (the page cache then keeps the page). A
  version stays readable after its file breaks or changes: readers keep the last good one.
- **Parsed articles.** Each file's stamp (mtime, size, inode), content hash and parsed article,
  kept up to date as files change, so a restart reads only the files that changed since.
- **The search index** keeps its tables in the same file (``blog/search/engine.py``).

The file is shared by the processes of a host (write-ahead log: readers never wait for the
writer). It lives in a private folder (mode 0700, ours): parsed articles are pickles. It is
named after the content folder and the parser's version, so another parser or time zone
never reads it. Each process and thread opens its own connection; none crosses a fork.

The disk under it can fail while the site runs: the file deleted, replaced, overwritten,
the disk full. Every error makes each thread open its connection again on its next use (a
connection to a deleted file would never see the new one), and a damaged file is started
again; callers keep their texts in memory or read them from their files meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import sqlite3
import stat
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 2  # of the tables below
Parts = list[tuple[str, str]]  # (field, Markdown): sections mk1…mk5 with text, then "body"
StampKey = tuple[int, int, int]  # (mtime_ns, size, inode)
Parsed = tuple[str, StampKey | None, str, Any]  # (path, stamp, content hash, article)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS texts "
    "(hash TEXT PRIMARY KEY, parts TEXT NOT NULL, added INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS parsed (path TEXT PRIMARY KEY, mtime_ns INTEGER, "
    "size INTEGER, inode INTEGER, hash TEXT NOT NULL, article BLOB NOT NULL)",
)
_PARSER_FILES = ("models.py", "fields.py", "quirks.py")
_DAMAGED = ("SQLITE_NOTADB", "SQLITE_CORRUPT")  # a file to start again, not one to wait for
BATCH = 1000  # rows per write transaction
BUSY_TIMEOUT = 10.0  # seconds to wait for another process's write to finish
# Another process (a worker still running, an editor's `flask content check`) may hold a
# version this one no longer knows: an unused text is forgotten only once it is this old.
KEEP_UNUSED = 7 * 24 * 3600
KEEP_OLD_FILES = 24 * 3600  # a store of another parser version: a host may still run it


def default_folder() -> Path:
    return Path(tempfile.gettempdir()) / f"harbour-courier-{os.getuid()}"


class Store:
    """The SQLite file: texts by content hash, parsed articles by path, search tables."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._schema: list[str] = list(_SCHEMA)  # made again in a file started again
        self._generation = 0  # raised by an error: every thread then opens a new connection
        self._inode: int | None = None  # of the file the connections opened
        self.add_schema(_SCHEMA)

    @classmethod
    def temporary(cls) -> Store:
        """A store in a folder of its own, removed with the store (tests, ``off``)."""
        folder = tempfile.mkdtemp(prefix="courier-store-")
        store = cls(Path(folder) / "store.sqlite3")
        weakref.finalize(store, shutil.rmtree, folder, ignore_errors=True)
        return store

    @classmethod
    def in_folder(cls, folder: Path, content_root: Path, timezone: str) -> Store | None:
        """The store for this content folder, parser and time zone, kept in ``folder``;
        None when the folder cannot be made private or the file cannot be used."""
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as e:
            log.warning("store folder %s not created: %s", folder, e)
            return None
        if not _private(folder):
            log.warning("store folder %s is writable by others; not using it", folder)
            return None
        name = hashlib.sha256(str(content_root.resolve()).encode()).hexdigest()[:16]
        path = folder / f"{name}-{_version(timezone)}.sqlite3"
        for old in folder.glob(f"{name}-*.sqlite3*"):
            if not old.name.startswith(path.name) and _age(old) > KEEP_OLD_FILES:
                old.unlink(missing_ok=True)
        for attempt in (1, 2):
            try:
                return cls(path)
            except sqlite3.DatabaseError as e:
                if getattr(e, "sqlite_errorname", "") not in _DAMAGED or attempt == 2:
                    # Locked by another process, a full disk: never delete what may be
                    # fine; this start uses a temporary store instead.
                    log.warning("store %s unusable (%s); using a temporary one", path, e)
                    return None
                log.warning("store %s damaged (%s); starting it again", path, e)
                for damaged in folder.glob(f"{path.name}*"):
                    damaged.unlink(missing_ok=True)  # it only costs a full read
        return None

    def add_schema(self, statements: Sequence[str]) -> None:
        """Create these tables now, and again whenever the file is started again."""
        self._schema += [s for s in statements if s not in self._schema]
        with self.transaction() as db:
            for statement in statements:
                db.execute(statement)

    def connect(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use in each process and again after
        an error; ``sqlite3.Error`` when the file cannot be opened."""
        local = self._local
        if getattr(local, "pid", None) == os.getpid() and local.generation != self._generation:
            self.close()  # opened before an error: perhaps to a file no longer there
        if getattr(local, "pid", None) != os.getpid():
            # Inherited from the parent across a fork: never used, never closed here (closing
            # it could release the parent's locks); the child opens its own.
            generation = self._generation
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                if generation:  # after an error: the file may be a new, empty one
                    db.execute("BEGIN IMMEDIATE")
                    for statement in self._schema:
                        db.execute(statement)
                    db.execute("COMMIT")
                self._inode = _inode(self.path)
            except BaseException:
                db.close()
                raise
            local.db, local.pid, local.generation = db, os.getpid(), generation
        connection: sqlite3.Connection = local.db
        return connection

    def close(self) -> None:
        """Close this thread's connection (the master does, before gunicorn forks workers)."""
        local = self._local
        if getattr(local, "pid", None) == os.getpid():
            try:
                local.db.close()
            except sqlite3.Error:
                pass  # closed for an error already: nothing of ours is left open
            del local.db, local.pid, local.generation

    def failed(self, error: sqlite3.Error) -> None:
        """An operation failed: connections are opened again on their next use, and a
        damaged file (the one they opened, not a new one another process made) is deleted
        so that it starts again."""
        if getattr(error, "sqlite_errorname", "") in _DAMAGED and self._inode is not None:
            if _inode(self.path) == self._inode:
                log.warning("store %s damaged (%s); starting it again", self.path, error)
                for part in self.path.parent.glob(f"{self.path.name}*"):
                    try:
                        part.unlink()
                    except OSError:
                        pass  # a folder in its place: opening fails until it goes
        self._generation += 1

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """``with store.reading() as db:`` this thread's connection, for reads: an error
        makes the store open its connections again."""
        try:
            yield self.connect()
        except sqlite3.Error as e:
            self.failed(e)
            raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``with store.transaction() as db:`` one write transaction, taken at once."""
        with self.reading() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    try:
                        db.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass  # the error that brought us here is the one to raise
                raise
            db.execute("COMMIT")

    # Texts

    def put(self, items: Iterable[tuple[str, Parts]]) -> None:
        """Keep the texts of these versions (content hash, parts); known ones are skipped."""
        now = int(time.time())
        rows = ((h, json.dumps(parts, ensure_ascii=False), now) for h, parts in items)
        self._write_all("INSERT OR IGNORE INTO texts VALUES (?, ?, ?)", rows)

    def parts(self, source_hash: str) -> Parts | None:
        """The text of one version, or None when the store does not have it."""
        with self.reading() as db:
            row = db.execute("SELECT parts FROM texts WHERE hash = ?", (source_hash,)).fetchone()
        return [(key, text) for key, text in json.loads(row[0])] if row else None

    def prune(self, keep: Iterable[str], older_than: float = KEEP_UNUSED) -> int:
        """Forget texts not in ``keep`` stored over ``older_than`` seconds ago; how many."""
        with self.transaction() as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (hash TEXT PRIMARY KEY)")
            db.execute("DELETE FROM temp.keep")
            db.executemany("INSERT OR IGNORE INTO temp.keep VALUES (?)", ((h,) for h in keep))
            cursor = db.execute(
                "DELETE FROM texts WHERE added < ? AND hash NOT IN (SELECT hash FROM temp.keep)",
                (time.time() - older_than,),
            )
            db.execute("DELETE FROM temp.keep")
        return cursor.rowcount

    # Parsed articles

    def recall(self) -> Iterator[Parsed]:
        """Every file as last remembered, one row at a time (no copy of the whole set)."""
        with self.reading() as db:
            rows = db.execute("SELECT path, mtime_ns, size, inode, hash, article FROM parsed")
            for path, mtime_ns, size, inode, source_hash, blob in rows:
                try:
                    article = pickle.loads(blob)
                except Exception:  # any unpickling failure: the file is simply read again
                    continue
                stamp = None if mtime_ns is None else (mtime_ns, size, inode)
                yield path, stamp, source_hash, article

    def remember(self, items: Iterable[Parsed]) -> None:
        """Keep these files' parsed articles; a stamp of None makes the next start read
        the file again (a broken file's last good article is kept that way)."""
        rows = (
            (path, *(stamp or (None, None, None)), source_hash, pickle.dumps(article, 5))
            for path, stamp, source_hash, article in items
        )
        self._write_all("INSERT OR REPLACE INTO parsed VALUES (?, ?, ?, ?, ?, ?)", rows)

    def forget(self, paths: Iterable[str]) -> None:
        """Files that are gone, or that never parsed and have no last good version."""
        self._write_all("DELETE FROM parsed WHERE path = ?", ((p,) for p in paths))

    def _write_all(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self._write(statement, batch)
                batch = []
        if batch:
            self._write(statement, batch)

    def _write(self, statement: str, batch: list[Sequence[Any]]) -> None:
        with self.transaction() as db:
            db.executemany(statement, batch)


def _version(timezone: str) -> str:
    """Changes with the store's format, the parser's code and the time zone."""
    digest = hashlib.sha256(f"{FORMAT}\0{timezone}".encode())
    for name in _PARSER_FILES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def _private(folder: Path) -> bool:
    """True when the folder is ours and nobody else can write into it."""
    try:
        info = folder.stat()
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0

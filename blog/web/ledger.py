"""What the processes that purge share: who claimed each purge, and which paths show a key.

Every gunicorn worker (and every host) sees each change and works out the same keys with the
same versions. The first to claim a ``(key, version)`` purges it; the others leave it, unless
they saw the change later than the purge went out (``Purging``). Claims are kept where the
workers that should share them meet: a SQLite file beside the host's store, or the Redis
that several hosts share.

nginx's cache-purge module purges one URL at a time, so the paths whose pages showed each
key are noted as pages are rendered (``paths``), in the same places.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any, Protocol

CLAIM_SECONDS = 3600  # how long a claim is remembered: far longer than hosts lag each other

_LOCAL_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, OSError, ValueError)


def ledger_errors() -> tuple[type[Exception], ...]:
    """What a ledger may raise: Redis's errors too once its client is loaded (a
    ``RedisLedger`` loads it). A site without Redis never imports the client, a twentieth
    of a second of every start."""
    redis = sys.modules.get("redis.exceptions")
    if redis is None:
        return _LOCAL_ERRORS
    return (*_LOCAL_ERRORS, redis.RedisError)


class Ledger(Protocol):
    def claim(self, token: str, now: float) -> float | None:
        """None when ``token`` is ours to purge; else when another process claimed it."""

    def note(self, path: str, names: Iterable[str], now: float) -> None:
        """The page at ``path`` shows ``names``."""

    def paths(self, names: Collection[str]) -> set[str]:
        """The paths whose pages showed any of ``names``."""


class FileLedger:
    """A SQLite file shared by the workers of one host (in the store's folder)."""

    def __init__(self, path: Path, keep: float) -> None:
        self.path = path
        self.keep = keep  # seconds a path is remembered (shared caches keep pages as long)
        self._local = threading.local()
        self._pruned = 0.0

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")  # a lost claim costs one more purge
            db.execute("CREATE TABLE IF NOT EXISTS claims (token TEXT PRIMARY KEY, at REAL)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS paths "
                "(name TEXT, path TEXT, at REAL, PRIMARY KEY (name, path))"
            )
            self._local.db = db
        return db

    def claim(self, token: str, now: float) -> float | None:
        db = self._db()
        self._prune(db, now)
        if db.execute("INSERT OR IGNORE INTO claims VALUES (?, ?)", (token, now)).rowcount:
            return None
        row = db.execute("SELECT at FROM claims WHERE token = ?", (token,)).fetchone()
        return float(row[0]) if row else None

    def note(self, path: str, names: Iterable[str], now: float) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM paths WHERE path = ?", (path,))
            db.executemany(
                "INSERT OR REPLACE INTO paths VALUES (?, ?, ?)", ((n, path, now) for n in names)
            )
        except sqlite3.Error:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def paths(self, names: Collection[str]) -> set[str]:
        db = self._db()
        found: set[str] = set()
        names = list(names)
        for i in range(0, len(names), 500):  # SQLite's limit on a query's variables
            chunk = names[i : i + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT DISTINCT path FROM paths WHERE name IN ({marks})"
            found |= {row[0] for row in db.execute(query, chunk)}
        return found

    def _prune(self, db: sqlite3.Connection, now: float) -> None:
        if now - self._pruned < 60:
            return
        self._pruned = now
        db.execute("DELETE FROM claims WHERE at < ?", (now - CLAIM_SECONDS,))
        db.execute("DELETE FROM paths WHERE at < ?", (now - self.keep,))


class RedisLedger:
    """The Redis that several hosts share (``CACHE_REDIS_URL``)."""

    def __init__(self, client: Any, prefix: str, keep: float) -> None:
        self.client = client
        self.prefix = prefix
        self.keep = max(1, int(keep))

    def claim(self, token: str, now: float) -> float | None:
        name = f"{self.prefix}purge-claim:{token}"
        if self.client.set(name, repr(now), nx=True, ex=CLAIM_SECONDS):
            return None
        at = self.client.get(name)
        return float(at) if at is not None else None

    def note(self, path: str, names: Iterable[str], now: float) -> None:
        pipe = self.client.pipeline(transaction=False)
        for name in names:
            pipe.sadd(f"{self.prefix}purge-paths:{name}", path)
            pipe.expire(f"{self.prefix}purge-paths:{name}", self.keep)
        pipe.execute()

    def paths(self, names: Collection[str]) -> set[str]:
        if not names:
            return set()
        members = self.client.sunion([f"{self.prefix}purge-paths:{n}" for n in names])
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}

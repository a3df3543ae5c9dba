"""The library's whole state in one piece in the store, so a restart reads it back rather
than rebuilding it: the records, the table of files with their stamps, and the index.

Everything in it is a handful of arrays and byte strings (``records.py``, ``tables.py``),
so writing it is one pickle and one row, and reading it back is mostly copying memory: at
100,000 articles about 30 MB, read in a fraction of a second, where reading every file's
parsed article took seven seconds.

Any doubt and it is not used: another format or index code (``KEY``), other settings for
the index (the front page's windows, the shape of article URLs), a checksum that does not
match (a damaged file), anything that fails to unpickle. The library then reads the folder
as on a first start. A file changed since the snapshot is found by its stamp and read again.
"""

from __future__ import annotations

import hashlib
import io
import logging
import pickle
import sqlite3
import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from blog.content.entries import UNREAD, Files
from blog.content.flags import Windows
from blog.content.index import Index
from blog.content.store import Store

log = logging.getLogger(__name__)

FORMAT = 1
# The code whose objects the snapshot holds: a change to any of them makes it another format.
_CODE = ("records.py", "tables.py", "index.py", "index_parts.py", "entries.py", "snapshot.py")
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS snapshot "
    "(id INTEGER PRIMARY KEY CHECK (id = 1), key TEXT NOT NULL, checksum INTEGER NOT NULL, "
    "data BLOB NOT NULL)",
)


def _code_key() -> str:
    digest = hashlib.sha256(str(FORMAT).encode())
    for name in _CODE:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


KEY = _code_key()


@dataclass(frozen=True)
class Snapshot:
    """What a restart gets back: the files and the index built over the same records."""

    files: Files
    index: Index


def settings_key(windows: Windows, article_path: Callable[[str], str]) -> str:
    """What the index depends on besides the files: a snapshot made under other settings
    is not used."""
    return f"{KEY}:{windows!r}:{article_path('slug')}"


def _no_path(slug: str) -> str:
    """Stands in for the web layer's ``article_path`` in the pickle (set again on load)."""
    return slug


def _proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """A read-only view again (the index's maps are; the pickle holds their dicts)."""
    return MappingProxyType(items)


class _Pickler(pickle.Pickler):
    """Pickles read-only views (``MappingProxyType``) as their dicts."""

    def reducer_override(self, obj: object) -> Any:
        if isinstance(obj, MappingProxyType):
            return _proxy, (dict(obj),)
        return NotImplemented


def save(store: Store, files: Files, index: Index, key: str) -> int:
    """Write the snapshot, replacing the last one and the per-file rows it makes redundant;
    its size in bytes."""
    # A broken file is kept as its last good version, if any, to be read again at every
    # start (its error is then reported again, as when it first broke).
    mtime = array("q", files.mtime)
    for rel in files.broken:
        rid = files.rid(rel)
        if rid is not None and rid < len(mtime):
            mtime[rid] = UNREAD
    state = {
        "records": files.records,
        "table": files.table,
        "stamps": (mtime, files.size, files.inode),
        "index": replace(index, article_path=_no_path),
    }
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=5).dump(state)
    data = buffer.getvalue()
    with store.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO snapshot (id, key, checksum, data) VALUES (1, ?, ?, ?)",
            (key, zlib.crc32(data), data),
        )
        db.execute("DELETE FROM parsed")
    return len(data)


def load(store: Store, key: str, article_path: Callable[[str], str]) -> Snapshot | None:
    """The last snapshot, if it was written by this code under these settings and reads
    back whole; None otherwise (logged when it was damaged)."""
    try:
        with store.reading() as db:
            row = db.execute("SELECT key, checksum, data FROM snapshot WHERE id = 1").fetchone()
    except sqlite3.Error as e:
        log.warning("content: snapshot unreadable (%s); reading the folder", e)
        return None
    if row is None or row[0] != key:
        return None
    _, checksum, data = row
    if zlib.crc32(data) != checksum:
        log.warning("content: snapshot in %s damaged; reading the folder", store.path)
        return None
    try:
        state = pickle.loads(data)
        files = Files(state["records"], state["table"])
        files.mtime, files.size, files.inode = state["stamps"]
        index = replace(state["index"], article_path=article_path)
    except Exception as e:  # any failure to read it back: the folder is read instead
        log.warning("content: snapshot in %s unreadable (%s); reading the folder", store.path, e)
        return None
    return Snapshot(files, index)


def forget(store: Store) -> None:
    """Remove the snapshot (a test of the fallbacks; an operator's reset)."""
    with store.transaction() as db:
        db.execute("DELETE FROM snapshot")

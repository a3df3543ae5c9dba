"""Every file the library has seen, compactly: its record and stamp, or its error.

The library asks this for one file's ``Entry`` (its reader compares a new reading with it)
and for every file's stamp (a scan); at 100,000 files a dict of entries, each with its
``Article`` and ``Stamp``, cost more than the articles themselves. Here a file with an
article is its record's number in a table by path (``tables.KeyTable``) and its stamp three
array entries by record number; the few files that fail to parse keep their stamp, content
hash and error in a dict, beside their last good record if they had one.
"""

from __future__ import annotations

import os
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from blog.content.files import Stamp
from blog.content.models import Article, ArticleError
from blog.content.reading import Entry
from blog.content.records import NO_TIME, Records, to_us
from blog.content.tables import ArticleMap, KeyTable, key_hash

UNREAD = -1  # a stamp that matches no file: read it again (a last good version recalled)


class Broken(NamedTuple):
    """A file that does not parse: what it is now (its last good record is in the table)."""

    stamp: Stamp | None
    source_hash: str
    error: ArticleError


class Files:
    """Path → entry for every file seen, good or broken."""

    def __init__(self, records: Records, table: KeyTable | None = None) -> None:
        self.records = records
        self.table = table or KeyTable(records, "path")  # files with an article: its record
        self.mtime = array("q")  # by record number: the stamp the file had when read
        self.size = array("q")
        self.inode = array("Q")
        self.broken: dict[str, Broken] = {}

    def __len__(self) -> int:
        return len(self.table) + sum(1 for rel in self.broken if self.table.find(rel) is None)

    def paths(self) -> Iterator[str]:
        """Every file's path (the table's, then the broken ones without an article)."""
        yield from (self.records.path(rid) for rid in self.table.ids)
        yield from (rel for rel in self.broken if self.table.find(rel) is None)

    def stamp(self, rel: str) -> Stamp | None:
        """The file's stamp as last read (None: unknown, read it again)."""
        broken = self.broken.get(rel)
        if broken is not None:
            return broken.stamp
        rid = self.table.find(rel)
        return None if rid is None else self._stamp(rid)

    def _stamp(self, rid: int) -> Stamp | None:
        if rid >= len(self.mtime) or self.mtime[rid] == UNREAD:
            return None
        return Stamp(self.mtime[rid], self.size[rid], self.inode[rid])

    def unchanged(self, rel: str, st: os.stat_result) -> int | None:
        """The record of ``rel`` if the file still has the stamp it was read with, else
        None: the scan's question for every file, answered by the path's hash and three
        array entries (a path whose hash and stamp, inode included, match another's is not
        a case to plan for), with no key read back."""
        table = self.table
        h = key_hash(rel)
        i = bisect_left(table.hashes, h)
        mtime, size, inode = self.mtime, self.size, self.inode
        while i < len(table.hashes) and table.hashes[i] == h:
            rid = table.ids[i]
            if (
                rid < len(mtime)
                and mtime[rid] == st.st_mtime_ns
                and size[rid] == st.st_size
                and inode[rid] == st.st_ino
            ):
                return rid
            i += 1
        return None

    def changed_among(
        self, listing: Iterable[tuple[str, os.stat_result]], seen: bytearray
    ) -> Iterator[tuple[str, os.stat_result]]:
        """The files of ``listing`` that ``unchanged`` does not vouch for (broken ones
        included), marking in ``seen`` the record of each it does: a restart's scan of
        100,000 files, with the hash and the look-up written out in one loop."""
        broken, find = self.broken, bisect_left
        for rel, st in listing:
            if rel not in broken:
                # Taken again for each file: the caller reads the files yielded, changing
                # the table and the stamps in place.
                hashes, ids, mtime = self.table.hashes, self.table.ids, self.mtime
                h = key_hash(rel)
                i = find(hashes, h)
                while i < len(hashes) and hashes[i] == h:
                    rid = ids[i]
                    if (
                        rid < len(mtime)
                        and mtime[rid] == st.st_mtime_ns
                        and self.size[rid] == st.st_size
                        and self.inode[rid] == st.st_ino
                        and rid < len(seen)
                    ):
                        seen[rid] = 1
                        break
                    i += 1
                else:
                    yield rel, st
                continue
            yield rel, st

    def get(self, rel: str) -> Entry | None:
        """The file's entry, or None when it was never seen (or is gone)."""
        rid = self.table.find(rel)
        broken = self.broken.get(rel)
        article = self.records.article(rid) if rid is not None else None
        if broken is not None:
            return Entry(broken.stamp, broken.source_hash, article, broken.error)
        if rid is None or article is None:
            return None
        return Entry(self._stamp(rid), article.source_hash, article)

    def rid(self, rel: str) -> int | None:
        """The record of the file's article (its last good one, when broken)."""
        return self.table.find(rel)

    def put(self, rel: str, entry: Entry) -> int | None:
        """Record a file's new entry; its record (a new one when the version is new)."""
        rid = self.table.find(rel)
        article = entry.article
        if article is None:
            if rid is not None:
                self.table.remove(rid, rel)
            rid = None
        elif rid is None or not same_version(self.records, rid, article):
            if rid is not None:
                self.table.remove(rid, rel)
            rid = self.records.add(article)
            self.table.add(rid, rel)
        if entry.error is not None:
            self.broken[rel] = Broken(entry.stamp, entry.source_hash, entry.error)
        else:
            self.broken.pop(rel, None)
            if rid is not None:
                self._set_stamp(rid, entry.stamp)
        return rid

    def drop(self, rel: str) -> bool:
        """Forget a file that is gone; True if it was known."""
        rid = self.table.find(rel)
        if rid is not None:
            self.table.remove(rid, rel)
        return self.broken.pop(rel, None) is not None or rid is not None

    def extend_stamps(
        self, rids: range, mtime: array[int], size: array[int], inode: array[int]
    ) -> None:
        """The stamps of records added in bulk (a first start), as columns in their order."""
        if len(self.mtime) < rids.start:
            self._set_stamp(rids.start - 1, None)
        if len(self.mtime) == rids.start:
            self.mtime.extend(mtime)
            self.size.extend(size)
            self.inode.extend(inode)
            return
        for n, rid in enumerate(rids):  # stamps kept beyond them already: one by one
            stamp = None if mtime[n] == UNREAD else Stamp(mtime[n], size[n], inode[n])
            self._set_stamp(rid, stamp)

    def set_stamps(self, rids: range, stamps: list[Stamp | None]) -> None:
        """The stamps of records added in bulk (a first start), in order."""
        for rid, stamp in zip(rids, stamps, strict=True):
            self._set_stamp(rid, stamp)

    def _set_stamp(self, rid: int, stamp: Stamp | None) -> None:
        grow = rid + 1 - len(self.mtime)
        if grow > 0:
            self.mtime.extend([UNREAD] * grow)
            self.size.extend([0] * grow)
            self.inode.extend([0] * grow)
        if stamp is None:
            self.mtime[rid] = UNREAD
        else:
            self.mtime[rid], self.size[rid], self.inode[rid] = stamp

    def articles(self) -> ArticleMap:
        """Path → article of every file that has one, as an index takes it (a copy)."""
        return ArticleMap(self.records, self.table.copy())

    def errors(self) -> dict[str, ArticleError]:
        return {rel: broken.error for rel, broken in self.broken.items()}

    def entries(self) -> dict[str, Entry]:
        """Every entry, made whole (for the editors' commands)."""
        found = {}
        for rel in self.paths():
            entry = self.get(rel)
            if entry is not None:
                found[rel] = entry
        return found


def same_version(records: Records, rid: int, article: Article) -> bool:
    """True when the record is this version of the file (same bytes, same commit time)."""
    committed = NO_TIME if article.committed is None else to_us(article.committed)
    path, slug, source_hash = records.keys(rid)
    return (
        source_hash == article.source_hash
        and records.committed_us(rid) == committed
        and path == article.path
        and slug == article.slug
    )

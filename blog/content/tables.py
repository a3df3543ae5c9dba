"""Lists and maps of records (``records.py``) that read as lists and maps of articles.

An index's lists (publication order, a tag's articles) are arrays of record numbers, four
bytes an article; its maps (slug → article, path → article) are sorted arrays of 64-bit
hashes of the keys beside the record numbers, twelve bytes an entry, searched by bisection
and checked against the record's own key. Readers see ``Sequence[Article]`` and
``Mapping[str, Article]``: an article is made from its record only when it is looked at.
A change makes a changed copy (arrays are copied in C: a millisecond at 100,000), so an
index never changes under its readers.
"""

from __future__ import annotations

import datetime as dt
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import overload

from blog.content.models import Article
from blog.content.records import Records, from_us


def key_hash(key: str) -> int:
    """A 64-bit hash of a key, the same in every process (``hash()`` is not)."""
    data = key.encode()
    return zlib.crc32(data) << 32 | zlib.adler32(data)


class ArticleList(Sequence[Article]):
    """Articles in an order, as record numbers."""

    __slots__ = ("ids", "records")

    def __init__(self, records: Records, ids: array[int] | Iterable[int] = ()) -> None:
        self.records = records
        self.ids = ids if isinstance(ids, array) else array("I", ids)

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, i: int) -> Article: ...

    @overload
    def __getitem__(self, i: slice) -> ArticleList: ...

    def __getitem__(self, i: int | slice) -> Article | ArticleList:
        if isinstance(i, slice):
            return ArticleList(self.records, self.ids[i])
        return self.records.article(self.ids[i])

    def __iter__(self) -> Iterator[Article]:
        article = self.records.article
        for rid in self.ids:
            yield article(rid)

    def __bool__(self) -> bool:
        return bool(self.ids)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ArticleList) and other.records is self.records:
            return self.ids == other.ids
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.ids.tobytes())

    def __repr__(self) -> str:
        return f"ArticleList({len(self)} articles)"

    def newest_change(self) -> dt.datetime | None:
        """``Article.modified`` of the most recently changed article (None: no article),
        from the records' dates alone."""
        modified = self.records.modified_us
        newest = max((modified(rid) for rid in self.ids), default=None)
        return None if newest is None else from_us(newest)

    def slugs(self) -> Iterator[str]:
        """The slug of each article, in order, without making one (``flask freeze`` lists
        every article's URL)."""
        slug = self.records.slug
        for rid in self.ids:
            yield slug(rid)

    def slugs_changed(self) -> Iterator[tuple[str, dt.datetime]]:
        """(slug, ``Article.modified``) of each article, in order, without making one."""
        records = self.records
        for rid in self.ids:
            yield records.slug(rid), from_us(records.modified_us(rid))

    def position(self, key: tuple[int, str]) -> int:
        """Where an article with this (date, path) is, or would go, in publication order
        (newest first, then by path descending): 17 steps among 100,000."""
        order_key = self.records.order_key
        ids = self.ids
        low, high = 0, len(ids)
        while low < high:
            middle = (low + high) // 2
            if order_key(ids[middle]) > key:
                low = middle + 1
            else:
                high = middle
        return low

    def moved(self, gone: Iterable[int], arriving: Iterable[int]) -> ArticleList:
        """A copy in publication order with ``gone`` taken out and ``arriving`` put in."""
        gone, arriving = list(gone), list(arriving)
        if not gone and not arriving:
            return self
        moved = ArticleList(self.records, array("I", self.ids))
        order_key = self.records.order_key
        for rid in gone:
            i = moved.position(order_key(rid))
            assert moved.ids[i] == rid  # in the list: it was published
            del moved.ids[i]
        for rid in arriving:
            moved.ids.insert(moved.position(order_key(rid)), rid)
        return moved


class KeyTable:
    """Keys (a path, a slug) → record numbers, twelve bytes an entry; a key may have
    several records (``find_all``), as when files claim one slug."""

    __slots__ = ("hashes", "ids", "kind", "records")

    def __init__(
        self,
        records: Records,
        kind: str,
        hashes: array[int] | None = None,
        ids: array[int] | None = None,
    ) -> None:
        self.records = records
        self.kind = kind  # the key: "path" or "slug" of a record
        self.hashes = hashes if hashes is not None else array("Q")
        self.ids = ids if ids is not None else array("I")

    @property
    def key_of(self) -> Callable[[int], str]:
        """A record's key."""
        key_of: Callable[[int], str] = getattr(self.records, self.kind)
        return key_of

    @classmethod
    def of(cls, records: Records, kind: str, rids: Iterable[int]) -> KeyTable:
        """A table of these records, each under its key."""
        key_of = getattr(records, kind)
        pairs = sorted((key_hash(key_of(rid)), rid) for rid in rids)
        hashes = array("Q", (h for h, _ in pairs))
        return cls(records, kind, hashes, array("I", (r for _, r in pairs)))

    def copy(self) -> KeyTable:
        return KeyTable(self.records, self.kind, array("Q", self.hashes), array("I", self.ids))

    def __len__(self) -> int:
        return len(self.ids)

    def _span(self, key: str) -> tuple[int, int]:
        h = key_hash(key)
        return bisect_left(self.hashes, h), bisect_right(self.hashes, h)

    def find_all(self, key: str) -> list[int]:
        start, end = self._span(key)
        return [rid for rid in self.ids[start:end] if self.key_of(rid) == key]

    def find(self, key: str) -> int | None:
        start, end = self._span(key)
        for i in range(start, end):
            if self.key_of(self.ids[i]) == key:
                return self.ids[i]
        return None

    def add(self, rid: int, key: str | None = None) -> None:
        """Put a record in, under its key (or ``key``: a record whose key is known)."""
        h = key_hash(self.key_of(rid) if key is None else key)
        i = bisect_right(self.hashes, h)
        self.hashes.insert(i, h)
        self.ids.insert(i, rid)

    def remove(self, rid: int, key: str | None = None) -> None:
        """Take a record out; nothing when it is not there."""
        start, end = self._span(self.key_of(rid) if key is None else key)
        for i in range(start, end):
            if self.ids[i] == rid:
                del self.hashes[i]
                del self.ids[i]
                return

    def __getstate__(self) -> tuple[Records, str, array[int], array[int]]:
        return self.records, self.kind, self.hashes, self.ids

    def __setstate__(self, state: tuple[Records, str, array[int], array[int]]) -> None:
        self.records, self.kind, self.hashes, self.ids = state


class ArticleMap(Mapping[str, Article]):
    """Keys → articles, one record per key (the first found when several share one)."""

    __slots__ = ("records", "table")

    def __init__(self, records: Records, table: KeyTable) -> None:
        self.records = records
        self.table = table

    def rid(self, key: str) -> int | None:
        """The record number under ``key``, or None."""
        return self.table.find(key)

    def __getitem__(self, key: str) -> Article:
        rid = self.table.find(key) if isinstance(key, str) else None
        if rid is None:
            raise KeyError(key)
        return self.records.article(rid)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.table.find(key) is not None

    def __iter__(self) -> Iterator[str]:
        key_of = self.table.key_of
        for rid in self.table.ids:
            yield key_of(rid)

    def __len__(self) -> int:
        return len(self.table)

    def rids(self) -> array[int]:
        """Every record number in the map."""
        return self.table.ids

    def changed(self, gone: Iterable[int], arriving: Iterable[int]) -> ArticleMap:
        """A copy with the records ``gone`` taken out and ``arriving`` put in."""
        table = self.table.copy()
        for rid in gone:
            table.remove(rid)
        for rid in arriving:
            table.add(rid)
        return ArticleMap(self.records, table)

    def __repr__(self) -> str:
        return f"ArticleMap({len(self)} articles)"


class CountMap(Mapping[str, int]):
    """Keys → how many records claim them (the slugs files ask for)."""

    __slots__ = ("table",)

    def __init__(self, table: KeyTable) -> None:
        self.table = table

    def __getitem__(self, key: str) -> int:
        count = len(self.table.find_all(key)) if isinstance(key, str) else 0
        if not count:
            raise KeyError(key)
        return count

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.table.find(key) is not None

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        key_of = self.table.key_of
        for rid in self.table.ids:
            key = key_of(rid)
            if key not in seen:
                seen.add(key)
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def changed(self, gone: Iterable[int], arriving: Iterable[int]) -> CountMap:
        table = self.table.copy()
        for rid in gone:
            table.remove(rid)
        for rid in arriving:
            table.add(rid)
        return CountMap(table)

"""Articles packed for an archive of 100,000: a few arrays and byte strings, not an object each.

A Python object per article, with a string per field and a dict entry per map, costs about
2 kB; at 100,000 articles that is 200 MB in every worker. Here a version of a file is a
*record*, a number: its dates, flags and word count are entries of arrays, its category,
tags and authors numbers into one table of names (each spelling stored once), its path,
slug and content hash one short byte string, and its headline, standfirst and image (what
only a page shows) are compressed with their neighbours, 32 records to a block. About
250 bytes an article, in a handful of objects that no reader ever writes to: loaded in
gunicorn's master, they stay shared by every worker (``gc.freeze`` aside, a refcount
written is a page copied; an array's items have none).

``Records.article(rid)`` gives the ``Article`` back, equal to the one packed but without its
text (``Article.without_text``) and its problems (reported when the file was read, not kept),
from a small cache of recent ones. Records are only ever added: an index refers to them by
number, and any number of indexes share one ``Records``; the versions no index uses any more
are left behind until ``compact`` copies the live ones out (for the on-disk snapshot).

The first records come in bulk (``Builder``, also in the processes of a first start, whose
parts ``Records.extend`` joins) into a *base* that is never changed again; an edit adds
its record to a small *tail*.
"""

from __future__ import annotations

import datetime as dt
import pickle
import re
import threading
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from blog.content.flags import has_flags
from blog.content.models import Article

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NO_TIME = -(2**63)  # an absent moment in a column of times
BLOCK = 32  # records whose page text is compressed together
CACHED = 4096  # articles kept whole per Records (a listing page shows 20)
BLOCKS_CACHED = 32  # blocks kept decompressed
_US = dt.timedelta(microseconds=1)
_MAX_WORDS = 2**32 - 1
_SHA256_HEX = re.compile("[0-9a-f]{64}")  # a content hash as hashlib writes it

# What the bits of a record say.
DEALS, DRAFT, BREAKING, NO_IMAGE, FLAGGED, ALIASED = 1, 2, 4, 8, 16, 32

# Fields kept only when they differ from the default (``_rare``): few articles have any.
_RARE_DEFAULTS: dict[str, Any] = {
    "image_alt": "",
    "image_caption": "",
    "image_credit": "",
    "priority": 0,
    "breaking_until": None,
    "pinned_until": None,
    "aliases": (),
    "extra": (),
}


def to_us(moment: dt.datetime) -> int:
    """An aware moment as microseconds since 1970 (exact, any year)."""
    return (moment - EPOCH) // _US


def from_us(us: int) -> dt.datetime:
    """The aware UTC moment ``to_us`` was given."""
    return EPOCH + dt.timedelta(microseconds=us)


def _utc(moment: dt.datetime | None) -> bool:
    return moment is None or moment.tzinfo is dt.UTC


class Names:
    """The strings many records share (categories, tags, authors), each kept once."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._names: list[str] = list(names)
        self._ids = {name: n for n, name in enumerate(self._names)}
        self._lock = threading.Lock()

    def id(self, name: str) -> int:
        """The number of ``name``, given one if it is new."""
        found = self._ids.get(name)
        if found is not None:
            return found
        with self._lock:
            found = self._ids.get(name)
            if found is None:
                found = self._ids[name] = len(self._names)
                self._names.append(name)
        return found

    def __getitem__(self, number: int) -> str:
        return self._names[number]

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)


class Segment:
    """Records side by side: arrays of their numbers, their keys in one byte string, their
    page text in compressed blocks (the base) or one byte string each (the tail)."""

    def __init__(self) -> None:
        self.date = array("q")
        self.committed = array("q")
        self.updated = array("q")
        self.words = array("I")
        self.bits = array("B")
        self.category = array("i")  # a name's number; -1: none
        self.ntags = array("B")  # how many of the record's labels are tags (then authors)
        self.labels_at = array("I", [0])  # record n's labels: labels[labels_at[n]:labels_at[n+1]]
        self.labels = array("I")
        self.keys_at = array("I", [0])
        self.keys = bytearray()  # path, slug and content hash of each record
        self.blocks: list[bytes] = []  # compressed page text, BLOCK records each (the base)
        self.cold_at = array("Q")  # record n's page text: (block << 32 | offset) in the base
        self.rows: list[bytes] = []  # page text of each record (the tail)
        self._pending: list[bytes] = []  # page text not yet in a block (while building)

    def __len__(self) -> int:
        return len(self.date)

    def append(self, packed: Packed, names: Names, compressed: bool) -> None:
        date, committed, updated, words, bits, category, tags, authors, keys, cold = packed
        self.date.append(date)
        self.committed.append(committed)
        self.updated.append(updated)
        self.words.append(words)
        self.bits.append(bits)
        self.category.append(names.id(category) if category is not None else -1)
        self.ntags.append(len(tags))
        self.labels.extend(names.id(n) for n in (*tags, *authors))
        self.labels_at.append(len(self.labels))
        self.keys += keys
        self.keys_at.append(len(self.keys))
        if compressed:
            self._pending.append(cold)
            if len(self._pending) == BLOCK:
                self.seal()
        else:
            self.rows.append(cold)

    def seal(self) -> None:
        """Compress the page text still waiting into a block of its own."""
        if not self._pending:
            return
        offset = 0
        block = len(self.blocks)
        for cold in self._pending:
            self.cold_at.append(block << 32 | offset)
            offset += len(cold)
        self.blocks.append(zlib.compress(b"".join(self._pending), 6))
        self._pending = []

    def freeze(self) -> None:
        """Make the keys immutable (a base is never changed again)."""
        self.seal()
        self.keys = bytes(self.keys)  # type: ignore[assignment]

    def extend(self, other: Segment, renumber: Sequence[int]) -> None:
        """Add the records of ``other`` (built elsewhere, its names numbered by
        ``renumber``)."""
        self.seal()
        other.seal()
        for name in ("date", "committed", "updated", "words", "bits", "ntags"):
            getattr(self, name).extend(getattr(other, name))
        self.category.extend(renumber[c] if c >= 0 else -1 for c in other.category)
        base = len(self.labels)
        self.labels.extend(renumber[n] for n in other.labels)
        self.labels_at.extend(base + at for at in other.labels_at[1:])
        base = len(self.keys)
        self.keys += other.keys
        self.keys_at.extend(base + at for at in other.keys_at[1:])
        shift = len(self.blocks) << 32
        self.cold_at.extend(shift + at for at in other.cold_at)
        self.blocks.extend(other.blocks)

    def key_bytes(self, n: int) -> bytes:
        return bytes(self.keys[self.keys_at[n] : self.keys_at[n + 1]])

    def __getstate__(self) -> dict[str, Any]:
        self.seal()
        state = dict(self.__dict__)
        state["keys"] = bytes(self.keys)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


# (date, committed, updated, words, bits, category, tags, authors, keys, page text)
Packed = tuple[int, int, int, int, int, str | None, tuple[str, ...], tuple[str, ...], bytes, bytes]


def pack(article: Article) -> Packed:
    """One article as a record's parts (its text and problems are left out)."""

    rare = {k: getattr(article, k) for k, v in _RARE_DEFAULTS.items() if getattr(article, k) != v}
    bits = (
        DEALS * article.deals
        | DRAFT * article.draft
        | BREAKING * article.breaking
        | NO_IMAGE * (article.image is None)
        | FLAGGED * has_flags(article)
        | ALIASED * bool(article.aliases)
    )
    for name in ("date", "committed", "updated"):
        if not _utc(getattr(article, name)):
            rare[name] = getattr(article, name)  # another zone: kept as it is
    words = article.word_count
    if not 0 <= words <= _MAX_WORDS:
        rare["word_count"], words = words, 0
    texts = [article.title, article.standfirst, article.image or ""]
    for name, text in zip(("title", "standfirst", "image"), texts, strict=True):
        if "\0" in text or text.startswith("\x01"):
            rare[name] = getattr(article, name)
    cold = b"\0".join(
        (
            article.title.encode(),
            article.standfirst.encode(),
            b"\x01" if article.image is None else article.image.encode(),
            pickle.dumps(rare, 5) if rare else b"",
        )
    )
    return (
        to_us(article.date),
        NO_TIME if article.committed is None else to_us(article.committed),
        NO_TIME if article.updated is None else to_us(article.updated),
        words,
        bits,
        article.category,
        article.tags,
        article.authors,
        _keys(article.path, article.slug, article.source_hash),
        cold,
    )


def _keys(path: str, slug: str, source_hash: str) -> bytes:
    """Path, slug and content hash as one byte string (a hex SHA-256 as its 32 bytes)."""
    if "\0" in path or "\0" in slug:
        raise ValueError(f"{path!r}: a NUL in a path or slug")
    if _SHA256_HEX.fullmatch(source_hash):
        head = b"\x01" + bytes.fromhex(source_hash)
    else:
        if "\0" in source_hash:
            raise ValueError(f"{path!r}: a NUL in a content hash")
        head = b"\x00" + source_hash.encode() + b"\0"
    return head + path.encode() + b"\0" + slug.encode()


def _unkeys(keys: bytes) -> tuple[str, str, str]:
    """(path, slug, content hash) from ``_keys``."""
    if keys[0] == 1:
        source_hash, rest = keys[1:33].hex(), keys[33:]
    else:
        end = keys.index(0, 1)
        source_hash, rest = keys[1:end].decode(), keys[end + 1 :]
    path, _, slug = rest.partition(b"\0")
    return path.decode(), slug.decode(), source_hash


class Builder:
    """Records packed in bulk: a base segment, its names numbered locally (``Records.extend``
    renumbers them)."""

    def __init__(self) -> None:
        self.names = Names()
        self.segment = Segment()

    def add(self, article: Article) -> int:
        """Pack an article; its number in this builder."""
        self.segment.append(pack(article), self.names, compressed=True)
        return len(self.segment) - 1

    def finish(self) -> tuple[list[str], Segment]:
        """What ``Records.extend`` takes (picklable: a process of a first start sends it)."""
        self.segment.seal()
        return list(self.names), self.segment


class Records:
    """Every record of a library, numbered from 0: a base, built once, then a tail."""

    def __init__(self) -> None:
        self.names = Names()
        self.base = Segment()
        self.tail = Segment()
        self._sealed = False  # the base takes no more records once the tail has one
        self._lock = threading.Lock()
        self._cache: dict[int, Article] = {}
        self._blocks: dict[int, bytes] = {}  # decompressed base blocks, by number
        self._renamed: dict[tuple[int, str], int] = {}  # (record, new slug) → its record

    def __len__(self) -> int:
        return len(self.base) + len(self.tail)

    def __getstate__(self) -> dict[str, Any]:
        return {"names": list(self.names), "base": self.base, "tail": self.tail}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        self.names = Names(state["names"])
        self.base, self.tail = state["base"], state["tail"]
        self._sealed = len(self.tail) > 0

    # Adding

    def add(self, article: Article) -> int:
        """Add an article as a new record; its number."""
        packed = pack(article)
        with self._lock:
            self._sealed = True
            self.tail.append(packed, self.names, compressed=False)
            return len(self) - 1

    def extend(self, names: list[str], segment: Segment) -> range:
        """Add a segment built elsewhere (``Builder.finish``) to the base; its numbers."""
        with self._lock:
            if self._sealed:
                raise RuntimeError("records added one by one already: extend the base first")
            renumber = [self.names.id(name) for name in names]
            start = len(self.base)
            self.base.extend(segment, renumber)
            return range(start, len(self.base))

    def freeze(self) -> None:
        """No more bulk additions: the base is final (and shared after a fork)."""
        with self._lock:
            self._sealed = True
            self.base.freeze()

    def renamed(self, rid: int, slug: str) -> int:
        """The record of ``rid``'s article served under another slug (a slug clash's
        loser), added once and found again at every rebuild."""
        found = self._renamed.get((rid, slug))
        if found is None:
            from dataclasses import replace

            found = self._renamed[(rid, slug)] = self.add(replace(self.article(rid), slug=slug))
        return found

    # Reading

    def _at(self, rid: int) -> tuple[Segment, int]:
        base = self.base
        n = len(base.date)
        return (base, rid) if rid < n else (self.tail, rid - n)

    def keys(self, rid: int) -> tuple[str, str, str]:
        """(path, slug, content hash) of a record."""
        segment, n = self._at(rid)
        return _unkeys(segment.key_bytes(n))

    def raw_keys(self, rid: int) -> tuple[str, bytes, bytes]:
        """(content hash, path, slug) of a record, path and slug as UTF-8 bytes: what a
        build of 100,000 hashes and compares, without making strings of them."""
        segment, n = self._at(rid)
        keys = segment.keys
        start, end = segment.keys_at[n], segment.keys_at[n + 1]
        if keys[start] == 1:
            source_hash, rest = keys[start + 1 : start + 33].hex(), keys[start + 33 : end]
        else:
            cut = keys.index(0, start + 1, end)
            source_hash, rest = bytes(keys[start + 1 : cut]).decode(), keys[cut + 1 : end]
        path, _, slug = bytes(rest).partition(b"\0")
        return source_hash, path, slug

    def column(self, name: str) -> array[int]:
        """One array of every record's ``name`` (date, committed, updated, bits, category,
        ntags), indexed by record number: the base's own when there is no tail, a joined
        copy otherwise. For builds that read it for every record."""
        base = getattr(self.base, name)
        tail = getattr(self.tail, name)
        return base if not tail else base + tail

    def keys_columns(self) -> tuple[bytes | bytearray, array[int]]:
        """Every record's packed keys and where each starts (as ``column``)."""
        if not len(self.tail):
            return self.base.keys, self.base.keys_at
        shift = len(self.base.keys)
        at = self.base.keys_at[:-1] + array("I", (shift + a for a in self.tail.keys_at))
        return bytes(self.base.keys) + bytes(self.tail.keys), at

    def labels_columns(self) -> tuple[array[int], array[int]]:
        """Every record's label numbers and where each record's start (as ``column``)."""
        if not len(self.tail):
            return self.base.labels, self.base.labels_at
        shift = len(self.base.labels)
        at = self.base.labels_at[:-1] + array("I", (shift + a for a in self.tail.labels_at))
        return self.base.labels + self.tail.labels, at

    def label_numbers(self, rid: int) -> tuple[int, array[int], int]:
        """(category's name number or -1, the tags' then the authors' name numbers, how
        many of those are tags)."""
        segment, n = self._at(rid)
        return (
            segment.category[n],
            segment.labels[segment.labels_at[n] : segment.labels_at[n + 1]],
            segment.ntags[n],
        )

    def path(self, rid: int) -> str:
        return self.keys(rid)[0]

    def slug(self, rid: int) -> str:
        return self.keys(rid)[1]

    def source_hash(self, rid: int) -> str:
        return self.keys(rid)[2]

    def date_us(self, rid: int) -> int:
        segment, n = self._at(rid)
        return segment.date[n]

    def modified_column(self, rids: Iterable[int]) -> Iterator[int]:
        """``modified_us`` of each of ``rids``, read from the columns."""
        date, committed, updated = (self.column(n) for n in ("date", "committed", "updated"))
        for rid in rids:
            changed = updated[rid] if updated[rid] != NO_TIME else committed[rid]
            yield max(changed, date[rid])

    def modified_us(self, rid: int) -> int:
        """``Article.modified``: ``updated``, else the last commit, never before the date."""
        segment, n = self._at(rid)
        changed = segment.updated[n] if segment.updated[n] != NO_TIME else segment.committed[n]
        return max(changed, segment.date[n])

    def committed_us(self, rid: int) -> int:
        segment, n = self._at(rid)
        return segment.committed[n]

    def bits(self, rid: int) -> int:
        segment, n = self._at(rid)
        return segment.bits[n]

    def category(self, rid: int) -> str | None:
        segment, n = self._at(rid)
        number = segment.category[n]
        return self.names[number] if number >= 0 else None

    def tags(self, rid: int) -> tuple[str, ...]:
        segment, n = self._at(rid)
        start = segment.labels_at[n]
        return tuple(self.names[i] for i in segment.labels[start : start + segment.ntags[n]])

    def authors(self, rid: int) -> tuple[str, ...]:
        segment, n = self._at(rid)
        start, end = segment.labels_at[n] + segment.ntags[n], segment.labels_at[n + 1]
        return tuple(self.names[i] for i in segment.labels[start:end])

    def order_key(self, rid: int) -> tuple[int, str]:
        """What publication order sorts by: (date, path)."""
        return self.date_us(rid), self.path(rid)

    def article(self, rid: int) -> Article:
        """The record as an ``Article`` (without text or problems)."""
        found = self._cache.get(rid)
        if found is None:
            found = self._article(rid)
            if len(self._cache) >= CACHED:
                try:
                    del self._cache[next(iter(self._cache))]
                except (KeyError, StopIteration, RuntimeError):
                    pass  # another thread made room first
            self._cache[rid] = found
        return found

    def _article(self, rid: int) -> Article:
        segment, n = self._at(rid)
        path, slug, source_hash = _unkeys(segment.key_bytes(n))
        title, standfirst, image, rare_bytes = self._cold(segment, n).split(b"\0", 3)
        committed, updated = segment.committed[n], segment.updated[n]
        values: dict[str, Any] = {
            "path": path,
            "source_hash": source_hash,
            "slug": slug,
            "title": title.decode(),
            "date": from_us(segment.date[n]),
            "standfirst": standfirst.decode(),
            "category": self.category(rid),
            "tags": self.tags(rid),
            "deals": bool(segment.bits[n] & DEALS),
            "image": None if image == b"\x01" else image.decode(),
            "draft": bool(segment.bits[n] & DRAFT),
            "authors": self.authors(rid),
            "breaking": bool(segment.bits[n] & BREAKING),
            "updated": None if updated == NO_TIME else from_us(updated),
            "committed": None if committed == NO_TIME else from_us(committed),
            "word_count": segment.words[n],
            "has_text": False,
        }
        if rare_bytes:
            values.update(pickle.loads(rare_bytes))
        return Article(**values)

    def _cold(self, segment: Segment, n: int) -> bytes:
        if segment is self.tail:
            return segment.rows[n]
        where = segment.cold_at[n]
        block, offset = where >> 32, where & 0xFFFFFFFF
        text = self._blocks.get(block)
        if text is None:
            text = zlib.decompress(segment.blocks[block])
            if len(self._blocks) >= BLOCKS_CACHED:
                try:
                    del self._blocks[next(iter(self._blocks))]
                except (KeyError, StopIteration, RuntimeError):
                    pass
            self._blocks[block] = text
        following = n + 1
        if following < len(segment) and segment.cold_at[following] >> 32 == block:
            end = segment.cold_at[following] & 0xFFFFFFFF
        else:
            end = len(text)
        return text[offset:end]

    def cold(self, rid: int) -> bytes:
        """A record's page text as packed (what ``compact`` copies)."""
        segment, n = self._at(rid)
        return self._cold(segment, n)

    def compact(self, live: Iterable[int]) -> tuple[Records, dict[int, int]]:
        """A new ``Records`` holding only ``live`` (in that order) in its base, and the old
        number → new number of each."""
        builder = Builder()
        numbers: dict[int, int] = {}
        for rid in live:
            if rid in numbers:
                continue
            segment, n = self._at(rid)
            start, end = segment.labels_at[n], segment.labels_at[n + 1]
            labels = [self.names[i] for i in segment.labels[start:end]]
            ntags = segment.ntags[n]
            category = segment.category[n]
            packed: Packed = (
                segment.date[n],
                segment.committed[n],
                segment.updated[n],
                segment.words[n],
                segment.bits[n],
                self.names[category] if category >= 0 else None,
                tuple(labels[:ntags]),
                tuple(labels[ntags:]),
                segment.key_bytes(n),
                self._cold(segment, n),
            )
            builder.segment.append(packed, builder.names, compressed=True)
            numbers[rid] = len(builder.segment) - 1
        records = Records()
        records.extend(*builder.finish())
        records.freeze()
        return records, numbers

"""A first start: every file read on every core, straight into records.

With an empty store (a new host, another parser version) a library of 100,000 files read
one by one took a hundred seconds. Here the folder's listing is cut into chunks; a pool of
processes (forked: they start with everything loaded) reads each chunk's files, their
articles without their text (``light.py``), and packs them into a segment of records
(``records.Builder``); the library joins the segments in order into its records' base.
The text of each article is read later, in the background (the search index's build stores
it as it goes), or by the first page that needs it.

Errors are the same as one by one (the same ``FileReader``); they are returned with the
file, to be reported by the library as it would have.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import stat
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import islice
from typing import NamedTuple

from blog.content.entries import UNREAD
from blog.content.files import Stamp
from blog.content.light import LightUnsure, light_article
from blog.content.models import ArticleError
from blog.content.reading import Entry, FileReader, Problem, Reading
from blog.content.records import Builder, Segment
from blog.content.tables import key_hash

BULK_FROM = 2000  # files a start must read before a pool is worth its start
CHUNK = 500  # files per task


class FileRead(NamedTuple):
    """A file of a chunk that did not simply become a record: a broken one (its record in
    the chunk's segment, -1: none) and what else the library keeps of it."""

    rel: str
    local: int
    stamp: Stamp | None
    source_hash: str
    error: ArticleError


@dataclass
class ChunkRead:
    """What a worker sends back for a chunk: its records, columns of their files' path
    hashes and stamps (one entry per record, in order: a few arrays pickle in a moment,
    where an object per file took as long as reading it), the files that broke, and the
    problems to report."""

    names: list[str]
    segment: Segment
    hashes: array[int]
    mtime: array[int]
    size: array[int]
    inode: array[int]
    broken: list[FileRead]
    problems: list[Problem]


@dataclass(frozen=True)
class _Job:
    reader: FileReader
    committed: Mapping[str, dt.datetime]  # the last commit's time of each file, if any


_job: _Job | None = None  # this worker's (set before the fork, inherited)


def workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def read_all(
    reader: FileReader,
    rels: Iterable[str],
    committed: Mapping[str, dt.datetime] | None = None,
    processes: int | None = None,
) -> Iterator[ChunkRead]:
    """The files ``rels`` read in chunks, on every core; the chunks in order. ``rels`` is
    taken a chunk at a time as the workers ask (a listing still being made)."""
    global _job
    _job = _Job(reader, committed or {})
    chunks = _chunks(iter(rels))
    try:
        count = processes or workers()
        if count < 2:
            yield from map(_read_chunk, chunks)
            return
        with multiprocessing.get_context("fork").Pool(count) as pool:
            yield from pool.imap(_read_chunk, chunks)
    finally:
        _job = None


def _chunks(rels: Iterator[str]) -> Iterator[list[str]]:
    while chunk := list(islice(rels, CHUNK)):
        yield chunk


def _read_chunk(rels: list[str]) -> ChunkRead:
    assert _job is not None
    reader, committed = _job.reader, _job.committed
    builder = Builder()
    hashes, mtime, size, inode = array("Q"), array("q"), array("q"), array("Q")
    broken: list[FileRead] = []
    problems: list[Problem] = []
    root = str(reader.root)
    for rel in rels:
        reading = _read_light(reader, root, rel)
        entry = reading.entry
        if entry is None:
            continue  # gone since the listing, or unreadable
        problems.extend(reading.problems)
        local = -1
        if entry.article is not None:
            article = entry.article
            if committed.get(rel) is not None:
                article = replace(article, committed=committed[rel])
            local = builder.add(article)
            hashes.append(key_hash(rel))
            stamp = entry.stamp
            mtime.append(UNREAD if stamp is None else stamp.mtime_ns)
            size.append(0 if stamp is None else stamp.size)
            inode.append(0 if stamp is None else stamp.inode)
        if entry.error is not None:
            broken.append(FileRead(rel, local, entry.stamp, entry.source_hash, entry.error))
    names, segment = builder.finish()
    return ChunkRead(names, segment, hashes, mtime, size, inode, broken, problems)


_OPEN = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _read_light(reader: FileReader, root: str, rel: str) -> Reading:
    """``reader.read(rel, None, light=True)``, with one open, one stat of it and one read
    for the usual file; anything else (a link, a file over the size limit, one that changes
    while read, one the light reader stands aside for) is left to the reader itself."""
    try:
        fd = os.open(os.path.join(root, rel), _OPEN)
    except OSError:
        return reader.read(rel, None, light=True)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > reader.max_bytes:
            return reader.read(rel, None, light=True)
        data = os.read(fd, st.st_size + 1)
    except OSError:
        return reader.read(rel, None, light=True)
    finally:
        os.close(fd)
    if len(data) != st.st_size:
        return reader.read(rel, None, light=True)  # written to while read
    source_hash = hashlib.sha256(data).hexdigest()
    try:
        article = light_article(rel, data, source_hash, reader.timezone)
    except LightUnsure:
        return reader.read(rel, None, light=True)
    return Reading(Entry(Stamp.of(st), source_hash, article), True)

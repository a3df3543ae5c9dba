"""The check's work on the article files, spread over every core.

Each file is read and parsed afresh (the site's own reader: the same size limit, the same
errors), and its findings are made where it was parsed: a file's findings depend on that
file alone, so a pool of processes takes the files in chunks and the order of the results
is restored at the end. What depends on several files at once (two claiming one slug, an
alias onto a live address) comes from the library's index, here.

Below ``PARALLEL_FROM`` files the pool costs more than it saves, and the files are checked
in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from blog.content.index import Index, build_index
from blog.content.library import Library
from blog.content.reading import Entry, FileReader
from blog.content.store import Parts
from blog.editor.check import SEVERITIES, Finding, Rules, check_entries, field_line
from blog.images.pictures import Images

PARALLEL_FROM = 400  # files; below this, one process
CHUNK = 64  # files a worker takes at a time


@dataclass(frozen=True)
class Job:
    """What a worker needs to check files (inherited across the fork, never pickled)."""

    reader: FileReader
    rules: Rules
    images: Images | None
    empty: Index  # an index with no conflicts: those are the parent's to report


_job: Job | None = None  # the job of this worker process


def check_files(
    library: Library, paths: Iterable[str], rules: Rules, images: Images | None
) -> list[Finding]:
    """Findings for these article files (relative paths), in path and line order; each
    file is parsed afresh, with every core when there are many."""
    paths = sorted(paths)
    empty = build_index({}, rules.now, article_path=library.current.article_path)
    job = Job(library.reader, rules, images, empty)
    if len(paths) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        findings = _check(job, paths)
    else:
        findings = _in_parallel(job, paths)
    findings += _conflicts(library.current, set(paths), library.root)
    order = {s: n for n, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (f.path, f.line, order[f.severity]))


def _in_parallel(job: Job, paths: list[str]) -> list[Finding]:
    global _job
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    _job = job  # the workers are forked with it
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(os.cpu_count()) as pool:
            parts = pool.map(_check_chunk, chunks, chunksize=1)
    finally:
        _job = None
    return [finding for part in parts for finding in part]


def _check_chunk(paths: list[str]) -> list[Finding]:
    assert _job is not None
    return _check(_job, paths)


def _check(job: Job, paths: Sequence[str]) -> list[Finding]:
    """The findings of each file on its own (its conflicts with others left out)."""
    entries: dict[str, Entry] = {}
    texts: dict[str, str] = {}
    parts: dict[str, Parts] = {}
    for rel in paths:
        reading = job.reader.read(rel, None)
        if reading.entry is None:
            continue  # gone, or unreadable (logged)
        entries[rel] = reading.entry
        texts[rel] = _read_text(job.reader.root / rel)
        parts[rel] = reading.text or []
    return check_entries(
        entries, job.empty, job.rules, texts, lambda article: parts[article.path], job.images
    )


def _conflicts(index: Index, paths: set[str], root: Path) -> list[Finding]:
    """Slug clashes and aliases onto live addresses that involve these files."""
    return [
        Finding(c.path, field_line(_read_text(root / c.path), c.field), "error", c.field, c.message)
        for c in index.conflicts
        if c.path in paths
    ]


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError:
        return ""

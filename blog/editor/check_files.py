"""The check's work on the article files, spread over every core.

Each file is read and parsed afresh (the site's own reader: the same size limit, the same
errors), and its findings are made where it was parsed: a file's findings depend on that
file alone, so a pool of processes takes the files in chunks and the order of the results
is restored at the end. What depends on several files at once (two claiming one slug, an
alias onto a live address) comes from the library's index, here.

Below ``PARALLEL_FROM`` files the pool costs more than it saves, and the files are checked
in this process.

A file's own findings are kept beside the store (``Kept``: ``<store>-findings.sqlite3``)
under the hash of its bytes and a fingerprint of everything else they depend on: the
rules (the settings the check reads), the reader's time zone and size limit, and the code
of the parser and of the check. Each is kept until the first moment after which the clock
could change it (the article's date while it is scheduled, the end of its breaking strip),
and never across the clock going back. What the images are now is never kept: a file's
images are kept as references, and judged again at every run. A field timed against the
render budget is never kept either. So an unchanged file is read and hashed, not parsed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from blog.content.files import inside
from blog.content.index import Index, build_index
from blog.content.library import Library
from blog.content.models import Article
from blog.content.reading import FileReader
from blog.content.store import Parts
from blog.editor.check import (
    SEVERITIES,
    TIMED_BYTES,
    Finding,
    Images,
    Rules,
    check_entries,
    field_line,
    field_start,
    image_findings,
    image_uses,
)
from blog.images.models import Verdict
from blog.markup.allowlist import costly

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


@dataclass(frozen=True)
class Own:
    """A file's own findings, without its images' (judged at each run), and how long they
    hold; ``until`` None: until the file, the rules or the code change."""

    findings: list[tuple[int, str, str, str]]  # (line, severity, field, message)
    images: list[tuple[str, str]]  # ``image_uses``
    until: dt.datetime | None
    keep: bool = True  # False: never kept (a render timed against the budget)


def check_files(
    library: Library, paths: Iterable[str], rules: Rules, images: Images | None
) -> list[Finding]:
    """Findings for these article files (relative paths), in path and line order; each
    file is parsed afresh unless its findings were kept, with every core when there are
    many."""
    paths = sorted(paths)
    empty = build_index({}, rules.now, article_path=library.current.article_path)
    job = Job(library.reader, rules, images, empty)
    kept = Kept.beside(library.store.path, fingerprint(job))
    digests = {rel: _digest(library.root, rel) for rel in paths}
    own = kept.get(digests, rules.now) if kept else {}
    missing = [rel for rel in paths if rel not in own]
    if len(missing) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        fresh = _own(job, missing)
    else:
        fresh = _in_parallel(job, missing)
    if kept:
        kept.put({rel: (digests[rel], o) for rel, o in fresh.items() if digests[rel]}, rules.now)
    own.update(fresh)
    findings: list[Finding] = []
    verdicts: dict[str, Verdict | None] = {}
    for rel in paths:
        if rel not in own:
            continue
        findings += [Finding(rel, *f) for f in own[rel].findings]
        if images is not None and own[rel].images:
            line_of = partial(_line_in, library.root / rel)
            findings += image_findings(rel, own[rel].images, images, verdicts, line_of)
    findings += _conflicts(library.current, set(paths), library.root)
    order = {s: n for n, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (f.path, f.line, order[f.severity]))


def _in_parallel(job: Job, paths: list[str]) -> dict[str, Own]:
    global _job
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    _job = job  # the workers are forked with it
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(os.cpu_count()) as pool:
            parts = pool.map(_check_chunk, chunks, chunksize=1)
    finally:
        _job = None
    return {rel: own for part in parts for rel, own in part.items()}


def _check_chunk(paths: list[str]) -> dict[str, Own]:
    assert _job is not None
    return _own(_job, paths)


def _own(job: Job, paths: Sequence[str]) -> dict[str, Own]:
    """The findings of each file on its own (its conflicts with others and its images'
    verdicts left out); files gone or unreadable have none."""
    found: dict[str, Own] = {}
    for rel in paths:
        reading = job.reader.read(rel, None)
        entry = reading.entry
        if entry is None:
            continue  # gone, or unreadable (logged)
        text = _read_text(job.reader.root / rel)
        parts = reading.text or []
        findings = check_entries(
            {rel: entry}, job.empty, job.rules, {rel: text}, partial(_same, parts), None
        )
        article = entry.article if entry.error is None else None
        shown = image_uses(article, parts) if article is not None else []
        timed = job.rules.render_budget > 0 and any(costly(t, TIMED_BYTES) for _, t in parts)
        found[rel] = Own(
            [(f.line, f.severity, f.field, f.message) for f in findings],
            shown,
            _until(article, job.rules) if article is not None else None,
            keep=not timed,
        )
    return found


def _line_in(path: Path, field: str) -> int:
    """A field's line in a file, read for an image's finding (kept findings keep no text)."""
    return field_start(_read_text(path), field)


def _same(parts: Parts, article: Article) -> Parts:
    return parts


def _until(article: Article, rules: Rules) -> dt.datetime | None:
    """The first moment after ``rules.now`` at which the clock could change an article's
    findings (scheduled until its date; a breaking strip until it ends); None: never."""
    moments = (article.date, rules.windows.breaking_end(article))
    return min((m for m in moments if m is not None and m > rules.now), default=None)


# The code a file's findings come from: a change to any of it makes other fingerprints.
_CODE_FOLDERS = ("content", "markup", "editor", "images")


def fingerprint(job: Job) -> str:
    """Everything but the file that its own findings depend on."""
    rules = job.rules
    digest = hashlib.sha256(
        repr(
            (
                Kept.FORMAT,
                sorted(rules.categories),
                sorted(rules.embed_hosts),
                rules.render_budget,
                rules.windows,
                str(job.reader.timezone),
                job.reader.max_bytes,
            )
        ).encode()
    )
    package = Path(__file__).resolve().parent.parent
    for folder in _CODE_FOLDERS:
        for source in sorted((package / folder).glob("*.py")):
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


class Kept:
    """Files' own findings kept from earlier runs, in an SQLite file beside the store."""

    FORMAT = 1

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint

    @classmethod
    def beside(cls, store: Path, fingerprint: str) -> Kept | None:
        kept = cls(store.with_name(store.stem + "-findings.sqlite3"), fingerprint)
        try:
            with kept._db() as db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS kept (path TEXT PRIMARY KEY, digest TEXT NOT "
                    "NULL, fingerprint TEXT NOT NULL, made INTEGER NOT NULL, until INTEGER, "
                    "own TEXT NOT NULL)"
                )
        except sqlite3.Error:
            return None  # not kept: every file is parsed
        return kept

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=5)

    def get(self, digests: dict[str, str], now: dt.datetime) -> dict[str, Own]:
        """The kept findings of these files (path → hash of their bytes) that still hold."""
        stamp = _us(now)
        found: dict[str, Own] = {}
        try:
            with closing(self._db()) as db:
                rows = db.execute(
                    "SELECT path, digest, made, until, own FROM kept WHERE fingerprint = ?",
                    (self.fingerprint,),
                ).fetchall()
        except sqlite3.Error:
            return found
        for path, digest, made, until, own in rows:
            if digests.get(path) != digest or not digest or made > stamp:
                continue
            if until is not None and stamp >= until:
                continue
            findings, shown = json.loads(own)
            found[path] = Own(
                [tuple(f) for f in findings],
                [tuple(i) for i in shown],
                None,
            )
        return found

    def put(self, fresh: dict[str, tuple[str, Own]], now: dt.datetime) -> None:
        """Keep these files' findings (path → (hash of the bytes they were made from, own))."""
        stamp = _us(now)
        rows = [
            (
                path,
                digest,
                self.fingerprint,
                stamp,
                None if own.until is None else _us(own.until),
                json.dumps([own.findings, own.images]),
            )
            for path, (digest, own) in fresh.items()
            if own.keep
        ]
        try:
            with closing(self._db()) as db, db:
                db.executemany("INSERT OR REPLACE INTO kept VALUES (?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error:
            pass  # kept next time, perhaps


def _us(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _digest(root: Path, rel: str) -> str:
    """The hash of a file's bytes; empty when it cannot be read, or is a link out of the
    content folder, which the reader refuses (then never kept)."""
    path = root / rel
    try:
        if path.is_symlink() and not inside(root, str(path)):
            return ""
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


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

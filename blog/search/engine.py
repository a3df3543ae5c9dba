"""Full-text search over the published articles: SQLite FTS5, ranked with bm25.

The index is a cache of the library's articles, kept in step by ``sync()`` one changed file at
a time, so a single edit never rebuilds it. Nothing here knows about Flask or requests: a view
passes the reader's text in and renders the ``Results``. Reader text is never FTS5 syntax; it is
cut into words and each word is quoted, so no input can raise.
"""

from __future__ import annotations

import fcntl
import itertools
import logging
import sqlite3
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from markupsafe import Markup

from blog.content.models import Article
from blog.content.records import Records
from blog.content.store import Store
from blog.content.tables import ArticleList
from blog.search.text import CLOSE, OPEN, clean, fts_query, marked_up, plain_text, query_words

log = logging.getLogger(__name__)

SNIPPET_TOKENS = 24
# Column order of the table, and the bm25 weight of each: a headline or tag match outranks a
# match buried in the text.
WEIGHTS = {"headline": 10.0, "standfirst": 3.0, "tags": 8.0, "category": 5.0, "text": 1.0}

# The index lives in the article store's file (``store.py``), shared by the processes of a
# host and kept across restarts. A row is one version of a file, found by its content hash, so
# every process can add rows without stepping on another's; each process maps the rows of the
# versions it currently publishes to its articles and ignores the rest. Publication dates live
# in a side table: reading an FTS5 column, even an UNINDEXED one, loads the whole stored row,
# which would make every tie-break cost a full article.
# The format of the tables below: change it when ``plain_text`` (``search/text.py``) or the
# columns do.
FORMAT = 1
_DOCS, _ROWS = f"search_docs_{FORMAT}", f"search_rows_{FORMAT}"
_SCHEMA = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {_DOCS} USING fts5("
    f"{', '.join(WEIGHTS)}, tokenize = 'unicode61 remove_diacritics 2')",
    f"CREATE TABLE IF NOT EXISTS {_ROWS} "
    "(id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, date INTEGER NOT NULL)",
)
_RANK = f"bm25({_DOCS}, {', '.join(str(w) for w in WEIGHTS.values())})"
_RANKED = f"""
SELECT {_DOCS}.rowid FROM {_DOCS} JOIN {_ROWS} ON {_ROWS}.id = {_DOCS}.rowid
WHERE {_DOCS} MATCH ? ORDER BY {_RANK}, {_ROWS}.date DESC, {_DOCS}.rowid
"""
INLINE = 200  # versions indexed during a request; more are indexed by a background thread
BATCH = 250  # versions per write transaction in the background
LOOKUP = 500  # hashes looked up per query
WAIT = 2.0  # seconds between looks at what another process indexed


@dataclass(frozen=True)
class Hit:
    """One matching article, with its headline and an extract marked up for the results page."""

    article: Article
    title: Markup
    snippet: Markup


@dataclass(frozen=True)
class Results:
    """One page of matches for the query actually run ('' when nothing was searchable)."""

    query: str
    total: int
    hits: list[Hit]


class SearchIndex:
    """The FTS5 index of the published articles, safe to share between threads.

    ``text_of`` gives an article's Markdown (from the store: articles in memory carry none).
    """

    def __init__(self, store: Store, text_of: Callable[[Article], str]) -> None:
        self.store = store
        self._text_of = text_of
        store.add_schema(_SCHEMA)  # made again should the store's file start again
        self._lock = threading.Lock()  # taken by writers of the maps below; readers need none
        # Everything is by record number (``content/records.py``), not by article: at
        # 100,000 articles a map of objects cost more than the index it served.
        self._records: Records | None = None  # what the numbers below are numbers into
        self._row_of = array("i")  # record → its row, for rows known to exist (-1: none)
        # Row → the published record it stands for (-1: none); row → the others, for files
        # byte for byte the same (rare: kept apart, as a list per row would cost memory per
        # article). One tuple, swapped whole: no reader sees one map new and the other old.
        self._maps: tuple[array[int], dict[int, tuple[int, ...]]] = (array("i"), {})
        self._wanted = bytearray()  # by record: published and not searchable yet
        self._missing = 0
        self._worker: threading.Thread | None = None
        # Articles handed in as objects rather than as the library's records (tests, tools):
        # packed into records of the engine's own, and given back as they came.
        self._own = Records()
        self._given: dict[int, Article] = {}

    def reset(self) -> None:
        """Forget every row known: after a store error, its file may be a new one."""
        with self._lock:
            self._records = None
            self._row_of = array("i")
            self._maps = (array("i"), {})
            self._wanted = bytearray()
            self._missing = 0

    @property
    def missing(self) -> int:
        """Published articles not searchable yet (the background thread is indexing them)."""
        return self._missing

    def _listed(self, articles: Sequence[Article]) -> ArticleList:
        """The articles as records: the library's own, or packed here."""
        if isinstance(articles, ArticleList):
            return articles
        given = {self._own.add(article): article for article in articles}
        self._given = given
        return ArticleList(self._own, array("I", given))

    def _article(self, rid: int) -> Article:
        given = self._given.get(rid)
        if given is not None and self._records is self._own:
            return given
        assert self._records is not None
        return self._records.article(rid)

    def sync(self, articles: Sequence[Article]) -> None:
        """Make the index stand for exactly ``articles`` (the index's list of records, or
        articles). Up to ``INLINE`` new versions are indexed at once; more (a first start) by
        a background thread, newest first, searchable as it goes."""
        with self._lock:
            listed = self._listed(articles)
            records = listed.records
            if records is not self._records:
                self._records, self._row_of = records, array("i")
            row_of = self._row_of
            if len(row_of) < len(records):
                row_of.extend([-1] * (len(records) - len(row_of)))
            needed = [rid for rid in listed.ids if row_of[rid] < 0]
            if needed:
                self._learn(needed)  # rows this or another process already wrote
                missing = [rid for rid in needed if row_of[rid] < 0]
                if len(missing) <= INLINE:
                    self._index(missing)
            # Swapped in whole: a search sees the last sync or this one, never half of it.
            rid_of_row = array("i")
            twins: dict[int, tuple[int, ...]] = {}
            wanted = bytearray(len(records))
            missing_count = 0
            for rid in listed.ids:
                row = row_of[rid]
                if row < 0:
                    wanted[rid] = 1
                    missing_count += 1
                    continue
                if row >= len(rid_of_row):
                    rid_of_row.extend([-1] * (row + 1 - len(rid_of_row)))
                if rid_of_row[row] < 0:
                    rid_of_row[row] = rid
                else:
                    twins[row] = (*twins.get(row, ()), rid)
            self._maps = (rid_of_row, twins)
            self._missing = missing_count
            self._wanted = wanted if missing_count else bytearray()
            if missing_count and (self._worker is None or not self._worker.is_alive()):
                order = array("I", listed.ids)  # newest first
                self._worker = threading.Thread(
                    target=self._index_in_background,
                    args=(order,),
                    name="search-index",
                    daemon=True,
                )
                self._worker.start()

    def _learn(self, rids: list[int]) -> None:
        """Find the rows already written for these records' versions (held: ``self._lock``
        or the background's turn), a few hundred hashes a query."""
        records = self._records
        assert records is not None
        for start in range(0, len(rids), LOOKUP):
            by_hash: dict[str, list[int]] = {}
            for rid in rids[start : start + LOOKUP]:
                by_hash.setdefault(records.source_hash(rid), []).append(rid)
            marks = ", ".join("?" * len(by_hash))
            with self.store.reading() as db:
                rows = db.execute(
                    f"SELECT hash, id FROM {_ROWS} WHERE hash IN ({marks})", list(by_hash)
                )
                found = rows.fetchall()
            for source_hash, rowid in found:
                for rid in by_hash.get(source_hash, ()):
                    self._row_of[rid] = rowid

    def _index(self, rids: list[int]) -> list[tuple[int, int]]:
        """Write the rows of these records' versions (held: ``self._lock``); (record, row)."""
        rows = _rows([self._article(rid) for rid in rids], self._text_of)
        written = list(zip(rids, (rowid for _, rowid in self._write(rows)), strict=True))
        for rid, rowid in written:
            self._row_of[rid] = rowid
        return written

    def _index_in_background(self, order: array[int]) -> None:
        """Index what is missing, newest first, a batch at a time. One process of the host
        does it at a time (a lock beside the store): the others find its rows as it writes
        them. A store error ends it: the next sync starts another."""
        try:
            with HostTurn(self.store.path.parent / f"{self.store.path.name}.search-lock") as turn:
                self._index_missing(order, turn)
        except (sqlite3.Error, OSError) as e:
            log.warning("search index not built further: %s", e)

    def _index_missing(self, order: array[int], turn: HostTurn) -> None:
        while True:
            with self._lock:
                wanted, row_of = self._wanted, self._row_of
                missing = [r for r in order if r < len(wanted) and wanted[r] and row_of[r] < 0]
                if not missing:
                    self._wanted = bytearray()  # built: what the next sync needs is in the maps
                    return
            mine = turn.take()  # our turn to write, or another process's (then we read)
            batch = missing[:BATCH] if mine else missing[: LOOKUP * 10]
            with self._lock:
                if self._wanted is not wanted:
                    continue  # a sync came in between: start again from its list
                self._learn(batch)
                if mine:
                    self._index([rid for rid in batch if row_of[rid] < 0])
                rid_of_row, twins = self._maps
                for rid in batch:
                    row = row_of[rid]
                    if row < 0 or not wanted[rid]:
                        continue
                    wanted[rid] = 0
                    if row >= len(rid_of_row):
                        rid_of_row.extend([-1] * (row + 1 - len(rid_of_row)))
                    if rid_of_row[row] < 0:
                        rid_of_row[row] = rid  # searchable from now on
                    else:
                        twins[row] = (*twins.get(row, ()), rid)
                    self._missing -= 1
            if not mine:
                turn.wait(WAIT)

    def _write(self, rows: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[str, int]]:
        """Write these rows (held: ``self._lock``); (content hash, row) of each."""
        if not rows:
            return []
        with self.store.transaction() as db:
            return [(source_hash, self._insert(db, source_hash, row)) for source_hash, row in rows]

    def _insert(self, db: sqlite3.Connection, source_hash: str, row: tuple[Any, ...]) -> int:
        """The row of this version, written unless another process already did."""
        date, *columns = row
        cursor = db.execute(
            f"INSERT OR IGNORE INTO {_ROWS} (hash, date) VALUES (?, ?)", (source_hash, date)
        )
        if cursor.rowcount == 0:
            (rowid,) = db.execute(
                f"SELECT id FROM {_ROWS} WHERE hash = ?", (source_hash,)
            ).fetchone()
            return int(rowid)
        rowid = cursor.lastrowid
        assert rowid is not None  # an INSERT always has one
        db.execute(
            f"INSERT INTO {_DOCS} (rowid, {', '.join(WEIGHTS)}) VALUES (?, ?, ?, ?, ?, ?)",
            (rowid, *columns),
        )
        return rowid

    def prune(self) -> int:
        """Drop the rows of versions the store no longer holds (after ``Store.prune``);
        how many. Housekeeping: a failing store skips it (logged) until the next start."""
        try:
            return self._prune()
        except sqlite3.Error as e:
            log.warning("search index not pruned: %s", e)
            return 0

    def _prune(self) -> int:
        with self._lock, self.store.transaction() as db:
            gone = [
                rowid
                for (rowid,) in db.execute(
                    f"SELECT id FROM {_ROWS} WHERE hash NOT IN (SELECT hash FROM texts)"
                )
            ]
            for rowid in gone:
                db.execute(f"DELETE FROM {_DOCS} WHERE rowid = ?", (rowid,))
                db.execute(f"DELETE FROM {_ROWS} WHERE id = ?", (rowid,))
            dropped = set(gone)
            for rid, row in enumerate(self._row_of):
                if row in dropped:
                    self._row_of[rid] = -1
        return len(gone)

    def search(self, query: str, limit: int = 10, offset: int = 0) -> Results:
        """The ``limit`` best matches after ``offset``; any text at all is a valid query.
        ``sqlite3.Error`` when the store fails (its file gone, damaged, unreadable)."""
        words = query_words(query)
        if not words:
            return Results("", 0, [])
        try:
            with self.store.reading() as db:
                return Results(" ".join(words), *self._page(db, fts_query(words), limit, offset))
        except sqlite3.Error as e:
            if not _refused(e):
                raise
            # Quoting makes every query valid FTS5; should the engine still refuse one,
            # the reader sees no matches rather than an error page.
            return Results(" ".join(words), 0, [])

    def _page(
        self, db: sqlite3.Connection, match: str, limit: int, offset: int
    ) -> tuple[int, list[Hit]]:
        """How many published articles match, and the requested slice of them, best first."""
        rid_of_row, twins = self._maps
        size = len(rid_of_row)

        def live(rowid: int) -> bool:
            return rowid < size and rid_of_row[rowid] >= 0

        matching = db.execute(f"SELECT rowid FROM {_DOCS} WHERE {_DOCS} MATCH ?", (match,))
        total = sum(1 + len(twins.get(rowid, ())) for (rowid,) in matching if live(rowid))
        offset = max(offset, 0)
        if limit <= 0 or offset >= total:
            return total, []
        ranked = (
            (rowid, rid)
            for (rowid,) in db.execute(_RANKED, (match,))
            if live(rowid)
            for rid in (rid_of_row[rowid], *twins.get(rowid, ()))
        )
        page = [
            (rowid, self._article(rid))
            for rowid, rid in itertools.islice(ranked, offset, offset + limit)
        ]
        return total, self._hits(db, match, page)

    def _hits(
        self, db: sqlite3.Connection, match: str, page: list[tuple[int, Article]]
    ) -> list[Hit]:
        """Highlights for one page only: marking up every match would cost more than ranking."""
        marks = (OPEN, CLOSE, OPEN, CLOSE, OPEN, CLOSE, "…", SNIPPET_TOKENS)
        rows = db.execute(
            f"SELECT rowid, highlight({_DOCS}, 0, ?, ?), highlight({_DOCS}, 1, ?, ?), "
            f"snippet({_DOCS}, 4, ?, ?, ?, ?) FROM {_DOCS} WHERE {_DOCS} MATCH ? "
            f"AND rowid IN ({', '.join('?' * len(page))})",
            (*marks, match, *(rowid for rowid, _ in page)),
        )
        found = {rowid: (title, standfirst, text) for rowid, title, standfirst, text in rows}
        hits = []
        for rowid, article in page:
            title, standfirst, text = found[rowid]
            extract = text if OPEN in text or not standfirst else standfirst
            hits.append(Hit(article, marked_up(title), marked_up(extract)))
        return hits


class HostTurn:
    """Whose turn it is, among the processes of a host, to write the search index: an
    ``flock`` on a file beside the store, held by one process until it is done (or dies)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None
        self._asleep = threading.Event()

    def __enter__(self) -> HostTurn:
        return self

    def take(self) -> bool:
        """True when this process holds the turn (taken now if it is free)."""
        if self._file is not None:
            return True
        held = open(self.path, "ab")  # "a": created if missing, never truncated
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.close()
            return False
        self._file = held
        return True

    def wait(self, seconds: float) -> None:
        self._asleep.wait(seconds)

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()  # releases the lock
            self._file = None


def _refused(error: sqlite3.Error) -> bool:
    """True when FTS5 refused the query itself, not when the store failed: a plain
    SQLITE_ERROR (a syntax error), but not a table missing from a file started again."""
    name = getattr(error, "sqlite_errorname", "")
    return name == "SQLITE_ERROR" and not str(error).startswith("no such")


def _rows(
    articles: Sequence[Article], text_of: Callable[[Article], str]
) -> list[tuple[str, tuple[Any, ...]]]:
    """(content hash, (date, headline, standfirst, tags, category, text)) as indexed."""
    return [
        (
            article.source_hash,
            (
                int(article.date.timestamp() * 1_000_000),
                clean(article.title),
                clean(article.standfirst),
                clean(" ".join(article.tags)),
                clean(article.category or ""),
                plain_text(text_of(article)),
            ),
        )
        for article in articles
    ]

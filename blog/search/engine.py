"""Full-text search over the published articles: SQLite FTS5, ranked with bm25.

The index is a cache of the library's articles, kept in step by ``sync()`` one changed file at
a time, so a single edit never rebuilds it. Nothing here knows about Flask or requests: a view
passes the reader's text in and renders the ``Results``. Reader text is never FTS5 syntax; it is
cut into words and each word is quoted, so no input can raise.
"""

from __future__ import annotations

import itertools
import logging
import random
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from blog.content.models import Article
from blog.content.store import Store
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
        self._rowids: dict[str, int] = {}  # content hash → row, for rows known to exist
        # Row → the published article it stands for; row → the others, for files byte for
        # byte the same (rare: kept apart, as a list per row would cost memory per article).
        # One tuple, swapped whole: no reader sees one map new and the other old.
        self._maps: tuple[dict[int, Article], dict[int, tuple[Article, ...]]] = ({}, {})
        self._wanted: dict[str, list[Article]] = {}  # hash → articles, while a build runs
        self._missing = 0
        self._worker: threading.Thread | None = None

    def reset(self) -> None:
        """Forget every row known: after a store error, its file may be a new one."""
        with self._lock:
            self._rowids = {}
            self._maps = ({}, {})
            self._wanted = {}
            self._missing = 0

    @property
    def missing(self) -> int:
        """Published articles not searchable yet (the background thread is indexing them)."""
        return self._missing

    def sync(self, articles: Sequence[Article]) -> None:
        """Make the index stand for exactly ``articles``. Up to ``INLINE`` new versions are
        indexed at once; more (a first start) by a background thread, searchable as it goes."""
        wanted: dict[str, list[Article]] = {}
        for article in articles:
            wanted.setdefault(article.source_hash, []).append(article)
        with self._lock:
            if len(self._rowids) < len(wanted) // 2:
                self._rowids.update(self._known_rows(wanted))  # a new process: one read
            missing = [a[0] for h, a in wanted.items() if h not in self._rowids]
            if len(missing) <= INLINE:
                self._write(_rows(missing, self._text_of))
            # Swapped in whole: a search sees the last sync or this one, never half of it.
            live: dict[int, Article] = {}
            twins: dict[int, tuple[Article, ...]] = {}
            for source_hash, same in wanted.items():
                rowid = self._rowids.get(source_hash)
                if rowid is not None:
                    live[rowid] = same[0]
                    if len(same) > 1:
                        twins[rowid] = tuple(same[1:])
            self._maps = (live, twins)
            self._missing = len(articles) - len(live) - sum(map(len, twins.values()))
            self._wanted = wanted if self._missing else {}
            if self._missing and (self._worker is None or not self._worker.is_alive()):
                self._worker = threading.Thread(
                    target=self._index_in_background, name="search-index", daemon=True
                )
                self._worker.start()

    def _known_rows(self, wanted: dict[str, list[Article]]) -> dict[str, int]:
        """Rows already written for these versions, keyed by the articles' own hash strings
        (fresh copies from SQLite would cost a string per article in every worker)."""
        with self.store.reading() as db:
            rows = db.execute(f"SELECT hash, id FROM {_ROWS}")
            return {same[0].source_hash: rowid for h, rowid in rows if (same := wanted.get(h))}

    def _index_in_background(self) -> None:
        """Index what is missing, a batch at a time, from a point of its own in the list (so
        several processes starting together share the work rather than repeat it). A store
        error ends it: the next sync starts another."""
        try:
            self._index_missing()
        except sqlite3.Error as e:
            log.warning("search index not built further: %s", e)

    def _index_missing(self) -> None:
        while True:
            with self._lock:
                missing = [a[0] for h, a in self._wanted.items() if h not in self._rowids]
                if not missing:
                    self._wanted = {}  # built: what the next sync needs is in the maps
                    return
            start = random.randrange(len(missing))
            rows = _rows((missing[start:] + missing[:start])[:BATCH], self._text_of)
            with self._lock:
                live, twins = self._maps
                for source_hash, rowid in self._write(rows):
                    same = self._wanted.get(source_hash)
                    if same is not None and rowid not in live:
                        if len(same) > 1:
                            twins[rowid] = tuple(same[1:])
                        live[rowid] = same[0]  # searchable from now on
                        self._missing -= len(same)

    def _write(self, rows: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[str, int]]:
        """Write these rows (held: ``self._lock``); (content hash, row) of each."""
        if not rows:
            return []
        with self.store.transaction() as db:
            added = [(source_hash, self._insert(db, source_hash, row)) for source_hash, row in rows]
        self._rowids.update(added)
        return added

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
            self._rowids = {h: r for h, r in self._rowids.items() if r not in dropped}
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
        live, twins = self._maps
        matching = db.execute(f"SELECT rowid FROM {_DOCS} WHERE {_DOCS} MATCH ?", (match,))
        total = sum(1 + len(twins.get(rowid, ())) for (rowid,) in matching if rowid in live)
        offset = max(offset, 0)
        if limit <= 0 or offset >= total:
            return total, []
        ranked = (
            (rowid, article)
            for (rowid,) in db.execute(_RANKED, (match,))
            if rowid in live
            for article in (live[rowid], *twins.get(rowid, ()))
        )
        page = list(itertools.islice(ranked, offset, offset + limit))
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

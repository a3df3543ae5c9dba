"""Full-text search over the published articles: SQLite FTS5 in memory, ranked with bm25.

The index is a cache of the library's articles, kept in step by ``sync()`` one changed file at
a time, so a single edit never rebuilds it. Nothing here knows about Flask or requests: a view
passes the reader's text in and renders the ``Results``. Reader text is never FTS5 syntax; it is
cut into words and each word is quoted, so no input can raise.
"""

from __future__ import annotations

import html
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .models import Article

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
SNIPPET_TOKENS = 24
# Column order of the table, and the bm25 weight of each: a headline or tag match outranks a
# match buried in the text.
WEIGHTS = {"headline": 10.0, "standfirst": 3.0, "tags": 8.0, "category": 5.0, "text": 1.0}
# Private markers around matched words: control characters are stripped from everything
# indexed, so these can only come from highlight()/snippet().
OPEN, CLOSE = "\x02", "\x03"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_LINK_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$", re.MULTILINE)
_BULLET = re.compile(r"^\s*(?:[-+*]\s+|(?:>\s*)+)", re.MULTILINE)  # list items, quotes
_MARKS = re.compile(r"[*_`~#|]+")
_WORD = re.compile(r"[^\W_]+")

# Publication dates live in a side table: reading an FTS5 column, even an UNINDEXED one,
# loads the whole stored row, which would make every tie-break cost a full article.
_SCHEMA = f"""
CREATE VIRTUAL TABLE docs USING fts5(
    {", ".join(WEIGHTS)}, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE dates (id INTEGER PRIMARY KEY, date INTEGER NOT NULL);
"""
_RANK = f"bm25(docs, {', '.join(str(w) for w in WEIGHTS.values())})"
_PAGE = f"""
SELECT docs.rowid FROM docs JOIN dates ON dates.id = docs.rowid WHERE docs MATCH ?
ORDER BY {_RANK}, dates.date DESC, docs.rowid LIMIT ? OFFSET ?
"""


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
    """An in-memory FTS5 index of the published articles, safe to share between threads."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._stamps: dict[str, tuple[str, str]] = {}  # path → (source_hash, slug) indexed
        self._rowids: dict[str, int] = {}
        self._paths: dict[int, str] = {}
        self._articles: dict[str, Article] = {}

    def sync(self, articles: Sequence[Article]) -> None:
        """Make the index hold exactly ``articles``, touching only rows that changed."""
        wanted = {a.path: a for a in articles}
        with self._lock:
            current = {path: _stamp(article) for path, article in wanted.items()}
            stale = [p for p, stamp in self._stamps.items() if current.get(p) != stamp]
            fresh = [a for p, a in wanted.items() if self._stamps.get(p) != current[p]]
            with self._db:  # one transaction: all of it or, on an error, none of it
                for path in stale:
                    self._delete(self._rowids[path])
                added = [(article, self._insert(article)) for article in fresh]
            # The maps change only once the rows have: they always describe the table.
            for path in stale:
                del self._stamps[path], self._paths[self._rowids.pop(path)]
            for article, rowid in added:
                self._stamps[article.path] = current[article.path]
                self._rowids[article.path], self._paths[rowid] = rowid, article.path
            self._articles = wanted

    def search(self, query: str, limit: int = 10, offset: int = 0) -> Results:
        """The ``limit`` best matches after ``offset``; any text at all is a valid query."""
        words = query_words(query)
        if not words:
            return Results("", 0, [])
        match = fts_query(words)
        with self._lock:
            try:
                return Results(" ".join(words), *self._page(match, limit, offset))
            except sqlite3.Error:
                # Quoting makes every query valid FTS5; should the engine still refuse one,
                # the reader sees no matches rather than an error page.
                return Results(" ".join(words), 0, [])

    def _page(self, match: str, limit: int, offset: int) -> tuple[int, list[Hit]]:
        """How many articles match, and the requested slice of them, best first."""
        (total,) = self._db.execute(
            "SELECT count(*) FROM docs WHERE docs MATCH ?", (match,)
        ).fetchone()
        if limit <= 0 or offset >= total:  # also keeps huge numbers away from SQLite's integers
            return total, []
        page = (match, min(limit, total), max(offset, 0))
        rowids = [row[0] for row in self._db.execute(_PAGE, page)]
        return total, self._hits(match, rowids)

    def _hits(self, match: str, rowids: list[int]) -> list[Hit]:
        """Highlights for one page only: marking up every match would cost more than ranking."""
        marks = (OPEN, CLOSE, OPEN, CLOSE, OPEN, CLOSE, "…", SNIPPET_TOKENS)
        rows = self._db.execute(
            "SELECT rowid, highlight(docs, 0, ?, ?), highlight(docs, 1, ?, ?), "
            "snippet(docs, 4, ?, ?, ?, ?) FROM docs WHERE docs MATCH ? "
            f"AND rowid IN ({', '.join('?' * len(rowids))})",
            (*marks, match, *rowids),
        )
        found = {rowid: (title, standfirst, text) for rowid, title, standfirst, text in rows}
        hits = []
        for rowid in rowids:
            title, standfirst, text = found[rowid]
            extract = text if OPEN in text or not standfirst else standfirst
            article = self._articles[self._paths[rowid]]
            hits.append(Hit(article, marked_up(title), marked_up(extract)))
        return hits

    def _insert(self, article: Article) -> int:
        """Add one article's row; its rowid, which FTS5 chooses."""
        cursor = self._db.execute(
            "INSERT INTO docs (headline, standfirst, tags, category, text) VALUES (?, ?, ?, ?, ?)",
            (
                clean(article.title),
                clean(article.standfirst),
                clean(" ".join(article.tags)),
                clean(article.category or ""),
                plain_text(article.markdown),
            ),
        )
        rowid = cursor.lastrowid
        assert rowid is not None  # an INSERT always has one
        date = int(article.date.timestamp() * 1_000_000)
        self._db.execute("INSERT INTO dates (id, date) VALUES (?, ?)", (rowid, date))
        return rowid

    def _delete(self, rowid: int) -> None:
        self._db.execute("DELETE FROM docs WHERE rowid = ?", (rowid,))
        self._db.execute("DELETE FROM dates WHERE id = ?", (rowid,))


def _stamp(article: Article) -> tuple[str, str]:
    """What makes an indexed row stale: the file's content, or the slug the index gave it."""
    return article.source_hash, article.slug


def query_words(query: str) -> list[str]:
    """The reader's words: letters and digits only, at most 12 from the first 200 characters."""
    text = unicodedata.normalize("NFC", query[:MAX_QUERY_CHARS] if isinstance(query, str) else "")
    return _WORD.findall(text)[:MAX_QUERY_WORDS]


def fts_query(words: Sequence[str]) -> str:
    """Every word quoted (so none is syntax) and required; the last one may be unfinished."""
    terms = [f'"{w.replace(chr(34), chr(34) * 2)}"' for w in words]
    if len(words[-1]) >= 2:
        terms[-1] += "*"
    return " AND ".join(terms)


def clean(text: str) -> str:
    """Text as indexed: NFC, no control characters, whitespace collapsed."""
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", text)).split())


def plain_text(markdown: str) -> str:
    """The words a reader sees in an article's Markdown and HTML, without the markup."""
    text = _COMMENT.sub(" ", markdown)
    text = _TAG.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _LINK_DEFINITION.sub(" ", text)
    text = _RULE.sub(" ", text)
    text = _BULLET.sub(" ", text)
    text = _MARKS.sub(" ", html.unescape(text))
    return clean(text)


def marked_up(text: str) -> Markup:
    """Escape everything from the article, then turn the private markers into ``<mark>``."""
    escaped = str(escape(text))
    return Markup(escaped.replace(OPEN, "<mark>").replace(CLOSE, "</mark>"))

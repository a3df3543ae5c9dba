"""Article text for pages: Markdown from the store by content hash (HTML: ``markup/html.py``).

Articles in memory carry no text (``Article.without_text``); a page asks here. A text the
store has not taken yet (it is failing) is in memory. The store can lack a version (pruned by
another process, its file deleted and recreated) or fail to answer: then the file itself is
read, if it still holds that version, and its text stored again. Nothing here ever raises
into a request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from blog.content.models import Article, ArticleError, join_parts, parse_article
from blog.content.store import Parts
from blog.content.store_writes import StoreWrites


class Texts:
    """Where pages get an article's Markdown."""

    def __init__(
        self,
        writes: StoreWrites,
        root: Path,
        timezone: dt.tzinfo,
        report: Callable[..., None],
    ) -> None:
        self.writes = writes
        self.root = root
        self.timezone = timezone
        self._report = report
        self._lost: set[str] = set()  # versions whose text is nowhere to be found

    def lost(self, article: Article) -> bool:
        """True when the last look for this version's text found none (its page shows the
        headline only, and must not be kept)."""
        return article.source_hash in self._lost

    def markdown(self, article: Article) -> str:
        """The article's full Markdown source."""
        return join_parts(self.parts(article))

    def parts(self, article: Article) -> Parts:
        """(field, Markdown) of the article's sections and body."""
        if article.has_text:
            return article.parts
        parts = self.writes.unstored(article.source_hash)
        if parts is None:
            try:
                parts = self.writes.store.parts(article.source_hash)
            except sqlite3.Error as e:
                self.writes.failed(e)
        if parts is None:
            parts = self._reread(article)
        if parts is None:
            self._lost.add(article.source_hash)
            message = f"{article.path}: text of this version lost"
            self._report(f"text:{article.source_hash}", message)
            return [("body", "")]
        self._lost.discard(article.source_hash)
        return parts

    def stored(self, article: Article) -> Parts | None:
        """The article's text from memory or the store only (None: not there, or the store
        failed)."""
        if article.has_text:
            return article.parts
        parts = self.writes.unstored(article.source_hash)
        if parts is None:
            try:
                parts = self.writes.store.parts(article.source_hash)
            except sqlite3.Error as e:
                self.writes.failed(e)
        return parts

    def _reread(self, article: Article) -> Parts | None:
        """The store lacks this version: its file may still hold it (stored again then)."""
        try:
            data = (self.root / article.path).read_bytes()
            if hashlib.sha256(data).hexdigest() != article.source_hash:
                return None
            whole = parse_article(article.path, data, article.source_hash, self.timezone)
        except (OSError, ArticleError):
            return None
        # Read whole for the first time since a first start read it light: its problems
        # are logged now (once, with the same keys as when a file is read).
        for p in whole.problems:
            self._report(
                f"{article.path}:{article.source_hash}:{p.line}:{p.field}",
                f"{article.path}:{p.line}: {p.field}: {p.message}",
                logging.ERROR if p.severity == "error" else logging.WARNING,
            )
        parts = whole.parts
        self.writes.store_text(article.source_hash, parts)
        return parts

"""Article text for pages: Markdown from the store by content hash (HTML: ``markup/html.py``).

Articles in memory carry no text (``Article.without_text``); a page asks here. The store can
lack a version (pruned by another process, or its file deleted and recreated): then the file
itself is read, if it still holds that version. Nothing here ever raises into a request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

from blog.content.models import Article, ArticleError, join_parts, parse_article
from blog.content.store import Parts, Store


class Texts:
    """Where pages get an article's Markdown."""

    def __init__(
        self,
        store: Store,
        root: Path,
        timezone: dt.tzinfo,
        report: Callable[[str, str], None],
    ) -> None:
        self.store = store
        self.root = root
        self.timezone = timezone
        self._report = report

    def markdown(self, article: Article) -> str:
        """The article's full Markdown source."""
        return join_parts(self.parts(article))

    def parts(self, article: Article) -> Parts:
        """(field, Markdown) of the article's sections and body."""
        if article.has_text:
            return article.parts
        try:
            parts = self.store.parts(article.source_hash)
        except sqlite3.Error as e:
            self._report(f"store-read:{e}", f"store {self.store.path} unreadable: {e}")
            parts = None
        return parts if parts is not None else self._reread(article)

    def _reread(self, article: Article) -> Parts:
        """The store lacks this version: its file may still hold it."""
        try:
            data = (self.root / article.path).read_bytes()
            if hashlib.sha256(data).hexdigest() == article.source_hash:
                parts = parse_article(article.path, data, article.source_hash, self.timezone).parts
                self.store.put([(article.source_hash, parts)])
                return parts
        except (OSError, ArticleError, sqlite3.Error):
            pass
        self._report(f"text:{article.source_hash}", f"{article.path}: text of this version lost")
        return [("body", "")]

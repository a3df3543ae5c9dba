"""An article's sanitized HTML, rendered once per version while it is in use.

Rendering a long article costs milliseconds; the page cache keeps whole pages, but an
article's HTML is also wanted by the full-content feeds and by the background refresher,
which renders an edit before its first reader asks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from markupsafe import Markup

from blog.content.index import Index
from blog.content.models import Article
from blog.content.store import Parts
from blog.markup.render import Renderer

HTML_MEMO = 256  # rendered articles kept per process; the page cache keeps whole pages


class ArticleHtml:
    """Sanitized HTML of articles, memoized by content hash.

    Each field (``mk1``…``mk5``, the body) is rendered as its own document
    (``Renderer.html_of_parts``), so nothing in one can swallow the next.
    """

    def __init__(self, parts: Callable[[Article], Parts], renderer: Renderer) -> None:
        self.parts = parts  # (field, Markdown) of an article: the library's texts
        self.renderer = renderer
        self._html: OrderedDict[str, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def html(self, article: Article) -> Markup:
        """The article's sanitized HTML, rendered once per version while it is in use."""
        key = article.source_hash
        html = self._html.get(key)
        if html is None:
            html = self.renderer.html_of_parts(self.parts(article))
            with self._lock:
                self._html[key] = html
                if len(self._html) > HTML_MEMO:
                    self._html.popitem(last=False)
        return html

    def replaced(self, old: Index, changed: set[str]) -> None:
        """Forget the HTML of versions no longer served (the library calls this on a swap)."""
        with self._lock:
            for path in changed & old.files.keys():
                self._html.pop(old.files[path].source_hash, None)

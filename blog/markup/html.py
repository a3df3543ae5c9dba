"""An article's sanitized HTML, rendered once per version while it is in use, within a budget.

Rendering a long article costs milliseconds; the page cache keeps whole pages, but an
article's HTML is also wanted by the full-content feeds and by the background refresher,
which renders an edit before its first reader asks.

Some texts take the Markdown parser minutes (``bench/pathological.py``). An article with a
field that could (``render.costly``) is rendered in a child process with a time budget
(``RENDER_BUDGET``, ``isolated.py``); a version that overruns it is stopped, remembered,
reported once with its file, and served as the article's last good HTML, or as its plain
text when there is none. And a version is rendered by one thread at a time: readers who ask
while it renders wait for that render instead of starting their own.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future

from markupsafe import Markup

from blog.content.index import Index
from blog.content.models import Article
from blog.content.store import Parts
from blog.markup.isolated import Busy, IsolatedRenderer, OverBudget, RenderFailed
from blog.markup.render import Renderer, costly, plain_paragraphs

log = logging.getLogger(__name__)

HTML_MEMO = 256  # rendered articles kept per process; the page cache keeps whole pages
PREVIOUS = 256  # HTML of replaced versions kept, in case their successor overruns its budget


class ArticleHtml:
    """Sanitized HTML of articles, memoized by content hash.

    Each field (``mk1``…``mk5``, the body) is rendered as its own document
    (``Renderer.html_of_parts``), so nothing in one can swallow the next.
    """

    def __init__(
        self, parts: Callable[[Article], Parts], renderer: Renderer, budget: float = 0
    ) -> None:
        self.parts = parts  # (field, Markdown) of an article: the library's texts
        self.renderer = renderer
        self.budget = budget  # seconds a costly render may take; 0: no limit
        self.isolated = IsolatedRenderer(renderer.embed_hosts)
        self._html: OrderedDict[str, Markup] = OrderedDict()
        self._previous: OrderedDict[str, Markup] = OrderedDict()  # by path: replaced versions
        self._over: set[str] = set()  # versions that overran the budget
        self._rendering: dict[str, Future[Markup]] = {}
        self._lock = threading.Lock()

    def html(self, article: Article) -> Markup:
        """The article's sanitized HTML, rendered once per version while it is in use."""
        key = article.source_hash
        with self._lock:
            html = self._html.get(key)
            if html is not None:
                return html
            pending = self._rendering.get(key)
            if pending is None:
                pending = self._rendering[key] = Future()
                mine = True
            else:
                mine = False
        if not mine:
            return pending.result()  # another thread renders it: wait for that
        try:
            html, final = self._render(article)
        except BaseException as e:
            with self._lock:
                del self._rendering[key]
            pending.set_exception(e)
            raise
        with self._lock:
            del self._rendering[key]
            if final:
                self._html[key] = html
                if len(self._html) > HTML_MEMO:
                    self._html.popitem(last=False)
        pending.set_result(html)
        return html

    def expect(self, articles: Iterable[Article]) -> None:
        """Start the render process now if one of these articles will need it, so that its
        start (a fresh interpreter) overlaps the caller's other work: ``flask freeze`` after
        an edit. Not before forking (see ``IsolatedRenderer.warm``)."""
        if self.budget > 0 and any(
            costly("\n".join(text for _, text in self.parts(a))) for a in articles
        ):
            self.isolated.warm()

    def _render(self, article: Article) -> tuple[Markup, bool]:
        """The version's HTML, and whether it is final (not a stand-in to try again)."""
        parts = self.parts(article)
        if self.budget <= 0 or not costly("\n".join(text for _, text in parts)):
            return self.renderer.html_of_parts(parts), True
        final = True
        if article.source_hash not in self._over:
            try:
                html = self.isolated.html_of_parts(parts, self.budget)
            except (Busy, RenderFailed) as e:
                # Another costly article held the child, or no child could run: nothing is
                # known of this text, so try again next time.
                final = False
                log.warning("content: %s: not rendered this time: %s", article.path, e)
            except OverBudget:
                self._over.add(article.source_hash)
                log.error(
                    "content: %s: rendering took longer than RENDER_BUDGET (%g s) and was "
                    "stopped; readers get %s until the file changes (flask content check "
                    "names the field)",
                    article.path,
                    self.budget,
                    "its last good version" if article.path in self._previous else "its text",
                )
            else:
                with self._lock:
                    self._previous.pop(article.path, None)
                return html, True
        previous = self._previous.get(article.path)
        return (previous if previous is not None else plain_text(parts)), final

    def replaced(self, old: Index, changed: set[str]) -> None:
        """Forget the HTML of versions no longer served (the library calls this on a swap),
        keeping the last of each article in case its new version overruns the budget."""
        with self._lock:
            for path in changed & old.files.keys():
                html = self._html.pop(old.files[path].source_hash, None)
                if html is not None and old.files[path].source_hash not in self._over:
                    self._previous[path] = html
                    self._previous.move_to_end(path)
            while len(self._previous) > PREVIOUS:
                self._previous.popitem(last=False)


def plain_text(parts: Parts) -> Markup:
    """An article's fields as escaped paragraphs: what readers get of a version that
    cannot be rendered in time and has no good predecessor."""
    return Markup("\n".join(plain_paragraphs(text) for _, text in parts if text.strip()))

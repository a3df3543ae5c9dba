"""The search page: a query in, a page of ranked, highlighted results out."""

from __future__ import annotations

import threading
from dataclasses import replace

from flask import Blueprint, abort, current_app, request
from werkzeug.wrappers import Response as HTTPResponse

from blog.content.library import Library
from blog.search.engine import SearchIndex
from blog.web import meta
from blog.web.cache import cached_page_varying, current_index
from blog.web.pages import newest_change, render_page
from blog.web.pagination import page_of

bp = Blueprint("search", __name__)

MAX_QUERY = 200  # characters of a search query that are read at all


class LiveSearch:
    """The app's search engine, kept at the library's current content version."""

    def __init__(self, engine: SearchIndex, library: Library) -> None:
        self.engine = engine
        self.library = library
        self._version: str | None = None
        self._lock = threading.Lock()

    def current(self) -> SearchIndex:
        """The engine, synced first if the content changed (incrementally: only changed
        articles). Always to the library's newest index, so no sync ever goes backwards; a
        request has refreshed it already (``current_index``), this never does."""
        if self._version != self.library.current.version:
            with self._lock:
                index = self.library.current
                if self._version != index.version:
                    self.engine.sync(index.articles)
                    self._version = index.version
        return self.engine


def _live_search() -> LiveSearch:
    live: LiveSearch = current_app.extensions["blog.search"]
    return live


@bp.route("/search")
@cached_page_varying("q", "page")
def search() -> HTTPResponse:
    """Search over headline, standfirst, tags, category and text; ``q`` is plain text."""
    query = request.args.get("q", "")[:MAX_QUERY]
    number = request.args.get("page", "1")
    if not number.isdigit() or len(number) > 6 or int(number) < 1:
        abort(400)
    per_page = int(current_app.config["PER_PAGE"])
    engine = _live_search().current()
    results = engine.search(query, limit=per_page, offset=(int(number) - 1) * per_page)
    page = page_of(
        results.hits, results.total, int(number), "search.search", "page", q=results.query
    )
    title = f"Search: {results.query}" if results.query else "Search"
    page_meta = replace(
        meta.PageMeta(
            title,
            f"Articles on {current_app.config['SITE_NAME']} matching "
            f"{results.query or 'your words'}.",
            "",
            meta.image_url(None),
        ),
        robots="noindex, follow",
    )
    response = render_page(
        "search.html",
        newest_change([hit.article for hit in results.hits]),
        results=results,
        page=page,
        latest=current_index().articles[:6],
        search_query=results.query,
        meta=page_meta,
        unindexed=engine.missing,
    )
    if engine.missing:  # partial results: neither the page cache nor any other may keep them
        response.cache_control.no_store = True
    return response

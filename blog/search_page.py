"""The search page: a query in, a page of ranked, highlighted results out."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import Blueprint, abort, current_app, request
from werkzeug.wrappers import Response as HTTPResponse

from . import meta
from .caching import cached_page_varying, current_index
from .search import SearchIndex
from .views import newest_change, render_page

bp = Blueprint("search", __name__)

MAX_QUERY = 200  # characters of a search query that are read at all


@dataclass(frozen=True)
class ResultsPage:
    """Where a page of search results sits among all of them."""

    number: int
    count: int
    first: int


def _search_index() -> SearchIndex:
    """The app's search index, brought up to date with the current content version."""
    index = current_index()
    state = current_app.extensions["blog.search"]
    if state["version"] != index.version:
        state["engine"].sync(index.articles)  # incremental: only changed articles
        state["version"] = index.version
    engine: SearchIndex = state["engine"]
    return engine


@bp.route("/search")
@cached_page_varying("q", "page")
def search() -> HTTPResponse:
    """Search over headline, standfirst, tags, category and text; ``q`` is plain text."""
    query = request.args.get("q", "")[:MAX_QUERY]
    number = request.args.get("page", "1")
    if not number.isdigit() or len(number) > 6 or int(number) < 1:
        abort(400)
    per_page = int(current_app.config["PER_PAGE"])
    results = _search_index().search(query, limit=per_page, offset=(int(number) - 1) * per_page)
    count = max(1, -(-results.total // per_page))
    if int(number) > count:
        abort(404)
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
    return render_page(
        "search.html",
        newest_change([hit.article for hit in results.hits]),
        results=results,
        page=ResultsPage(int(number), count, (int(number) - 1) * per_page + 1),
        latest=current_index().articles[:6],
        search_query=results.query,
        meta=page_meta,
    )

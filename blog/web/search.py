"""The search page: a query in, a page of ranked, highlighted results out."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response as HTTPResponse

from blog.search.live import SearchUnavailable
from blog.web import meta
from blog.web.cache import cached_page_varying, current_index
from blog.web.pages import newest_change, render_page
from blog.web.pagination import page_of
from blog.web.state import get_search, get_settings

bp = Blueprint("search", __name__)

MAX_QUERY = 200  # characters of a search query that are read at all


@bp.route("/search")
@cached_page_varying("q", "page")
def search() -> HTTPResponse:
    """Search over headline, standfirst, tags, category and text; ``q`` is plain text."""
    query = request.args.get("q", "")[:MAX_QUERY]
    number = request.args.get("page", "1")
    if not number.isdigit() or len(number) > 6 or int(number) < 1:
        abort(400)
    per_page = get_settings().PER_PAGE
    try:
        results, missing = get_search().search(query, per_page, (int(number) - 1) * per_page)
    except SearchUnavailable:
        return _unavailable(query)
    page = page_of(
        results.hits, results.total, int(number), "search.search", "page", q=results.query
    )
    title = _("Search: %(query)s", query=results.query) if results.query else _("Search")
    page_meta = replace(
        meta.PageMeta(
            title,
            _(
                "Articles on %(site)s matching %(query)s.",
                site=get_settings().SITE_NAME,
                query=results.query or _("your words"),
            ),
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
        unindexed=missing,
    )
    if missing:  # partial results: neither the page cache nor any other may keep them
        response.cache_control.no_store = True
    return response


def _unavailable(query: str) -> HTTPResponse:
    """The store under the index failed: a page that says so, kept by no cache (a 503 is
    not kept by the response cache; no-store tells any other)."""
    page_meta = replace(
        meta.PageMeta(
            _("Search unavailable"), _("Search is unavailable."), "", meta.image_url(None)
        ),
        robots="noindex, follow",
    )
    response = render_page(
        "search.html",
        None,
        unavailable=True,
        results=None,
        latest=current_index().articles[:6],
        search_query=query,
        meta=page_meta,
    )
    response.status_code = 503
    response.headers["Retry-After"] = "60"
    response.cache_control.no_store = True
    return response

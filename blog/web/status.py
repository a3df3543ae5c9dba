"""Liveness and readiness, for load balancers and orchestrators.

``/-/health`` answers 200 while the process serves at all: restart it only when this fails.
``/-/ready`` answers 200 once the site serves everything it has, search included, and 503
while it is still filling in behind (a first start: article texts and the search index are
built in the background, newest first, while pages are already served) or while its store
fails: a load balancer sends readers to a host that is ready when it has one. Both say what
they know as JSON and are kept by no cache.
"""

from __future__ import annotations

import sqlite3

from flask import Blueprint, Response, jsonify

from blog.web.state import get_library, get_search

bp = Blueprint("status", __name__)


@bp.route("/-/health")
def health() -> Response:
    """The process answers, with an index of the content."""
    index = get_library().current
    return _uncached(jsonify(alive=True, articles=len(index.articles), version=index.version), 200)


@bp.route("/-/ready")
def ready() -> Response:
    """200 when pages and search are complete, 503 while search is still being built."""
    index = get_library().current
    try:
        unsearchable = get_search().progress()
    except sqlite3.Error:
        unsearchable = None
    done = unsearchable == 0
    body = jsonify(
        ready=done,
        articles=len(index.articles),
        version=index.version,
        unsearchable=unsearchable,
        search="unavailable" if unsearchable is None else "complete" if done else "building",
    )
    return _uncached(body, 200 if done else 503)


def _uncached(response: Response, status: int) -> Response:
    response.status_code = status
    response.cache_control.no_store = True
    return response

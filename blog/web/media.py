"""Uploaded images as they are: ``/media/<file>`` from ``MEDIA_DIR``.

The editor in the browser uploads pictures there and names them ``/media/…`` in articles
(``decap_config.public_folder``); with ``MEDIA_DIR`` left empty they are in the static folder
and ``/static/media/…`` serves them. Only files inside the folder, never a listing; each
answer carries the site's security headers (an SVG is a document: the policy applies).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from werkzeug.wrappers import Response

from blog.web.state import get_settings

bp = Blueprint("media", __name__)

MAX_AGE = 3600  # an uploaded file may be replaced under its name: an hour, then revalidate


@bp.get("/media/<path:filename>")
def media_file(filename: str) -> Response:
    folder = get_settings().MEDIA_DIR
    if not folder:
        abort(404)
    return send_from_directory(Path(folder).resolve(), filename, max_age=MAX_AGE)

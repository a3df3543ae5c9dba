"""Style sheets and scripts under names that change when their content does.

``asset_url("css/site.css")`` gives ``/assets/css/site.3f9c2a1b.css``; that URL is served
with a one-year, immutable lifetime, because any change to the file gives it a new name.
A fingerprint that is not the current one is a 404, never stale bytes under a new name.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory, url_for
from werkzeug.wrappers import Response as HTTPResponse

bp = Blueprint("assets", __name__)

FINGERPRINTED = ("css", "js")
YEAR = 365 * 24 * 3600


def fingerprints(static_folder: Path) -> dict[str, str]:
    """File (relative to ``static/``) → short content hash, for every style sheet and script."""
    found = {}
    for folder in FINGERPRINTED:
        for path in sorted((static_folder / folder).glob("*")):
            if path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
                found[path.relative_to(static_folder).as_posix()] = digest
    return found


def _named(filename: str, digest: str) -> str:
    stem, dot, suffix = filename.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{filename}.{digest}"


def asset_url(filename: str) -> str:
    """The fingerprinted URL of a file under ``static/`` (plain static URL if not known)."""
    digest = current_app.extensions["blog.assets"].get(filename)
    if digest is None:
        return url_for("static", filename=filename)
    return url_for("assets.asset", filename=_named(filename, digest))


@bp.route("/assets/<path:filename>")
def asset(filename: str) -> HTTPResponse:
    known = current_app.extensions["blog.assets"]
    stem, _, suffix = filename.rpartition(".")
    original, _, digest = stem.rpartition(".")
    plain = f"{original}.{suffix}"
    if known.get(plain) != digest or not current_app.static_folder:
        abort(404)
    response = send_from_directory(current_app.static_folder, plain, max_age=YEAR)
    response.cache_control.immutable = True
    response.cache_control.public = True
    return response


def init_app(app: Flask) -> None:
    """Hash the assets once at start-up; templates get ``asset_url``."""
    app.extensions["blog.assets"] = fingerprints(Path(app.static_folder or "static"))
    app.jinja_env.globals["asset_url"] = asset_url
    app.register_blueprint(bp)

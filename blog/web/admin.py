"""The editor in the browser: Decap CMS at ``/admin/``, from the site's own origin.

``/admin/`` is a page that loads Decap's bundle (``decap-cms`` from npm, installed by
``npm ci`` into ``node_modules/``, served here from that folder: nothing from a CDN, nothing
fetched at run time) and ``static/admin/admin.js`` (the preview pane in the site's own
CSS); ``/admin/config.yml`` is made from the settings (``decap_config.py``); ``/admin/auth``
and ``/admin/callback`` are the OAuth helper GitHub and GitLab need (``oauth.py``).

Decap needs what no other page may have: script, inline styles (its components' CSS-in-JS),
``eval`` (its configuration's validator compiles schemas), WebAssembly, and requests to the
forge's API; the policy below allows that here and nowhere else, and every other page keeps
the policy with no script (``security.py``). The blueprint is registered only when
``DECAP_BACKEND`` is set: otherwise ``/admin/`` is a 404 like any unknown URL.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
)
from flask.blueprints import BlueprintSetupState

from blog import paths
from blog.web import decap_config, oauth, security
from blog.web.state import get_settings

bp = Blueprint("admin", __name__, url_prefix="/admin")

BUNDLE = "decap-cms.js"
#: A checkout's ``npm ci`` puts the bundle here; an installed copy looks in the folder it
#: starts in (``paths.NODE_MODULES``).
DIST = Path("decap-cms") / "dist"
MISSING = (
    "Decap CMS is not installed here: run `npm ci` in the site's folder (it installs the "
    "editor from package-lock.json), then reload this page."
)


def admin_policy(connect: list[str]) -> str:
    """The Content-Security-Policy of Decap's page: what it needs, from where it needs it."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' https: http: data: blob:",
            "media-src 'self' blob: data:",
            "font-src 'self' data:",
            "connect-src " + " ".join(["'self'", "blob:", "data:", *connect]),
            "frame-src 'self' blob:",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


#: The callback page only runs its own script file, and talks to nobody.
CALLBACK_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def dist_folder() -> Path:
    """Where Decap's bundle and its chunks are."""
    return paths.NODE_MODULES / DIST


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    app: Flask = state.app  # type: ignore[assignment]  # registered on a Flask app
    settings = get_settings(app)
    oauth.init_app(app, settings)
    app.extensions["blog.admin_policy"] = admin_policy(decap_config.connect_sources(settings))


@bp.after_request
def _headers(response: Response) -> Response:
    """Decap's policy on its pages (the app's ``after_request`` keeps a header set here)."""
    if request.endpoint == "admin.oauth_callback" or response.status_code >= 400:
        response.headers["Content-Security-Policy"] = CALLBACK_POLICY
    else:
        response.headers["Content-Security-Policy"] = current_app.extensions["blog.admin_policy"]
    # The sign-in popup must keep its opener across the forge's pages: no opener policy on
    # the helper's pages, and the editor's page lets its popups keep it.
    if request.endpoint in ("admin.oauth_authorize", "admin.oauth_callback"):
        response.headers["Cross-Origin-Opener-Policy"] = "unsafe-none"
    else:
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin-allow-popups"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers.setdefault("Cache-Control", "no-cache")
    # All of them, even when a proxy sends the site's (PROXY_SENDS_SECURITY_HEADERS): its
    # configuration leaves /admin/ to the app (deploy/nginx-proxy.conf).
    for name, value in security.security_headers(get_settings()):
        response.headers.setdefault(name, value)
    return response


@bp.get("/")
def index() -> Response:
    """Decap's page: its bundle, then the site's preview pane."""
    if not (dist_folder() / BUNDLE).is_file():
        return Response(MISSING + "\n", status=503, mimetype="text/plain")
    settings = get_settings()
    return Response(render_template("admin.html", site_name=settings.SITE_NAME))


@bp.get("/config.yml")
def config() -> Response:
    """Decap's configuration, from the settings."""
    settings = get_settings()
    made = decap_config.config(settings, oauth.site_origin(settings), request.script_root)
    text = yaml.safe_dump(made, sort_keys=False, allow_unicode=True)
    return Response(text, mimetype="text/yaml")


@bp.get("/auth")
def oauth_authorize() -> Response:
    """GitHub and GitLab: the sign-in popup's start, sent on to the forge."""
    return oauth.authorize(get_settings())


@bp.get("/callback")
def oauth_callback() -> Response:
    """GitHub and GitLab: the forge's way back; the token for the editor's window."""
    return oauth.callback(get_settings())


@bp.get("/<path:filename>")
def bundle(filename: str) -> Response:
    """Decap's bundle and the chunks it loads beside itself (only files of that folder)."""
    folder = dist_folder()
    if filename.endswith(".map") or not folder.is_dir():
        abort(404)
    return send_from_directory(folder, filename, max_age=3600)

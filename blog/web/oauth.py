"""The site as the OAuth helper Decap CMS needs for GitHub and GitLab.

Decap opens a popup on ``/admin/auth?provider=github``; the site sends it to the forge's
authorization page (Authlib: the authorization code flow, with PKCE, the state kept in the
signed session cookie), the forge sends the editor back to ``/admin/callback``, and the site
trades the code for a token with the client secret, which never leaves the server. The
callback page hands the token to the window that opened it, by ``postMessage`` aimed at the
site's own origin only, and only once that window has answered the handshake Decap's
authenticator expects (``authorizing:github`` back and forth); a page of another origin that
opened the popup gets nothing. A state that does not match, a refused or wrong code and a
forge that cannot be reached end on the same page with a message saying so, and no token.

Gitea needs none of this: Decap signs in to it itself, with PKCE and no secret.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, Response, abort, current_app, render_template, request, url_for

from blog.settings import Settings
from blog.web.decap_config import forge_url

log = logging.getLogger(__name__)

#: The forge's OAuth endpoints below its web address, and the scope Decap needs there.
ENDPOINTS = {
    "github": ("/login/oauth/authorize", "/login/oauth/access_token", "repo"),
    "gitlab": ("/oauth/authorize", "/oauth/token", "api"),
}
TIMEOUT = 15.0  # seconds the token exchange may take before the editor is told


def uses_helper(settings: Settings) -> bool:
    """True for the backends whose sign-in goes through the site."""
    return settings.DECAP_BACKEND in ENDPOINTS


def init_app(app: Flask, settings: Settings) -> None:
    """Register the forge's OAuth client for the app (only for GitHub and GitLab)."""
    if not uses_helper(settings):
        return
    authorize, token, scope = ENDPOINTS[settings.DECAP_BACKEND]
    forge = forge_url(settings)
    oauth = OAuth(app)
    oauth.register(
        name="forge",
        client_id=settings.DECAP_OAUTH_CLIENT_ID,
        client_secret=settings.DECAP_OAUTH_CLIENT_SECRET,
        authorize_url=forge + authorize,
        access_token_url=forge + token,
        client_kwargs={
            "scope": scope,
            "code_challenge_method": "S256",
            "default_timeout": TIMEOUT,
            "token_endpoint_auth_method": "client_secret_post",
        },
    )
    app.extensions["blog.oauth"] = oauth
    # The state travels in the session cookie: sent back on the forge's top-level redirect.
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if settings.SITE_URL.startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True


def site_origin(settings: Settings) -> str:
    """The site's origin as browsers see it: ``SITE_URL``'s, else the request's."""
    parts = urlsplit(settings.SITE_URL or request.host_url)
    return f"{parts.scheme}://{parts.netloc}"


def _client() -> Any:
    oauth = current_app.extensions.get("blog.oauth")
    if oauth is None:
        abort(404)
    return oauth.create_client("forge")


def authorize(settings: Settings) -> Response:
    """Send the popup to the forge's authorization page."""
    provider = request.args.get("provider", "")
    if provider != settings.DECAP_BACKEND:
        return callback_page(settings, error=f"this site signs in with {settings.DECAP_BACKEND}")
    redirect_uri = site_origin(settings) + url_for("admin.oauth_callback")
    response: Response = _client().authorize_redirect(redirect_uri)
    response.headers["Cache-Control"] = "no-store"
    return response


def callback(settings: Settings) -> Response:
    """Trade the forge's code for a token and hand it to the editor's window."""
    try:
        token = _client().authorize_access_token()
    except MismatchingStateError:
        return callback_page(
            settings,
            error="the sign-in did not start here or has expired (state mismatch); "
            "close this window and sign in again",
        )
    except OAuthError as e:
        log.warning("sign-in refused by %s: %s", settings.DECAP_BACKEND, e.error)
        said = e.description or e.error or "no reason given"
        return callback_page(settings, error=f"{settings.DECAP_BACKEND} refused: {said}")
    except (requests.RequestException, ValueError) as e:
        log.error("sign-in: %s did not answer: %s", settings.DECAP_BACKEND, e)
        return callback_page(
            settings,
            error=f"{settings.DECAP_BACKEND} could not be reached; try again in a minute",
        )
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        return callback_page(settings, error=f"{settings.DECAP_BACKEND} sent no token")
    return callback_page(settings, token=access)


def callback_page(settings: Settings, token: str = "", error: str = "") -> Response:
    """The page that ends the popup: a token for the opener, or the reason there is none."""
    provider = settings.DECAP_BACKEND
    if token:
        message = {"status": "success", "content": {"token": token, "provider": provider}}
    else:
        message = {"status": "error", "content": {"message": error}}
    page = render_template(
        "admin_callback.html",
        result={"provider": provider, "origin": site_origin(settings), **message},
        error=error,
    )
    response = Response(page, status=200 if token else 400, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the URL held the code
    return response

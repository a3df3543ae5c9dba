"""The security headers every response carries, whichever path produced it.

The sanitizer (``render.py``) is the first wall against an editor's text running as script;
these headers are the second. The pages ship no script at all, so the Content-Security-Policy
allows none (the JSON-LD data block is not script to a browser and needs no permission); frames
only from ``EMBED_HOSTS``; nothing may frame the site. Computed once from the settings, added by
an ``after_request`` hook and, to cached pages, by ``StoredPage.answer`` (``stored.py``).

A 304 goes without them: it updates the headers a browser or cache already stored with the
page, and leaves every header it does not carry as stored (RFC 9111, 4.3.4). Behind
``deploy/nginx-proxy.conf`` nginx can send them itself (``PROXY_SENDS_SECURITY_HEADERS``): its
cached copies are then smaller, and a hit no longer parses 600 bytes of headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.wrappers import Response
from werkzeug.wsgi import get_host

from blog.settings import Settings
from blog.web.state import get_settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HSTS_SECONDS = 365 * 24 * 3600
PERMISSIONS = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


def content_security_policy(embed_hosts: Iterable[str]) -> str:
    frames = " ".join(f"https://{host}" for host in embed_hosts) or "'none'"
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'none'",
            "style-src 'self'",
            "img-src 'self' https: http: data:",
            f"frame-src {frames}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


#: The headers deploy/nginx-proxy.conf sends on every answer, in place of the app's copies
#: (HSTS stays with the app: it depends on ``SITE_URL``).
PROXY_SENT = frozenset(
    {
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Permissions-Policy",
        "X-Frame-Options",
        "Cross-Origin-Opener-Policy",
    }
)


def security_headers(settings: Settings) -> list[tuple[str, str]]:
    """The headers for every response of a site with these settings."""
    headers = [
        ("Content-Security-Policy", content_security_policy(settings.EMBED_HOSTS)),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Permissions-Policy", PERMISSIONS),
        ("X-Frame-Options", "DENY"),  # frame-ancestors for browsers that predate it
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if settings.SITE_URL.startswith("https://"):
        headers.append(("Strict-Transport-Security", f"max-age={HSTS_SECONDS}"))
    return headers


def own_headers(settings: Settings) -> list[tuple[str, str]]:
    """The security headers the app sends itself: all, or those the proxy does not send."""
    headers = security_headers(settings)
    if settings.PROXY_SENDS_SECURITY_HEADERS:
        headers = [(name, value) for name, value in headers if name not in PROXY_SENT]
    return headers


def init_app(app: Flask) -> list[tuple[str, str]]:
    """Add the headers to every response Flask makes but a 304; the headers, for cached
    pages (``StoredPage.answer``, in the fast lane and the view wrapper)."""
    headers = own_headers(get_settings(app))
    app.extensions["blog.security_headers"] = headers

    @app.after_request
    def _secure(response: Response) -> Response:
        if response.status_code == 304:
            return response
        for name, value in headers:
            response.headers.setdefault(name, value)
        return response

    return headers


class HostCheck:
    """WSGI middleware: a request whose Host header is not a host name gets a plain 400.

    Werkzeug leaves such a request without a host, Flask then cannot route it or build a
    URL, and even the error page would fail. Nothing of the site is needed to refuse it.
    """

    def __init__(self, app: WSGIApplication, headers: list[tuple[str, str]]) -> None:
        self.app = app
        self.headers = headers

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if _is_host_name(get_host(environ)):
            return self.app(environ, start_response)
        body = b"Bad request: malformed Host header\n"
        start_response(
            "400 Bad Request",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
            + self.headers,
        )
        return [body]


def _is_host_name(host: str) -> bool:
    """What Werkzeug can route on: a host, 255 characters at most, that IDNA can encode."""
    try:
        return bool(host) and len(host) <= 255 and bool(host.rsplit(":", 1)[0].encode("idna"))
    except UnicodeError:
        return False

"""What the site takes from the proxy in front, and what it never takes from a request.

A page's links are built from the request's scheme, host, port and mount path (the host and
scheme only when ``SITE_URL`` is not set), and the response cache hands a page to every reader
of its key. So each of those comes from a source the operator controls: the scheme, host and
port from the ``X-Forwarded-*`` headers of ``PROXY_FIX`` trusted proxies (which must set them
from their own variables, as deploy/nginx-proxy.conf does), and the mount path from the
``SCRIPT_NAME`` setting alone. ``X-Forwarded-Prefix``, and a ``SCRIPT_NAME`` the server took
from a request header, are ignored: one forged request would otherwise point every link of a
cached page at another host (``//evil.example/…``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.middleware.proxy_fix import ProxyFix

from blog.settings import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class MountPath:
    """WSGI middleware: the request's ``SCRIPT_NAME`` is the configured mount path."""

    def __init__(self, app: WSGIApplication, script_name: str) -> None:
        self.app = app
        self.script_name = script_name

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["SCRIPT_NAME"] = self.script_name
        return self.app(environ, start_response)


def behind_proxy(app: WSGIApplication, settings: Settings) -> WSGIApplication:
    """``app`` with the mount path fixed and, with ``PROXY_FIX``, the forwarded scheme, host,
    port and client address trusted (outermost: everything inside needs the real ones)."""
    app = MountPath(app, settings.SCRIPT_NAME)
    if hops := settings.PROXY_FIX:
        app = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=0)
    return app

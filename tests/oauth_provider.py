"""A local OAuth 2 provider for the tests of the site's sign-in helper (blog/web/oauth.py):
the authorization code flow as GitHub runs it (with PKCE), in a thread of the test's own
process, on a free loopback port. It approves every authorization at once and records the
token requests it was sent."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from werkzeug.serving import make_server

CLIENT_ID = "courier-test-client"
CLIENT_SECRET = "courier-test-secret"


@dataclass
class Provider:
    """What the provider handed out and was asked."""

    url: str = ""
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> its request
    token_requests: list[dict[str, str]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    api_calls: list[str] = field(default_factory=list)  # the Authorization header of each

    def app(self) -> Flask:
        app = Flask("oauth-provider")

        @app.get("/login/oauth/authorize")
        def authorize():  # type: ignore[no-untyped-def]
            args = request.args.to_dict()
            if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
                return "unknown client", 400
            code = secrets.token_urlsafe(12)
            self.codes[code] = args
            query = urlencode({"code": code, "state": args.get("state", "")})
            return redirect(f"{args['redirect_uri']}?{query}")

        @app.post("/login/oauth/access_token")
        def token():  # type: ignore[no-untyped-def]
            form = request.form.to_dict()
            self.token_requests.append(form)
            asked = self.codes.pop(form.get("code", ""), None)
            # As GitHub does: a wrong code is a 200 whose body names the error.
            if asked is None:
                return jsonify(
                    error="bad_verification_code",
                    error_description="The code passed is incorrect or expired.",
                )
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return jsonify(error="incorrect_client_credentials"), 401
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if challenge.decode() != asked.get("code_challenge"):
                return jsonify(error="invalid_grant", error_description="PKCE check failed")
            if form.get("redirect_uri") != asked.get("redirect_uri"):
                return jsonify(error="redirect_uri_mismatch")
            access = "gho_" + secrets.token_hex(16)
            self.tokens.append(access)
            return jsonify(access_token=access, token_type="bearer", scope=asked.get("scope"))

        # Enough of GitHub's API for Decap to show that it holds a token (browser tests).
        @app.route("/api/v3/<path:what>", methods=["GET", "OPTIONS"])
        def api(what: str):  # type: ignore[no-untyped-def]
            if request.method == "GET":
                self.api_calls.append(request.headers.get("Authorization", ""))
            return jsonify(login="editor", name="An Editor", permissions={"push": True})

        # A page of another origin that opens the site's sign-in and listens for a token.
        @app.get("/elsewhere")
        def elsewhere():  # type: ignore[no-untyped-def]
            return "<!doctype html><title>Elsewhere</title><p>Another site</p>"

        @app.after_request
        def cors(response):  # type: ignore[no-untyped-def]
            if request.path.startswith("/api/"):
                response.headers["Access-Control-Allow-Origin"] = "*"
                response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            return response

        return app


@contextmanager
def oauth_provider() -> Iterator[Provider]:
    """The provider, serving until the block ends."""
    provider = Provider()
    server = make_server("127.0.0.1", 0, provider.app(), threaded=True)
    provider.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(timeout=5)

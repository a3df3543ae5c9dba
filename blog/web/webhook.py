"""Push to publish: a signed webhook from the git host pulls the content folder.

``POST /-/hooks/git`` checks the call the way each forge signs it, keyed by
``WEBHOOK_SECRET``: the body's HMAC-SHA256 (GitHub's ``X-Hub-Signature-256: sha256=…``;
Gitea's ``X-Gitea-Signature`` and Gogs' ``X-Gogs-Signature`` with the bare hex digest), or
the secret itself (GitLab's ``X-Gitlab-Token``, which signs nothing), then answers ``202``
at once and runs ``git pull --ff-only`` in the content folder in the background, and nothing
else. Deliveries that arrive during a pull coalesce into one more pull; the processes of a
host pull one at a time (``blog/content/git.py``). No secret, no hook.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import cast

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState

from blog.content import git
from blog.web.state import get_library, get_settings

bp = Blueprint("hooks", __name__)

SIGNATURE_HEADERS = ("X-Hub-Signature-256", "X-Gitea-Signature", "X-Gogs-Signature")
TOKEN_HEADER = "X-Gitlab-Token"  # GitLab sends the secret as it is
MAX_HOOK_BYTES = 1024 * 1024


def signature_matches(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    """True when any known signature header carries the body's HMAC-SHA256 under ``secret``,
    or GitLab's token header the secret itself."""
    token = headers.get(TOKEN_HEADER, "")
    # Compared as bytes: compare_digest refuses a str that is not ASCII, and a secret may be.
    if token and hmac.compare_digest(token.encode("utf-8", "surrogateescape"), secret.encode()):
        return True
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    for name in SIGNATURE_HEADERS:
        given = headers.get(name, "").strip().removeprefix("sha256=")
        # compare_digest refuses a str that is not ASCII; a hex digest never is anything else
        if given and given.isascii() and hmac.compare_digest(expected, given):
            return True
    return False


@bp.record_once
def _add_puller(state: BlueprintSetupState) -> None:
    library = get_library(cast(Flask, state.app))  # registered on a Flask app, by create_app
    state.app.extensions["blog.puller"] = git.Puller(
        library.root, after=lambda result: library.refresh() if result.ok else None
    )


def get_puller(app: Flask | None = None) -> git.Puller:
    """The app's background puller of the content folder."""
    puller: git.Puller = (app or current_app).extensions["blog.puller"]
    return puller


@bp.post("/-/hooks/git")
def git_hook() -> tuple[Response, int]:
    secret = get_settings().WEBHOOK_SECRET
    if not secret:
        abort(404)
    request.max_content_length = MAX_HOOK_BYTES  # a push event is small; refuse floods
    body = request.get_data(cache=False)
    if not signature_matches(secret, body, dict(request.headers)):
        return jsonify(ok=False, error="missing or wrong signature"), 401
    puller = get_puller()
    started = puller.request()
    last = puller.last
    return jsonify(
        ok=True,
        pull="started" if started else "queued",
        last_pull=None if last is None else {"ok": last.ok, "output": last.output},
    ), 202

"""Push to publish: a signed webhook from the git host pulls the content folder.

``POST /-/hooks/git`` checks the body's HMAC-SHA256 signature the way the common git hosts
send it (``X-Hub-Signature-256: sha256=…``; ``X-Gitea-Signature`` and ``X-Gogs-Signature``
with the bare hex digest), keyed by ``WEBHOOK_SECRET``, then runs ``git pull --ff-only`` in
the content folder and nothing else. No secret, no hook.
"""

from __future__ import annotations

import hashlib
import hmac
import threading

from flask import Blueprint, Response, abort, jsonify, request

from blog.content import git
from blog.web.state import get_library, get_settings

bp = Blueprint("hooks", __name__)

SIGNATURE_HEADERS = ("X-Hub-Signature-256", "X-Gitea-Signature", "X-Gogs-Signature")
MAX_HOOK_BYTES = 1024 * 1024
_pulling = threading.Lock()  # one pull at a time in a process; git's own lock guards hosts


def signature_matches(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    """True when any known signature header carries the body's HMAC-SHA256 under ``secret``."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    for name in SIGNATURE_HEADERS:
        given = headers.get(name, "").strip().removeprefix("sha256=")
        if given and hmac.compare_digest(expected, given):
            return True
    return False


@bp.post("/-/hooks/git")
def git_hook() -> tuple[Response, int]:
    secret = get_settings().WEBHOOK_SECRET
    if not secret:
        abort(404)
    request.max_content_length = MAX_HOOK_BYTES  # a push event is small; refuse floods
    body = request.get_data(cache=False)
    if not signature_matches(secret, body, dict(request.headers)):
        return jsonify(ok=False, error="missing or wrong signature"), 401
    library = get_library()
    with _pulling:
        result = git.pull(library.root)
    if not result.ok:
        return jsonify(ok=False, error="git pull failed", output=result.output), 502
    index = library.refresh()
    return jsonify(ok=True, output=result.output, version=index.version), 200

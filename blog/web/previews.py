"""Signed preview links for drafts and scheduled articles.

A link carries its expiry and an HMAC-SHA256 over the slug and that expiry, keyed by
``SECRET_KEY``: whoever holds the link can read the article until it expires, nobody can
make one for another article or stretch its life, and without a secret there are no links.
"""

from __future__ import annotations

import hashlib
import hmac


def signature(secret: str, slug: str, expires: int) -> str:
    """The HMAC that makes a preview link for ``slug`` valid until ``expires`` (Unix time)."""
    message = f"preview\0{slug}\0{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def is_valid(secret: str, slug: str, expires: str, given: str, now: float) -> bool:
    """True for an unexpired link whose signature matches; constant-time on the signature."""
    if not secret or not expires.isdigit() or len(expires) > 12:
        return False
    expected = signature(secret, slug, int(expires))
    return int(expires) >= now and hmac.compare_digest(expected, given)

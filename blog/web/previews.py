"""Signed preview links for drafts and scheduled articles.

A link carries its expiry and a signature over the slug and that expiry, made by
itsdangerous with ``SECRET_KEY`` and a salt of its own (so no other signature the app makes
can stand in for it): whoever holds the link can read the article until it expires, nobody
can make one for another article or stretch its life, and without a secret there are no links.
"""

from __future__ import annotations

import hashlib

from itsdangerous import Signer

SALT = "blog.web.previews"  # a preview signature is good for nothing else


def _signer(secret: str) -> Signer:
    return Signer(secret, salt=SALT, digest_method=hashlib.sha256)


def _signed(slug: str, expires: int | str) -> str:
    return f"{slug}\0{expires}"


def signature(secret: str, slug: str, expires: int) -> str:
    """What makes a preview link for ``slug`` valid until ``expires`` (Unix time)."""
    return _signer(secret).get_signature(_signed(slug, expires)).decode("ascii")


def is_valid(secret: str, slug: str, expires: str, given: str, now: float) -> bool:
    """True for an unexpired link whose signature matches (compared in constant time)."""
    if not secret or not expires.isdigit() or len(expires) > 12 or int(expires) < now:
        return False
    return _signer(secret).verify_signature(_signed(slug, int(expires)), given)

"""Signed preview links for drafts and scheduled articles.

A link carries its expiry and a signature over the slug and that expiry, made by
itsdangerous with ``SECRET_KEY`` and a salt of its own (so no other signature the app makes
can stand in for it): whoever holds the link can read the article until it expires, nobody
can make one for another article or stretch its life, and without a secret there are no links.
"""

from __future__ import annotations

import hashlib
import hmac

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
    # isdigit() alone lets through digits int() refuses ("²"): ASCII first
    if not secret or not (expires.isascii() and expires.isdigit()) or len(expires) > 12:
        return False
    if int(expires) < now:
        return False
    # The one spelling get_signature makes, compared as text: verify_signature would decode
    # base64 leniently (junk appended to a good signature passes) and compare_digest refuses
    # a str that is not ASCII.
    return given.isascii() and hmac.compare_digest(signature(secret, slug, int(expires)), given)

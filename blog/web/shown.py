"""What a page shows, said by its view as it renders: the keys (``content/keys.py``) the
response cache keeps the page under, and that shared caches are told in ``Surrogate-Key``
and ``Cache-Tag``, to be purged by.

A view that says nothing of its own is kept under ``content``, the whole content version:
an edit anywhere renders it again (search results, sitemaps). A view that says something
must say everything its page shows; ``tests/test_page_keys.py`` edits each part and looks.
Every HTML page shows ``site`` too (``shows_chrome``, from ``render_page``).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import g

from blog.content import keys
from blog.content.fields import slugify
from blog.content.index import Group
from blog.content.models import Article


def shows(*names: str) -> None:
    """The page being rendered shows these parts of the index."""
    shown: set[str] | None = g.get("page_keys")
    if shown is None:
        shown = g.page_keys = set()
    shown.update(names)


def shows_chrome() -> None:
    """The page shows the site's navigation and breaking strip (``base.html``)."""
    g.page_chrome = True


def shows_cards(articles: Iterable[Article | None]) -> None:
    """The page shows these articles as cards, headlines or links with their headline."""
    shows(*(keys.key("card", a.slug) for a in articles if a is not None))


def shows_whole(articles: Iterable[Article]) -> None:
    """The page shows these articles whole (a full-text feed), with their category's name."""
    for article in articles:
        shows(keys.key("article", article.slug))
        if article.category:
            shows(keys.key("category", slugify(article.category)))


def shows_group(kind: str, group: Group) -> None:
    """The page lists a category's, tag's or author's articles, under its name."""
    shows(keys.key(kind, group.slug))


def declared() -> tuple[str, ...]:
    """The keys the page said it shows, in a stable order: ``content`` when its view said
    nothing of its own, and ``site`` with the chrome."""
    shown: set[str] = g.get("page_keys") or set()
    if "page_keys" not in g:
        shown = {keys.CONTENT}
    if g.get("page_chrome"):
        shown = shown | {keys.SITE}
    return tuple(sorted(shown))


EVERYTHING = "everything"  # a key of every response, to purge them all (after a deploy)


def surrogate_headers(names: Iterable[str]) -> list[tuple[str, str]]:
    """``Surrogate-Key`` (Fastly, Varnish's xkey) and ``Cache-Tag`` (Cloudflare) naming
    ``names``, and ``everything``."""
    tokens = [*(keys.token(name) for name in names), EVERYTHING]
    return [("Surrogate-Key", " ".join(tokens)), ("Cache-Tag", ",".join(tokens))]

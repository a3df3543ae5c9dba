"""The parts of an index a page can show, by name, each with a version.

A cached page is kept under the versions of the parts it shows, so an edit leaves every page
that does not show what changed as it was; shared caches in front are told the same names
(surrogate keys), and purged by them when their version changes (``changed_keys``).

A key is ``kind`` or ``kind:slug``:

- ``site``: what every page shows around its own content: the navigation's categories and
  the breaking strip (and when it last changed);
- ``articles``, ``deals``: which articles are published (are deals), in order: not what
  they say;
- ``featured``: the featured articles, in order (the front page's lead and top stories);
- ``categories``, ``tags``: every category (tag) with its name and count;
- ``category:<slug>``, ``tag:<slug>``, ``author:<slug>``: a group's articles in order and
  its name;
- ``pinned:<slug>``: a category's pinned articles;
- ``article:<slug>``: an article whole, as its page and the full-text feeds show it;
- ``card:<slug>``: an article as a card shows it: headline, standfirst, picture, byline,
  date and category, not its text;
- ``around:<slug>``: the articles before and after it;
- ``profile:<slug>``: an author's profile;
- ``picture:<reference>``: an image as the site shows it (fetched, failed...): its version
  is the images layer's, not the index's (``web/cache.py``), and a shared cache names it by
  the reference's hash;
- ``content``: everything (the content version): pages that show too much to say.

A version is the same on every host with the same content, so hosts share cached pages and
agree on what changed. Which keys a page shows may depend on what it shows (an article's
tags), but never on anything its keys' versions do not cover.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from urllib.parse import quote

from blog.content.fields import slugify
from blog.content.index import Group, Index, position
from blog.content.models import Article

SITE = "site"
ALL = "articles"
DEALS = "deals"
FEATURED = "featured"
CATEGORIES = "categories"
TAGS = "tags"
CONTENT = "content"
GLOBAL = (SITE, ALL, DEALS, FEATURED, CATEGORIES, TAGS, CONTENT)
GROUP_KINDS = ("category", "tag", "author")

PICTURE = "picture"
MAX_TOKEN = 120  # characters of a surrogate key; longer slugs are named by their hash
_PLAIN = re.compile(r"[a-z0-9-]+")
_MISSING = "-"  # the version of a part the index does not have (an unpublished article)


def key(kind: str, slug: str) -> str:
    """The key of one article's, group's or profile's part (``article:harbour-trams``)."""
    return f"{kind}:{slug}"


def article_keys(article: Article) -> tuple[str, str]:
    """An article's page and its card."""
    return key("article", article.slug), key("card", article.slug)


def token(name: str) -> str:
    """A key as shared caches take it (Fastly and Varnish surrogate keys, Cloudflare cache
    tags): printable ASCII with no space or comma, at most ``MAX_TOKEN`` characters."""
    kind, _, slug = name.partition(":")
    if not slug:
        return kind
    if kind == PICTURE:  # a URL or a path: long, and no reader's business
        return f"{kind}-{hashlib.sha256(slug.encode()).hexdigest()[:20]}"
    if not _PLAIN.fullmatch(slug):
        slug = quote(slug, safe="-")  # a slug keeps non-Latin letters
    if len(kind) + 1 + len(slug) > MAX_TOKEN:
        slug = "~" + hashlib.sha256(name.encode()).hexdigest()[:24]
    return f"{kind}-{slug}"


def version(index: Index, name: str) -> str:
    """What ``name`` shows in ``index``, as a short hash; the same for the same content on
    any host. Those that walk a list are worked out once per index; the others cost a hash
    (an index lives long, and a crawler would have it remember every article's)."""
    if name not in GLOBAL:
        return _digest(_parts(index, name))
    found = index.memo.get(name)
    if found is None:
        found = index.memo[name] = _digest(_parts(index, name))
    return found


def versions(index: Index, names: Iterable[str]) -> tuple[str, ...]:
    return tuple(version(index, name) for name in names)


def _digest(parts: Iterable[object]) -> str:
    text = "\0".join(map(str, parts))
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()


def _parts(index: Index, name: str) -> Iterator[object]:
    """What goes into the version of ``name``."""
    kind, _, slug = name.partition(":")
    if kind == SITE:
        yield from ((g.slug, g.name) for g in index.categories.values())
        yield from ((a.slug, a.title, a.modified) for a in index.flags.breaking)
        yield index.flags.strip_change
    elif kind == ALL:
        yield index.articles_digest
    elif kind == DEALS:
        yield index.deals_digest
    elif kind == FEATURED:
        yield from ((a.path, a.slug, a.priority) for a in index.flags.featured)
    elif kind in (CATEGORIES, TAGS):
        groups = index.categories if kind == CATEGORIES else index.tags
        yield from ((g.slug, g.name, g.count) for g in groups.values())
    elif kind == CONTENT:
        yield index.version
    elif kind in GROUP_KINDS:
        group = _groups(index, kind).get(slug)
        if group is None:
            yield _MISSING
            return
        yield group.name, group.digest
    elif kind == "pinned":
        yield from (a.path for a in index.flags.pinned.get(slug, ()))
    elif kind == "profile":
        profile = index.profiles.get(slug)
        yield (profile.path, profile.source_hash) if profile else _MISSING
    else:
        article = index.by_slug.get(slug)
        if article is None:
            yield _MISSING
        elif kind == "article":
            yield article.path, article.source_hash, article.committed
        elif kind == "card":
            yield from card(article)
        elif kind == "around":
            older, newer = index.neighbours(article)
            yield (older.slug if older else _MISSING), (newer.slug if newer else _MISSING)
        else:
            raise ValueError(f"no such key: {name}")


def card(article: Article) -> tuple[object, ...]:
    """What a card, a headline or a neighbour's link shows of an article."""
    return (
        article.path,
        article.title,
        article.date,
        article.standfirst,
        article.category,
        article.image,
        article.image_alt,
        article.image_caption,
        article.image_credit,
        article.authors,
    )


def _groups(index: Index, kind: str) -> Mapping[str, Group]:
    return {"category": index.categories, "tag": index.tags, "author": index.authors}[kind]


def published(index: Index, path: str) -> Article | None:
    """The published article of the file ``path``, with the slug the index gave it."""
    article = index.files.get(path)
    if article is None:
        return None
    i = position(index.articles, article)
    if i < len(index.articles) and index.articles[i].path == path:
        return index.articles[i]
    return None


def shown_keys(index: Index, article: Article) -> set[str]:
    """Every key whose version an article's change can move: its own page and card, its
    neighbours, its groups and the listings it is in."""
    names = {*article_keys(article), key("around", article.slug)}
    names |= {key("around", a.slug) for a in index.neighbours(article) if a is not None}
    if article.category:
        names.add(key("category", slugify(article.category)))
    names |= {key("tag", slugify(t)) for t in article.tags}
    names |= {key("author", slugify(a)) for a in article.authors}
    return names


def changed_keys(old: Index, new: Index, changed: Collection[str]) -> set[str]:
    """The keys whose version differs between ``old`` and ``new``, given the files that
    changed (``Library.listeners``); articles published or withdrawn by the clock, and
    front-page flags that ended, are found by comparing the two."""
    if old.version == new.version:
        return set()
    paths = set(changed)
    if _by_the_clock(old, new) or old.conflicts or new.conflicts:
        # Articles no changed file explains may come or go, or (a slug clash settled
        # again) move to another slug: compare the two whole.
        paths |= {path for path, _ in _published_paths(old) ^ _published_paths(new)}
    names = set(GLOBAL)
    for path in paths:
        for index in (old, new):
            article = published(index, path)
            if article is not None:
                names |= shown_keys(index, article)
    for index in (old, new):
        names |= {key("pinned", slug) for slug in index.flags.pinned}
    names |= {
        key("profile", slug)
        for slug in old.profiles.keys() | new.profiles.keys()
        if old.profiles.get(slug) != new.profiles.get(slug)
    }
    return {n for n in names if version(old, n) != version(new, n)}


def _by_the_clock(old: Index, new: Index) -> bool:
    """True when ``new`` may publish or withdraw articles no file change explains: a
    scheduled time, or the end of a flag, came between the two (or the clock went back)."""
    if old.built_at is None or new.built_at is None or new.built_at < old.built_at:
        return True
    return old.next_change is not None and new.built_at >= old.next_change


def _published_paths(index: Index) -> set[tuple[str, str]]:
    return {(a.path, a.slug) for a in index.articles}

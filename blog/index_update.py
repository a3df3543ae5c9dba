"""A new index from the last one and a few changed files, without rebuilding it.

Rebuilding sorts and groups every article: fine at start-up, too slow for the request that
follows an edit when there are 100,000 of them. When only a few files changed, and none of
them takes part in a slug clash or an alias (rare, and settled by a full build), the new
index is the old one with those articles taken out and put back in order. The result is
exactly what ``build_index`` would give; the tests hold the two against each other.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from types import MappingProxyType

from .index import Group, Index, build_index, commonest_name, file_digest, sort_groups, version_of
from .models import Article, ArticleError, slugify

MAX_CHANGES = 64  # past this, a full build is as quick


def update_index(
    old: Index,
    files: Mapping[str, Article],
    changed: set[str],
    now: dt.datetime,
    errors: Mapping[str, ArticleError],
) -> Index:
    """The index for ``files`` at ``now``, given that only ``changed`` paths differ from ``old``."""
    if not _can_update(old, files, changed, now):
        return build_index(files, now, errors=errors)
    before = [old.files[p] for p in changed if p in old.files]
    after = [files[p] for p in changed if p in files]
    published = [a for a in after if a.is_published(now)]
    articles = _reordered(old, changed, published)
    claims = dict(old.claims)
    digest = old.digest
    for path in changed:
        if path in old.files:
            claims[old.files[path].slug] -= 1
            digest ^= file_digest(path, old.files[path])
        if path in files:
            claims[files[path].slug] = claims.get(files[path].slug, 0) + 1
            digest ^= file_digest(path, files[path])
    unpublished = {s: a for s, a in old.unpublished.items() if a.path not in changed}
    unpublished |= {a.slug: a for a in after if not a.is_published(now)}
    upcoming = [a.date for a in files.values() if not a.draft and a.date > now]
    return Index(
        version=version_of(digest, len(articles)),
        articles=tuple(articles),
        by_slug=MappingProxyType({a.slug: a for a in articles}),
        categories=_regroup(old.categories, changed, before, published, _category),
        tags=_regroup(old.tags, changed, before, published, _tags),
        deals=tuple(a for a in articles if a.deals),
        next_publication=min(upcoming, default=None),
        unpublished=MappingProxyType(unpublished),
        errors=MappingProxyType(dict(errors)),
        conflicts=old.conflicts,
        positions=MappingProxyType({a.slug: i for i, a in enumerate(articles)}),
        redirects=old.redirects,
        files=files,
        claims=MappingProxyType({s: n for s, n in claims.items() if n}),
        digest=digest,
        built_at=now,
    )


def _can_update(
    old: Index, files: Mapping[str, Article], changed: set[str], now: dt.datetime
) -> bool:
    """True when the changes cannot touch slug clashes, aliases or publication times."""
    if not old.files or len(changed) > MAX_CHANGES or old.conflicts or old.redirects:
        return False
    if old.built_at is None or now < old.built_at:
        return False  # the clock went back: what is published may differ
    if old.next_publication is not None and now >= old.next_publication:
        return False  # a scheduled article is due: every listing may change
    olds = [old.files[p] for p in changed if p in old.files]
    news = [files[p] for p in changed if p in files]
    if any(a.aliases for a in (*olds, *news)):
        return False
    if any(old.claims.get(a.slug, 0) != 1 for a in olds):
        return False  # was part of a clash: who keeps the slug may change
    claims = dict(old.claims)
    for article in olds:
        claims[article.slug] -= 1
    new_slugs = [a.slug for a in news]
    return len(set(new_slugs)) == len(new_slugs) and not any(claims.get(s) for s in new_slugs)


def _reordered(old: Index, changed: set[str], published: list[Article]) -> list[Article]:
    """The old publication order without the changed articles, with their new versions in."""
    articles = [a for a in old.articles if a.path not in changed]
    for article in published:
        articles.insert(_position(articles, article), article)
    return articles


def _position(articles: list[Article], article: Article) -> int:
    """Where ``article`` goes in a list ordered newest first (then by path, descending)."""
    key = (article.date, article.path)
    low, high = 0, len(articles)
    while low < high:
        middle = (low + high) // 2
        if (articles[middle].date, articles[middle].path) > key:
            low = middle + 1
        else:
            high = middle
    return low


def _category(article: Article) -> list[str]:
    return [article.category] if article.category else []


def _tags(article: Article) -> list[str]:
    return list(article.tags)


def _regroup(
    groups: Mapping[str, Group],
    changed: set[str],
    before: list[Article],
    published: list[Article],
    names_of: Callable[[Article], list[str]],
) -> Mapping[str, Group]:
    """The old groups, with those the changed articles belong to (before or after) redone:
    their other members as they were, the new versions put back in order."""
    touched = {slugify(n) for a in (*before, *published) for n in names_of(a)} - {""}
    if not touched:
        return groups
    regrouped = {slug: g for slug, g in groups.items() if slug not in touched}
    for slug in touched:
        group = groups.get(slug)
        items = [a for a in group.articles if a.path not in changed] if group else []
        spellings = Counter(group.spellings) if group else Counter()
        for article in (a for a in group.articles if a.path in changed) if group else ():
            spellings.subtract(n for n in names_of(article) if slugify(n) == slug)
        for article in published:
            names = [n for n in names_of(article) if slugify(n) == slug]
            if names:
                items.insert(_position(items, article), article)
                spellings.update(names)
        spellings = Counter({n: c for n, c in spellings.items() if c > 0})
        if items:
            regrouped[slug] = Group(slug, commonest_name(spellings), tuple(items), dict(spellings))
    return sort_groups(regrouped)

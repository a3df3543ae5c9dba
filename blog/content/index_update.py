"""A new index from the last one and a few changed files, without rebuilding it.

Rebuilding sorts and groups every article: fine at start-up, too slow for the request that
follows an edit when there are 100,000 of them. When only a few files changed, and none of
them takes part in a slug clash or an alias or carries a front-page flag (rare, and settled
by a full build), the new index is the old one with those articles taken out and put back
in order. The result is exactly what ``build_index`` would give; the tests hold the two
against each other.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

from blog.content.flags import earliest, has_flags
from blog.content.index import (
    EPOCH,
    Index,
    build_index,
    record_digest,
    version_of,
)
from blog.content.index_parts import member_digest, regroup, xor
from blog.content.models import Article, ArticleError
from blog.content.profiles import Profile
from blog.content.records import DEALS, DRAFT, NO_TIME, Records, from_us, to_us
from blog.content.tables import ArticleMap

MAX_CHANGES = 64  # past this, a full build is as quick


def update_index(
    old: Index,
    files: Mapping[str, Article],
    changed: set[str],
    now: dt.datetime,
    errors: Mapping[str, ArticleError],
    profiles: Mapping[str, Profile] | None = None,
) -> Index:
    """The index for ``files`` at ``now``, given that only ``changed`` paths differ from ``old``
    (and the authors' ``profiles``, when given, replace the old ones). ``files`` is the
    library's map of records, or a plain map of articles (whose changed ones are added to
    the old index's records).

    Nothing here walks every article: lists and maps are copied whole (in C, a millisecond at
    100,000) and only the changed articles are taken out and put back, found by binary search.
    """
    profiles = old.profiles if profiles is None else MappingProxyType(dict(profiles))
    records = old.records
    files = _files_of(old, files, changed)
    if not _can_update(old, files, changed, now):
        return build_index(
            files,
            now,
            errors=errors,
            article_path=old.article_path,
            windows=old.windows,
            profiles=profiles,
        )
    assert isinstance(files, ArticleMap)
    now_us = to_us(now)
    before = [r for p in changed if (r := old.files.rid(p)) is not None]
    after = [r for p in changed if (r := files.rid(p)) is not None]
    published = [r for r in after if _published(records, r, now_us)]
    waiting = [r for r in after if not _published(records, r, now_us)]
    was_published = [r for r in before if old.by_slug.rid(records.slug(r)) == r]
    was_waiting = [r for r in before if r not in was_published]
    articles = old.articles.moved(was_published, published)
    unpublished = old.unpublished.changed(was_waiting, waiting)
    digest = old.digest
    for rid in (*before, *after):
        digest ^= record_digest(records, rid)
    upcoming = min(
        (
            records.date_us(r)
            for r in unpublished.rids()
            if not records.bits(r) & DRAFT and records.date_us(r) > now_us
        ),
        default=NO_TIME,
    )
    moved = [(r, member_digest(records, r)) for r in (*was_published, *published)]
    listed = xor(d for _, d in moved)
    dealt = xor(d for r, d in moved if records.bits(r) & DEALS)
    # The flags are the old ones: no flagged article changed and no flag's end has passed.
    return replace(
        old,
        version=version_of(digest, len(articles), old.flags.last_change, profiles),
        articles=articles,
        by_slug=old.by_slug.changed(was_published, published),
        categories=regroup(records, old.categories, was_published, published, _category(records)),
        tags=regroup(records, old.tags, was_published, published, records.tags),
        authors=regroup(records, old.authors, was_published, published, records.authors),
        profiles=profiles,
        deals=old.deals.moved(
            [r for r in was_published if records.bits(r) & DEALS],
            [r for r in published if records.bits(r) & DEALS],
        ),
        next_change=earliest(
            None if upcoming == NO_TIME else from_us(upcoming), old.flags.next_change
        ),
        unpublished=unpublished,
        errors=MappingProxyType(dict(errors)),
        files=files,
        claims=old.claims.changed(before, after),
        digest=digest,
        built_at=now,
        last_modified=_last_modified(old, articles.ids, was_published, published),
        articles_digest=old.articles_digest ^ listed,
        deals_digest=old.deals_digest ^ dealt,
    )


def _files_of(old: Index, files: Mapping[str, Article], changed: set[str]) -> Mapping[str, Article]:
    """The new files as a map of ``old``'s records: ``files`` itself when it is one,
    else the old map with the changed articles added as records."""
    if isinstance(files, ArticleMap) and files.records is old.records:
        return files
    records = old.records
    gone = [r for p in changed if (r := old.files.rid(p)) is not None]
    arriving = [records.add(files[p]) for p in sorted(changed) if p in files]
    return old.files.changed(gone, arriving)


def _published(records: Records, rid: int, now_us: int) -> bool:
    return not records.bits(rid) & DRAFT and records.date_us(rid) <= now_us


def _category(records: Records) -> Callable[[int], tuple[str, ...]]:
    def names(rid: int) -> tuple[str, ...]:
        category = records.category(rid)
        return (category,) if category else ()

    return names


def _last_modified(
    old: Index, ids: Iterable[int], leaving: list[int], arriving: list[int]
) -> dt.datetime:
    """The newest change among the published articles, counted again only when the one
    that held it left and no newer one arrived."""
    records = old.records
    newest = max((records.modified_us(r) for r in arriving), default=NO_TIME)
    held = to_us(old.last_modified) if old.last_modified != EPOCH else NO_TIME
    if newest >= held or not any(records.modified_us(r) == held for r in leaving):
        best = max(newest, held)
    else:
        best = max((records.modified_us(r) for r in ids), default=NO_TIME)
    return EPOCH if best == NO_TIME else from_us(best)


def _can_update(
    old: Index, files: Mapping[str, Article], changed: set[str], now: dt.datetime
) -> bool:
    """True when the changes cannot touch slug clashes, aliases, publication times or the
    front page's flags."""
    if not isinstance(files, ArticleMap):
        return False
    if not old.files or len(changed) > MAX_CHANGES:
        return False
    if old.built_at is None or now < old.built_at:
        return False  # the clock went back: what is published may differ
    if old.next_change is not None and now >= old.next_change:
        return False  # a scheduled article is due, or a flag ended: every listing may change
    olds = [old.files[p] for p in changed if p in old.files]
    news = [files[p] for p in changed if p in files]
    if any(a.aliases or has_flags(a) for a in (*olds, *news)):
        return False
    if any(c.path in changed for c in old.conflicts):
        return False
    if {old.article_path(a.slug) for a in (*olds, *news)} & old.alias_paths:
        return False  # an alias may start or stop pointing at a live address
    if any(old.claims.get(a.slug, 0) != 1 for a in olds):
        return False  # was part of a clash: who keeps the slug may change
    leaving = Counter(a.slug for a in olds)
    new_slugs = [a.slug for a in news]
    if len(set(new_slugs)) != len(new_slugs):
        return False
    if any(old.claims.get(s, 0) - leaving[s] for s in new_slugs):
        return False
    # A slug given to the loser of a clash (``x-2``) is taken, though nobody claims it.
    holders = (old.by_slug.get(s) or old.unpublished.get(s) for s in new_slugs)
    return not any(h is not None and h.path not in changed for h in holders)

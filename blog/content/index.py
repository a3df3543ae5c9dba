"""The immutable index readers are served from: articles by date, slug, category, tag and
author, the authors' profiles, and the front page's flags in force (``flags.py``).

Built whole from the library's records after each change (or, for a few changed files,
``index_update.py``) and then never mutated, so any number of threads can read it while
the next one is being built. Its lists and maps hold record numbers (``tables.py``), not
articles: 100,000 articles cost a few megabytes of arrays here, and an ``Article`` is made
only for what a page shows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from array import array
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from blog.content.fields import slugify
from blog.content.flags import DEFAULT_WINDOWS, Flags, Windows, earliest, flags_at
from blog.content.index_parts import (
    Conflict,
    Group,
    assign_slugs,
    commonest_name,
    groups_of,
    member_digest,
    redirects_of,
    scan_keys,
    xor,
)
from blog.content.models import Article, ArticleError
from blog.content.profiles import Profile
from blog.content.records import DRAFT, FLAGGED, NO_TIME, Records, from_us, to_us
from blog.content.tables import ArticleList, ArticleMap, CountMap, KeyTable, key_hash

__all__ = [
    "EPOCH",
    "Conflict",
    "Group",
    "Index",
    "build_index",
    "commonest_name",
    "file_digest",
    "position",
    "records_of",
    "version_of",
]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
RELATED_CANDIDATES = 200  # newest articles per shared tag or category that compete


@dataclass(frozen=True)
class Index:
    """Everything a page needs to find, for one version of the content."""

    version: str
    articles: ArticleList  # published, newest first
    by_slug: ArticleMap
    categories: Mapping[str, Group]
    tags: Mapping[str, Group]
    deals: ArticleList
    # The next moment what readers see changes by itself: a scheduled article's publication,
    # or the end of a featured, breaking or pinned article's time (flags.py).
    next_change: dt.datetime | None
    records: Records  # what the lists and maps here are numbers into
    unpublished: ArticleMap  # drafts and scheduled articles, by slug
    # What an update needs to change this index without rebuilding it (index_update.py):
    # every file's article by path (the slug it asked for), and how many files ask for a slug.
    files: ArticleMap
    claims: CountMap
    flags: Flags = field(default_factory=Flags)  # the front page's, in force
    errors: Mapping[str, ArticleError] = field(default_factory=dict)
    conflicts: tuple[Conflict, ...] = ()
    authors: Mapping[str, Group] = field(default_factory=dict)
    profiles: Mapping[str, Profile] = field(default_factory=dict)  # author slug → profile
    redirects: Mapping[str, str] = field(default_factory=dict)
    alias_paths: frozenset[str] = frozenset()  # every alias of a published article, as a path
    digest: int = 0
    built_at: dt.datetime | None = None  # the "now" its publication states are for
    # Where an article is served, from its slug: the web layer owns URL shapes and says so
    # (aliases are old paths, and must never shadow a live article's).
    article_path: Callable[[str], str] = field(default=lambda slug: slug, compare=False)
    windows: Windows = field(default_factory=Windows)  # how long the front page's flags last
    last_modified: dt.datetime = EPOCH  # the newest change any published article carries
    # Which articles are published and which are deals, in order (``member_digest``s XORed):
    # kept up to date by an update as the groups' are, so a page's version costs no walk.
    articles_digest: int = 0
    deals_digest: int = 0
    # Versions of the index's parts, worked out on first use (``keys.py``): each index
    # starts with its own, empty.
    memo: dict[str, str] = field(default_factory=dict, init=False, compare=False, repr=False)

    def redirect_for(self, path: str) -> str | None:
        """The slug of the article an old path (an ``aliases:`` entry) now lives at."""
        return self.redirects.get(path.rstrip("/") or "/")

    def category_of(self, article: Article) -> Group | None:
        return self.categories.get(slugify(article.category)) if article.category else None

    def tags_of(self, article: Article) -> tuple[Group, ...]:
        return tuple(self.tags[slugify(t)] for t in article.tags if slugify(t) in self.tags)

    def profile_of(self, name: str) -> Profile | None:
        """The profile of the author a byline names, if there is one."""
        return self.profiles.get(slugify(name))

    def neighbours(self, article: Article) -> tuple[Article | None, Article | None]:
        """(older, newer) than the article, in publication order (none for a preview)."""
        articles = self.articles
        i = articles.position((to_us(article.date), article.path))
        if i == len(articles) or self.records.path(articles.ids[i]) != article.path:
            return None, None
        older = articles[i + 1] if i + 1 < len(articles) else None
        newer = articles[i - 1] if i > 0 else None
        return older, newer

    def related(self, article: Article, limit: int = 4) -> list[Article]:
        """Articles sharing tags (two points each) or the category (one), newest on ties."""
        scores: Counter[int] = Counter()
        for group in self.tags_of(article):
            for rid in group.articles.ids[:RELATED_CANDIDATES]:
                scores[rid] += 2
        category = self.category_of(article)
        for rid in category.articles.ids[:RELATED_CANDIDATES] if category else ():
            scores[rid] += 1
        own = self.by_slug.rid(article.slug)
        if own is not None:
            scores.pop(own, None)
        order_key = self.records.order_key
        ranked = sorted(scores, key=order_key, reverse=True)
        ranked.sort(key=lambda rid: -scores[rid])  # stable: the newest first on equal scores
        return [self.records.article(rid) for rid in ranked[:limit]]


def records_of(files: Mapping[str, Article]) -> tuple[Records, list[int]]:
    """The records ``files`` are (a map of records already), or new ones packed from them."""
    if isinstance(files, ArticleMap) and files.table.kind == "path":
        return files.records, list(files.rids())
    records = Records()
    return records, [records.add(article) for article in files.values()]


def build_index(
    files: Mapping[str, Article],
    now: dt.datetime,
    errors: Mapping[str, ArticleError] | None = None,
    *,
    article_path: Callable[[str], str],
    windows: Windows = DEFAULT_WINDOWS,
    profiles: Mapping[str, Profile] | None = None,
) -> Index:
    """Index the articles parsed from ``files`` (path → article, or the library's map of
    records) as readers see them at ``now``; ``article_path`` is the site path of an
    article's slug (no trailing slash), ``windows`` how long the front page's flags last,
    ``profiles`` the authors' profiles by slug."""
    records, rids = records_of(files)
    now_us = to_us(now)
    keys = scan_keys(records, rids)
    served, conflicts = assign_slugs(records, keys, article_path)  # the slugs they are served at
    published: list[int] = []
    unpublished: list[int] = []
    upcoming = NO_TIME
    dates, all_bits = records.column("date"), records.column("bits")
    for rid in served:
        date, bits = dates[rid], all_bits[rid]
        if not bits & DRAFT and date <= now_us:
            published.append(rid)
        else:
            unpublished.append(rid)
            if not bits & DRAFT and (upcoming == NO_TIME or date < upcoming):
                upcoming = date
    articles = ArticleList(records, _newest_first(records, dates, published))
    redirects, alias_paths = redirects_of(records, articles, conflicts, article_path)
    digest = keys.digest
    flagged = (records.article(rid) for rid in served if all_bits[rid] & FLAGGED)
    flags = flags_at(flagged, now, windows)
    profiles = MappingProxyType(dict(profiles or {}))
    members = {rid: member_digest(records, rid) for rid in articles.ids}
    categories, tags, authors, deals = groups_of(records, articles, members)
    last = max(records.modified_column(articles.ids), default=None)
    return Index(
        version=version_of(digest, len(published), flags.last_change, profiles),
        articles=articles,
        by_slug=ArticleMap(records, _table(records, "slug", keys.slug_hash, published)),
        categories=categories,
        tags=tags,
        deals=deals,
        next_change=earliest(None if upcoming == NO_TIME else from_us(upcoming), flags.next_change),
        records=records,
        flags=flags,
        unpublished=ArticleMap(records, _table(records, "slug", keys.slug_hash, unpublished)),
        errors=MappingProxyType(dict(errors or {})),
        conflicts=tuple(conflicts),
        authors=authors,
        profiles=profiles,
        redirects=MappingProxyType(redirects),
        alias_paths=alias_paths,
        files=ArticleMap(records, _sorted_table(records, "path", keys.paths)),
        claims=CountMap(_sorted_table(records, "slug", keys.slugs)),
        digest=digest,
        built_at=now,
        article_path=article_path,
        windows=windows,
        last_modified=EPOCH if last is None else from_us(last),
        articles_digest=xor(members.values()),
        deals_digest=xor(members[rid] for rid in deals.ids),
    )


def _table(records: Records, kind: str, hashes: dict[int, int], rids: list[int]) -> KeyTable:
    """A table of these records by the hashes already taken of their keys (a clash's loser,
    served under a new slug, is hashed here)."""
    pairs = sorted(
        (hashes[rid] if rid in hashes else key_hash(getattr(records, kind)(rid)), rid)
        for rid in rids
    )
    return _sorted_table(records, kind, pairs)


def _sorted_table(records: Records, kind: str, pairs: list[tuple[int, int]]) -> KeyTable:
    return KeyTable(
        records, kind, array("Q", (h for h, _ in pairs)), array("I", (r for _, r in pairs))
    )


def _newest_first(records: Records, dates: Sequence[int], rids: list[int]) -> list[int]:
    """Publication order: newest first, then by path (descending) among equal dates; paths
    are read only for the dates that tie."""
    rids = sorted(rids, key=dates.__getitem__, reverse=True)
    start = 0
    while start < len(rids):
        end = start + 1
        date = dates[rids[start]]
        while end < len(rids) and dates[rids[end]] == date:
            end += 1
        if end - start > 1:
            rids[start:end] = sorted(rids[start:end], key=records.path, reverse=True)
        start = end
    return rids


def position(articles: Sequence[Article], article: Article) -> int:
    """Where ``article`` is, or would go, in a list in publication order (newest first, then
    by path, descending): a binary search, so finding one among 100,000 costs 17 steps."""
    if isinstance(articles, ArticleList):
        return articles.position((to_us(article.date), article.path))
    key = (article.date, article.path)
    low, high = 0, len(articles)
    while low < high:
        middle = (low + high) // 2
        if (articles[middle].date, articles[middle].path) > key:
            low = middle + 1
        else:
            high = middle
    return low


def _digest(path: str, source_hash: str, committed_us: int) -> int:
    committed = None if committed_us == NO_TIME else from_us(committed_us)
    text = f"{path}\0{source_hash}\0{committed}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")


def file_digest(path: str, article: Article) -> int:
    """One file's share of the content version; the version XORs them, so one file's change
    updates it in constant time."""
    committed = NO_TIME if article.committed is None else to_us(article.committed)
    return _digest(path, article.source_hash, committed)


def record_digest(records: Records, rid: int) -> int:
    """``file_digest`` of a record."""
    path, _, source_hash = records.keys(rid)
    return _digest(path, source_hash, records.committed_us(rid))


def version_of(
    digest: int, published: int, last_change: dt.datetime | None, profiles: Mapping[str, Profile]
) -> str:
    """The content version: every file's content, which of them are published now, the
    latest front-page flag to have ended (a strip gone changes no file, but every page), and
    the authors' profiles in use."""
    ended = last_change.isoformat() if last_change else ""
    text = f"{digest:032x}:{published}:{ended}:{profiles_digest(profiles):032x}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def profiles_digest(profiles: Mapping[str, Profile]) -> int:
    """The profiles' share of the content version: changes with any profile in use."""
    text = "\0".join(sorted(f"{p.path}:{p.source_hash}" for p in profiles.values()))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big") if text else 0

"""The immutable index readers are served from: articles by date, slug, category, tag and
author, the authors' profiles, and the front page's flags in force (``flags.py``).

Built whole from the library's articles after each change and then never mutated, so any
number of threads can read it while the next one is being built.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from urllib.parse import urlsplit

from blog.content.fields import slugify
from blog.content.flags import (
    DEFAULT_WINDOWS,
    Flags,
    Windows,
    earliest,
    flags_at,
    has_flags,
)
from blog.content.models import Article, ArticleError
from blog.content.profiles import Profile

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
RELATED_CANDIDATES = 200  # newest articles per shared tag or category that compete


@dataclass(frozen=True)
class Conflict:
    """Two files, or a file and the site, that want the same URL: the check reports these."""

    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


@dataclass(frozen=True)
class Group:
    """A category, a tag or an author: its URL slug, the name editors write, its articles
    newest first."""

    slug: str
    name: str
    articles: tuple[Article, ...]
    spellings: Mapping[str, int] = field(default_factory=dict, compare=False)  # name → uses
    digest: int = 0  # which articles, in which order: their ``member_digest``s XORed

    @property
    def count(self) -> int:
        return len(self.articles)


@dataclass(frozen=True)
class Index:
    """Everything a page needs to find, for one version of the content."""

    version: str
    articles: tuple[Article, ...]
    by_slug: Mapping[str, Article]
    categories: Mapping[str, Group]
    tags: Mapping[str, Group]
    deals: tuple[Article, ...]
    # The next moment what readers see changes by itself: a scheduled article's publication,
    # or the end of a featured, breaking or pinned article's time (flags.py).
    next_change: dt.datetime | None
    flags: Flags = field(default_factory=Flags)  # the front page's, in force
    unpublished: Mapping[str, Article] = field(default_factory=dict)
    errors: Mapping[str, ArticleError] = field(default_factory=dict)
    conflicts: tuple[Conflict, ...] = ()
    authors: Mapping[str, Group] = field(default_factory=dict)
    profiles: Mapping[str, Profile] = field(default_factory=dict)  # author slug → profile
    redirects: Mapping[str, str] = field(default_factory=dict)
    alias_paths: frozenset[str] = frozenset()  # every alias of a published article, as a path
    # What an update needs to change this index without rebuilding it (index_update.py).
    files: Mapping[str, Article] = field(default_factory=dict)
    claims: Mapping[str, int] = field(default_factory=dict)
    digest: int = 0
    built_at: dt.datetime | None = None  # the "now" its publication states are for
    # Where an article is served, from its slug: the web layer owns URL shapes and says so
    # (aliases are old paths, and must never shadow a live article's).
    article_path: Callable[[str], str] = field(default=lambda slug: slug, compare=False)
    windows: Windows = field(default_factory=Windows)  # how long the front page's flags last
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

    @property
    def last_modified(self) -> dt.datetime:
        """The newest change any published article carries."""
        return max((a.modified for a in self.articles), default=EPOCH)

    def category_of(self, article: Article) -> Group | None:
        return self.categories.get(slugify(article.category)) if article.category else None

    def tags_of(self, article: Article) -> tuple[Group, ...]:
        return tuple(self.tags[slugify(t)] for t in article.tags if slugify(t) in self.tags)

    def profile_of(self, name: str) -> Profile | None:
        """The profile of the author a byline names, if there is one."""
        return self.profiles.get(slugify(name))

    def neighbours(self, article: Article) -> tuple[Article | None, Article | None]:
        """(older, newer) than the article, in publication order (none for a preview)."""
        i = position(self.articles, article)
        if i == len(self.articles) or self.articles[i].path != article.path:
            return None, None
        older = self.articles[i + 1] if i + 1 < len(self.articles) else None
        newer = self.articles[i - 1] if i > 0 else None
        return older, newer

    def related(self, article: Article, limit: int = 4) -> list[Article]:
        """Articles sharing tags (two points each) or the category (one), newest on ties."""
        scores: Counter[str] = Counter()
        for group in self.tags_of(article):
            for other in group.articles[:RELATED_CANDIDATES]:
                scores[other.slug] += 2
        category = self.category_of(article)
        for other in category.articles[:RELATED_CANDIDATES] if category else ():
            scores[other.slug] += 1
        scores.pop(article.slug, None)
        ranked = sorted((self.by_slug[s] for s in scores), key=_order_key, reverse=True)
        ranked.sort(key=lambda a: -scores[a.slug])  # stable: the newest first on equal scores
        return ranked[:limit]


def build_index(
    files: Mapping[str, Article],
    now: dt.datetime,
    errors: Mapping[str, ArticleError] | None = None,
    *,
    article_path: Callable[[str], str],
    windows: Windows = DEFAULT_WINDOWS,
    profiles: Mapping[str, Profile] | None = None,
) -> Index:
    """Index the articles parsed from ``files`` (path → article) as readers see them at ``now``;
    ``article_path`` is the site path of an article's slug (no trailing slash), ``windows``
    how long the front page's flags last, ``profiles`` the authors' profiles by slug."""
    articles, conflicts = _assign_slugs(files.values(), article_path)
    published = sorted(
        (a for a in articles if a.is_published(now)), key=lambda a: (a.date, a.path), reverse=True
    )
    upcoming = [a.date for a in articles if not a.draft and a.date > now]
    redirects = _redirects(published, conflicts, article_path)
    digest = 0
    claims: dict[str, int] = defaultdict(int)
    for path, article in files.items():
        digest ^= file_digest(path, article)
        claims[article.slug] += 1
    flags = flags_at((a for a in articles if has_flags(a)), now, windows)
    profiles = MappingProxyType(dict(profiles or {}))
    members = {a.path: member_digest(a) for a in published}
    return Index(
        version=version_of(digest, len(published), flags.last_change, profiles),
        articles=tuple(published),
        by_slug=MappingProxyType({a.slug: a for a in published}),
        categories=_groups(published, lambda a: [a.category] if a.category else [], members),
        tags=_groups(published, lambda a: a.tags, members),
        deals=tuple(a for a in published if a.deals),
        next_change=earliest(min(upcoming, default=None), flags.next_change),
        flags=flags,
        unpublished=MappingProxyType({a.slug: a for a in articles if not a.is_published(now)}),
        errors=MappingProxyType(dict(errors or {})),
        conflicts=tuple(conflicts),
        authors=_groups(published, lambda a: a.authors, members),
        profiles=profiles,
        redirects=MappingProxyType(redirects),
        alias_paths=frozenset(
            alias_path(alias, article_path) for a in published for alias in a.aliases
        ),
        files=files,
        claims=MappingProxyType(dict(claims)),
        digest=digest,
        built_at=now,
        article_path=article_path,
        windows=windows,
        articles_digest=xor(members.values()),
        deals_digest=xor(members[a.path] for a in published if a.deals),
    )


def _order_key(article: Article) -> tuple[dt.datetime, str]:
    return article.date, article.path


def position(articles: Sequence[Article], article: Article) -> int:
    """Where ``article`` is, or would go, in a list in publication order (newest first, then
    by path, descending): a binary search, so finding one among 100,000 costs 17 steps."""
    key = _order_key(article)
    low, high = 0, len(articles)
    while low < high:
        middle = (low + high) // 2
        if _order_key(articles[middle]) > key:
            low = middle + 1
        else:
            high = middle
    return low


def file_digest(path: str, article: Article) -> int:
    """One file's share of the content version; the version XORs them, so one file's change
    updates it in constant time."""
    text = f"{path}\0{article.source_hash}\0{article.committed}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")


def member_digest(article: Article) -> int:
    """An article's share of a listing's digest: what puts it in its place and links it
    (path, date, slug), not what it says, so an edit of its text leaves the listing's alone."""
    text = f"{article.path}\0{article.date.isoformat()}\0{article.slug}"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")


def xor(digests: Iterable[int]) -> int:
    """Digests combined so that one can be taken out or put in again in constant time."""
    total = 0
    for digest in digests:
        total ^= digest
    return total


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


def commonest_name(spellings: Mapping[str, int]) -> str:
    """The spelling editors use most for a group (ties: the first in sort order)."""
    return min(spellings, key=lambda n: (-spellings[n], n))


def sort_groups(groups: Mapping[str, Group]) -> Mapping[str, Group]:
    return MappingProxyType(dict(sorted(groups.items(), key=lambda kv: kv[1].name.lower())))


def _assign_slugs(
    articles: Iterable[Article], article_path: Callable[[str], str]
) -> tuple[list[Article], list[Conflict]]:
    """One URL per article: the oldest claimant keeps a slug, later ones get ``-2``, ``-3``…"""
    claims: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        claims[article.slug].append(article)
    taken = set(claims)
    result: list[Article] = []
    clashes: list[Conflict] = []
    for slug, claimants in claims.items():
        if len(claimants) == 1:  # the usual case: nothing to settle
            result.append(claimants[0])
            continue
        first, *others = sorted(claimants, key=lambda a: (a.date, a.path))
        result.append(first)
        for n, other in enumerate(others, start=2):
            while f"{slug}-{n}" in taken:
                n += 1
            taken.add(f"{slug}-{n}")
            result.append(replace(other, slug=f"{slug}-{n}"))
            clashes.append(
                Conflict(
                    other.path,
                    "slug",
                    f"'{slug}' is also claimed by {first.path}, which is older and keeps it; "
                    f"this article is served at {article_path(f'{slug}-{n}')}/",
                )
            )
    return result, clashes


def alias_path(alias: str, article_path: Callable[[str], str]) -> str:
    """Where an alias points from: an old path as written, an old URL's path, or a slug."""
    if "://" in alias:
        alias = urlsplit(alias).path
    if alias.startswith("/"):
        return alias.rstrip("/") or "/"
    return article_path(slugify(alias))


def _redirects(
    published: list[Article], conflicts: list[Conflict], article_path: Callable[[str], str]
) -> dict[str, str]:
    """Old path → slug for every alias of a published article; live URLs always win."""
    live = {article_path(a.slug) for a in published}
    redirects: dict[str, str] = {}
    for article in reversed(published):  # oldest first: the first claim on a path wins
        for alias in article.aliases:
            path = alias_path(alias, article_path)
            if path in live and path != article_path(article.slug):
                conflicts.append(
                    Conflict(
                        article.path,
                        "aliases",
                        f"'{alias}' is a live article's address; "
                        "it stays that article's and is not redirected",
                    )
                )
            elif redirects.get(path, article.slug) != article.slug:
                conflicts.append(
                    Conflict(
                        article.path,
                        "aliases",
                        f"'{alias}' already redirects to "
                        f"{article_path(redirects[path])}/; it keeps doing so",
                    )
                )
            elif path not in live:
                redirects[path] = article.slug
    return redirects


def _groups(
    articles: list[Article],
    names_of: Callable[[Article], Iterable[str]],
    digests: Mapping[str, int],
) -> Mapping[str, Group]:
    """Group articles (already newest first) by slugified name; show the commonest casing.
    ``digests``: each article's ``member_digest``, by path."""
    members: dict[str, list[Article]] = defaultdict(list)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for article in articles:
        for name in names_of(article):
            slug = slugify(name)
            if slug:
                members[slug].append(article)
                spellings[slug][name] += 1  # Counter.update per name costs more
    groups = {
        slug: Group(
            slug,
            commonest_name(spellings[slug]),
            tuple(items),
            dict(spellings[slug]),
            xor(digests[a.path] for a in items),
        )
        for slug, items in members.items()
    }
    return sort_groups(groups)

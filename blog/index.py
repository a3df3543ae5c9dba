"""The immutable index readers are served from: articles by date, slug, category and tag.

Built whole from the library's articles after each change and then never mutated, so any
number of threads can read it while the next one is being built.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from .models import Article, ArticleError, slugify

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
RELATED_CANDIDATES = 200  # newest articles per shared tag or category that compete


@dataclass(frozen=True)
class Group:
    """A category or a tag: its URL slug, the name editors write, its articles newest first."""

    slug: str
    name: str
    articles: tuple[Article, ...]

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
    next_publication: dt.datetime | None
    unpublished: Mapping[str, Article] = field(default_factory=dict)
    errors: Mapping[str, ArticleError] = field(default_factory=dict)
    clashes: tuple[str, ...] = ()
    positions: Mapping[str, int] = field(default_factory=dict)

    @property
    def last_modified(self) -> dt.datetime:
        """The newest change any published article carries."""
        return max((a.modified for a in self.articles), default=EPOCH)

    def category_of(self, article: Article) -> Group | None:
        return self.categories.get(slugify(article.category)) if article.category else None

    def tags_of(self, article: Article) -> tuple[Group, ...]:
        return tuple(self.tags[slugify(t)] for t in article.tags if slugify(t) in self.tags)

    def neighbours(self, article: Article) -> tuple[Article | None, Article | None]:
        """(older, newer) than the article, in publication order."""
        i = self.positions[article.slug]
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
        ranked = sorted(scores, key=lambda s: (-scores[s], self.positions[s]))
        return [self.by_slug[s] for s in ranked[:limit]]


def build_index(
    files: Mapping[str, Article],
    now: dt.datetime,
    errors: Mapping[str, ArticleError] | None = None,
) -> Index:
    """Index the articles parsed from ``files`` (path → article) as readers see them at ``now``."""
    articles, clashes = _assign_slugs(files.values())
    published = sorted(
        (a for a in articles if a.is_published(now)), key=lambda a: (a.date, a.path), reverse=True
    )
    upcoming = [a.date for a in articles if not a.draft and a.date > now]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path}\0{files[path].source_hash}\n".encode())
    digest.update(f"published:{len(published)}".encode())
    return Index(
        version=digest.hexdigest()[:16],
        articles=tuple(published),
        by_slug=MappingProxyType({a.slug: a for a in published}),
        categories=_groups(published, lambda a: [a.category] if a.category else []),
        tags=_groups(published, lambda a: a.tags),
        deals=tuple(a for a in published if a.deals),
        next_publication=min(upcoming, default=None),
        unpublished=MappingProxyType({a.slug: a for a in articles if not a.is_published(now)}),
        errors=MappingProxyType(dict(errors or {})),
        clashes=tuple(clashes),
        positions=MappingProxyType({a.slug: i for i, a in enumerate(published)}),
    )


def _assign_slugs(articles: Iterable[Article]) -> tuple[list[Article], list[str]]:
    """One URL per article: the oldest claimant keeps a slug, later ones get ``-2``, ``-3``…"""
    claims: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        claims[article.slug].append(article)
    taken = set(claims)
    result: list[Article] = []
    clashes: list[str] = []
    for slug in sorted(claims):
        first, *others = sorted(claims[slug], key=lambda a: (a.date, a.path))
        result.append(first)
        for n, other in enumerate(others, start=2):
            while f"{slug}-{n}" in taken:
                n += 1
            taken.add(f"{slug}-{n}")
            result.append(replace(other, slug=f"{slug}-{n}"))
            clashes.append(f"{other.path} claims '{slug}' of {first.path}; served at '{slug}-{n}'")
    return result, clashes


def _groups(
    articles: list[Article], names_of: Callable[[Article], Iterable[str]]
) -> Mapping[str, Group]:
    """Group articles (already newest first) by slugified name; show the commonest casing."""
    members: dict[str, list[Article]] = defaultdict(list)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for article in articles:
        for name in names_of(article):
            slug = slugify(name)
            if slug:
                members[slug].append(article)
                spellings[slug][name] += 1
    groups = {
        slug: Group(
            slug, min(spellings[slug], key=lambda n: (-spellings[slug][n], n)), tuple(items)
        )
        for slug, items in members.items()
    }
    return MappingProxyType(dict(sorted(groups.items(), key=lambda kv: kv[1].name.lower())))

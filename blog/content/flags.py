"""The editors' say over the front page at one moment: featured, breaking and pinned articles.

Each flag lasts a while: featured for ``featured_hours`` after the article's date, breaking
until ``breaking_until`` (else ``breaking_hours`` after the date), pinned until
``pinned_until``. The moments at which one ends work as scheduled publications do: the index
is rebuilt when the next one passes (``Flags.next_change``), and the latest one already
passed is part of the content version, so no page cached with an ended strip is served again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from blog.content.fields import slugify
from blog.content.models import Article


@dataclass(frozen=True)
class Windows:
    """How long the flags last (the settings ``FEATURED_HOURS`` and ``BREAKING_HOURS``; these
    defaults are theirs)."""

    featured_hours: float = 48.0  # 0: featured until the flag is removed
    breaking_hours: float = 6.0  # without a breaking_until; 0: only with one

    def featured_end(self, article: Article) -> dt.datetime | None:
        """When the article stops being featured; None: never, or it is not featured."""
        if not article.featured or self.featured_hours <= 0:
            return None
        return article.date + dt.timedelta(hours=self.featured_hours)

    def breaking_end(self, article: Article) -> dt.datetime | None:
        """When the article's breaking strip goes; None when it is not breaking news."""
        if not article.breaking:
            return None
        return article.breaking_until or article.date + dt.timedelta(hours=self.breaking_hours)

    def is_featured(self, article: Article, now: dt.datetime) -> bool:
        end = self.featured_end(article)
        return article.featured and (end is None or now < end)

    def is_breaking(self, article: Article, now: dt.datetime) -> bool:
        end = self.breaking_end(article)
        return end is not None and now < end

    def ends(self, article: Article) -> list[dt.datetime]:
        """Every moment at which one of the article's flags ends."""
        ends = [self.featured_end(article), self.breaking_end(article)]
        if article.category:  # a pin without a category pins nothing
            ends.append(article.pinned_until)
        return [end for end in ends if end is not None]


DEFAULT_WINDOWS = Windows()


def has_flags(article: Article) -> bool:
    """True when the article asks for a place on the front page (or a pin): an index update
    that touches it is settled by a full build."""
    return (
        article.featured
        or article.breaking
        or article.breaking_until is not None
        or article.pinned_until is not None
    )


@dataclass(frozen=True)
class Flags:
    """The flags in force at ``now``, and the moments around it at which one ends."""

    featured: tuple[Article, ...] = ()  # highest priority first, then newest
    breaking: tuple[Article, ...] = ()  # newest first
    pinned: Mapping[str, tuple[Article, ...]] = field(default_factory=dict)  # category slug →
    next_change: dt.datetime | None = None  # the next moment a flag ends, after now
    last_change: dt.datetime | None = None  # the latest one that has, at or before now
    strip_change: dt.datetime | None = None  # the latest end of a breaking strip that has


def flags_at(flagged: Iterable[Article], now: dt.datetime, windows: Windows) -> Flags:
    """The flags in force at ``now``, from the articles that carry one (``has_flags``), with
    the slugs the index gave them; drafts and scheduled articles take no part until they
    are published."""
    featured: list[Article] = []
    breaking: list[Article] = []
    pinned: dict[str, list[Article]] = defaultdict(list)
    upcoming: list[dt.datetime] = []
    passed: list[dt.datetime] = []
    strip_ends: list[dt.datetime] = []
    for article in flagged:
        if article.draft:
            continue
        for end in windows.ends(article):
            (upcoming if end > now else passed).append(end)
        strip_end = windows.breaking_end(article)
        if strip_end is not None and strip_end <= now:
            strip_ends.append(strip_end)
        if not article.is_published(now):
            continue
        if windows.is_featured(article, now):
            featured.append(article)
        if windows.is_breaking(article, now):
            breaking.append(article)
        category = slugify(article.category or "")
        if category and article.pinned_until is not None and now < article.pinned_until:
            pinned[category].append(article)
    return Flags(
        featured=tuple(sorted(featured, key=lambda a: (a.priority, a.date, a.path), reverse=True)),
        breaking=tuple(sorted(breaking, key=_newest, reverse=True)),
        pinned=MappingProxyType(
            {slug: tuple(sorted(pins, key=_newest, reverse=True)) for slug, pins in pinned.items()}
        ),
        next_change=min(upcoming, default=None),
        last_change=max(passed, default=None),
        strip_change=max(strip_ends, default=None),
    )


def pinned_first(articles: Sequence[Article], pinned: Sequence[Article]) -> Sequence[Article]:
    """A category's articles (newest first) with its ``pinned`` ones first, none twice."""
    if not pinned:
        return articles
    paths = {a.path for a in pinned}
    return [*pinned, *(a for a in articles if a.path not in paths)]


def earliest(*moments: dt.datetime | None) -> dt.datetime | None:
    """The first of the moments given (None: none is)."""
    return min((m for m in moments if m is not None), default=None)


def _newest(article: Article) -> tuple[dt.datetime, str]:
    return article.date, article.path

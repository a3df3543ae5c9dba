"""The archive: published articles by year and month, in the site's time zone.

Nothing here is stored: the index keeps its articles newest first, so a period's articles are
one slice of that list, found by binary search on its bounds, and the months that have
articles are found by jumping from one month's start to the next (a search per month, not a
look at every article). The months are the reader's: an article dated 23:30 UTC on 31
January is a February article on a site in Berlin, as its page says.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from blog.content.models import Article
from blog.content.records import to_us
from blog.content.tables import ArticleList

FIRST_YEAR, LAST_YEAR = 1, 9999
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)
_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, order=True)
class Period:
    """A year, or a month of a year (``month`` 1-12)."""

    year: int
    month: int | None = None

    @classmethod
    def of(cls, year: int, month: int | None = None) -> Period | None:
        """The period, or None when it cannot exist (month 13, year 0)."""
        if not FIRST_YEAR <= year <= LAST_YEAR or (month is not None and not 1 <= month <= 12):
            return None
        return cls(year, month)

    def start(self, tz: dt.tzinfo) -> dt.datetime:
        """The first moment of the period in ``tz``, as an aware UTC datetime."""
        return _utc(self.year, self.month or 1, tz, _EARLIEST)

    def end(self, tz: dt.tzinfo) -> dt.datetime:
        """The first moment after the period."""
        if self.month is None or self.month == 12:
            return _utc(self.year + 1, 1, tz, _LATEST)
        return _utc(self.year, self.month + 1, tz, _LATEST)


@dataclass(frozen=True)
class Month:
    """A month that has articles, and how many."""

    year: int
    month: int
    count: int

    @property
    def period(self) -> Period:
        return Period(self.year, self.month)


def _utc(year: int, month: int, tz: dt.tzinfo, beyond: dt.datetime) -> dt.datetime:
    """The first moment of a month in ``tz``, in UTC; ``beyond`` past the calendar's ends."""
    try:
        return dt.datetime(year, month, 1, tzinfo=tz).astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return beyond


def _older_than(articles: Sequence[Article], moment: dt.datetime) -> int:
    """The position of the first article dated before ``moment`` (the list is newest first)."""
    if isinstance(articles, ArticleList):  # by the records' dates: no article is made
        date_us = articles.records.date_us
        return bisect_right(articles.ids, -to_us(moment), key=lambda rid: -date_us(rid))
    return bisect_right(articles, -moment.timestamp(), key=lambda a: -a.date.timestamp())


def in_period(articles: Sequence[Article], period: Period, tz: dt.tzinfo) -> Sequence[Article]:
    """The period's articles, newest first: a slice of ``articles`` (newest first)."""
    return articles[_older_than(articles, period.end(tz)) : _older_than(articles, period.start(tz))]


def period_of(article: Article, tz: dt.tzinfo, monthly: bool = True) -> Period:
    """The month (or year) an article belongs to, in ``tz``."""
    local = article.date.astimezone(tz)
    return Period(local.year, local.month if monthly else None)


def neighbours(
    articles: Sequence[Article], period: Period, tz: dt.tzinfo
) -> tuple[Period | None, Period | None]:
    """(older, newer): the nearest periods of the same kind on either side that have
    articles, or None."""
    monthly = period.month is not None
    newer_end = _older_than(articles, period.end(tz))  # articles[:newer_end] are newer
    older_start = _older_than(articles, period.start(tz))  # articles[older_start:] are older
    newer = period_of(articles[newer_end - 1], tz, monthly) if newer_end > 0 else None
    older = period_of(articles[older_start], tz, monthly) if older_start < len(articles) else None
    return older, newer


def months(articles: Sequence[Article], tz: dt.tzinfo) -> Iterator[Month]:
    """Every month that has articles, newest first, with its count."""
    i = 0
    while i < len(articles):
        period = period_of(articles[i], tz)
        j = max(i + 1, _older_than(articles, period.start(tz)))  # article i is in it
        yield Month(period.year, period.month or 1, j - i)
        i = j

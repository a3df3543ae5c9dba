"""One page of a listing or of search results, and the URLs of its neighbours.

Listings carry the page number in the URL's path (``/page/2/``, page 1 at the listing's own
URL: the routes' defaults see to it), search in its query (``?q=…&page=2``); ``url_for``
builds either from the endpoint, its values and the name the number goes under.

Every listing shows numbered links: the first and last pages, a window of pages either side
of the current one, a gap (…) where pages are left out, and previous and next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import abort, url_for

from blog.web.state import get_settings
from blog.web.urls import external_url

T = TypeVar("T")

WINDOW = 2  # pages linked on either side of the current one


@dataclass(frozen=True)
class PageLink:
    """One place in the numbered links: a page (its number, URL, and whether it is the
    current one), or a gap where pages are left out (``number`` None)."""

    number: int | None
    url: str = ""
    current: bool = False


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of items: which, where it sits among the pages, and how to reach the others."""

    items: Sequence[T]
    number: int
    count: int
    per_page: int
    endpoint: str
    args: Mapping[str, Any] = field(default_factory=dict)
    number_arg: str = "number"  # the URL value the page number goes in

    @property
    def first(self) -> int:
        """The position of this page's first item among all of them (``<ol start>``)."""
        return (self.number - 1) * self.per_page + 1

    def _values(self, number: int) -> dict[str, Any]:
        return {**self.args, self.number_arg: number}

    def url(self, number: int) -> str:
        return url_for(self.endpoint, **self._values(number))

    @property
    def canonical_url(self) -> str:
        """This page's absolute URL."""
        return external_url(self.endpoint, **self._values(self.number))

    @property
    def previous_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.count else None

    @property
    def links(self) -> list[PageLink]:
        """The numbered links: first, last, the window around this page, gaps between."""
        return [
            PageLink(n, self.url(n), n == self.number) if n else PageLink(None)
            for n in page_numbers(self.number, self.count)
        ]


def page_numbers(current: int, count: int, window: int = WINDOW) -> list[int | None]:
    """The pages to link, in order, None for a gap: 1, the ``window`` pages either side of
    ``current``, and ``count``. A gap of one page is shown as that page, never as "…"."""
    shown = {1, count, *range(max(1, current - window), min(count, current + window) + 1)}
    numbers: list[int | None] = []
    last = 0
    for n in sorted(shown):
        if last and n - last == 2:
            numbers.append(n - 1)
        elif last and n - last > 2:
            numbers.append(None)
        numbers.append(n)
        last = n
    return numbers


def page_count(items: int, per_page: int) -> int:
    """The pages ``items`` fill: an empty listing still has page 1."""
    return max(1, -(-items // per_page))


def page_of(
    items: Sequence[T], total: int, number: int, endpoint: str, number_arg: str, **args: Any
) -> Page[T]:
    """Page ``number`` of ``total`` items, ``items`` being its own; 404 past the last page."""
    size = get_settings().PER_PAGE
    count = page_count(total, size)
    if not 1 <= number <= count:
        abort(404)
    return Page(items, number, count, size, endpoint, args, number_arg)


def paginate(items: Sequence[T], number: int, endpoint: str, **args: Any) -> Page[T]:
    """A page of a listing held whole, its number in the URL's path; 404 past the last."""
    size = get_settings().PER_PAGE
    shown = items[(number - 1) * size : number * size] if number > 0 else items[:0]
    return page_of(shown, len(items), number, endpoint, "number", **args)

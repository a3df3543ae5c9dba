"""The home page's first page, a news front page: what leads, the top stories, a block per
category and the latest, each article once.

Pure: the index and the settings in, the page's parts out (the view renders them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice

from blog.content.fields import slugify
from blog.content.index import Group, Index
from blog.content.models import Article
from blog.settings import Settings

LATEST_AT_LEAST = 5  # the "Latest" list is never shorter while older articles remain


@dataclass(frozen=True)
class Block:
    """A category's block: its newest articles not shown above it."""

    group: Group
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class FrontPage:
    """Page 1 of ``/``, in reading order."""

    lead: Article | None
    top: tuple[Article, ...]
    blocks: tuple[Block, ...]
    latest: tuple[Article, ...]

    @property
    def articles(self) -> list[Article]:
        """Every article on the page, in the order it shows them."""
        lead = [self.lead] if self.lead else []
        return [*lead, *self.top, *(a for b in self.blocks for a in b.articles), *self.latest]


@dataclass(frozen=True)
class Layout:
    """The settings that shape the front page."""

    top_stories: int  # TOP_STORIES
    category_items: int  # HOME_CATEGORY_ITEMS
    categories: Sequence[str]  # HOME_CATEGORIES, else CATEGORIES; empty: all, by size
    per_page: int  # PER_PAGE: page 2 of / starts after the newest this many

    @classmethod
    def of(cls, settings: Settings) -> Layout:
        return cls(
            top_stories=settings.TOP_STORIES,
            category_items=settings.HOME_CATEGORY_ITEMS,
            categories=settings.HOME_CATEGORIES or settings.CATEGORIES,
            per_page=settings.PER_PAGE,
        )


def front_page(index: Index, layout: Layout) -> FrontPage:
    """The front page for ``index``: an article shown once is skipped further down."""
    shown: set[str] = set()

    def fresh(articles: Iterable[Article], limit: int) -> tuple[Article, ...]:
        chosen = tuple(islice((a for a in articles if a.path not in shown), max(0, limit)))
        shown.update(a.path for a in chosen)
        return chosen

    lead = choose_lead(index)
    if lead is not None:
        shown.add(lead.path)
    top = fresh(index.flags.featured, layout.top_stories)
    top += fresh(index.articles, layout.top_stories - len(top))
    blocks = []
    for group in home_groups(index, layout.categories) if layout.category_items > 0 else ():
        articles = fresh(group.articles, layout.category_items)
        if articles:
            blocks.append(Block(group, articles))
    return FrontPage(lead, top, tuple(blocks), _latest(index.articles, shown, layout.per_page))


def choose_lead(index: Index) -> Article | None:
    """The top featured article with an image; else the newest with one; with no image
    anywhere, the top featured or the newest article, as a lead with no picture."""
    featured = index.flags.featured
    with_image = (a for a in chain(featured, index.articles) if a.image)
    fallback = featured[0] if featured else index.articles[0] if index.articles else None
    return next(with_image, fallback)


def home_groups(index: Index, names: Sequence[str]) -> list[Group]:
    """The categories that get a block, in order: those named (a name with no published
    article is left out), or every category, the largest first."""
    if not names:
        return sorted(index.categories.values(), key=lambda g: (-g.count, g.name.lower()))
    slugs = dict.fromkeys(slugify(name) for name in names)
    return [index.categories[s] for s in slugs if s in index.categories]


def _latest(articles: Sequence[Article], shown: set[str], per_page: int) -> tuple[Article, ...]:
    """The newest articles not shown above: every one of the newest ``per_page`` (so that
    page 2, which starts after them, carries on where page 1 ends), and at least a few."""

    def unshown() -> Iterator[Article]:
        taken = 0
        for n, article in enumerate(articles):
            if n >= per_page and taken >= LATEST_AT_LEAST:
                return
            if article.path not in shown:
                taken += 1
                yield article

    return tuple(unshown())

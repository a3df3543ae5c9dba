"""The incremental index update gives exactly what a full build gives, edit after edit."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from blog.content.index import Index, build_index
from blog.content.index_update import update_index
from blog.content.models import Article
from blog.web.urls import article_path
from tests.articles import parsed_article

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CATEGORIES = ["Business", "Sport", "sport", "Culture", None]
TAGS = ["AI", "ai", "Harbour", "Rail", "Ferries", "Food & Drink", "Energy"]


def random_article(
    rng: random.Random, path: str, version: int, alias_p: float = 0.05, shared_p: float = 0.05
) -> Article:
    day = rng.randrange(1, 400)
    date = NOW + dt.timedelta(days=day - 390, hours=rng.randrange(24))
    front = []
    category = rng.choice(CATEGORIES)
    if category:
        front.append(f"categoria: {category}")
    tags = rng.sample(TAGS, rng.randrange(0, 4))
    if tags:
        front.append('tags:\n  - "' + " ".join(f"#{t.replace(' & ', '')}" for t in tags) + '"')
    if rng.random() < 0.1:
        front.append("draft: true")
    if rng.random() < 0.2:
        front.append("deals: Yes")
    if rng.random() < alias_p:
        front.append("aliases:\n  - /old/" + path)
    if rng.random() < shared_p:
        front.append("slug: shared-slug")
    return parsed_article(
        path,
        source_hash=f"{path}:{version}",
        title=f"{path} v{version}",
        date=date.isoformat(),
        front="\n".join(front),
    )


def edited(path: str, title: str, front: str = "") -> Article:
    """An edit of ``path`` on 1 June 2025; a version of its own for each title."""
    return parsed_article(
        path, source_hash=f"{path}{title}", title=title, date="2025-06-01T00:00:00Z", front=front
    )


def summary(index: Index) -> dict[str, object]:
    def group_view(groups):
        return [(s, g.name, [a.path for a in g.articles]) for s, g in groups.items()]

    return {
        "version": index.version,
        "articles": [(a.path, a.slug) for a in index.articles],
        "by_slug": {s: a.path for s, a in index.by_slug.items()},
        "categories": group_view(index.categories),
        "tags": group_view(index.tags),
        "deals": [a.path for a in index.deals],
        "next": index.next_publication,
        "unpublished": {s: a.path for s, a in index.unpublished.items()},
        "alias_paths": sorted(index.alias_paths),
        "redirects": dict(index.redirects),
        "conflicts": sorted(str(c) for c in index.conflicts),
        "claims": dict(index.claims),
        "digest": index.digest,
    }


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("quirky", [False, True], ids=["plain", "aliases-and-clashes"])
def test_updates_match_full_builds(
    seed: int, quirky: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import blog.content.index_update

    rules = {"alias_p": 0.05, "shared_p": 0.05} if quirky else {"alias_p": 0, "shared_p": 0}
    full_builds: list[int] = []
    monkeypatch.setattr(
        blog.content.index_update,
        "build_index",
        lambda *a, **k: full_builds.append(1) or build_index(*a, **k),
    )
    rng = random.Random(seed)
    start = rules if quirky else {"alias_p": 0, "shared_p": 0}  # plain: no clash to begin with
    files = {f"a{n}.md": random_article(rng, f"a{n}.md", 0, **start) for n in range(60)}
    index = build_index(files, NOW, article_path=article_path)
    for step in range(1, 40):
        files = dict(files)
        changed = set(rng.sample(sorted(files), rng.randrange(1, 4)))
        for path in sorted(changed):  # sorted: the same edits whatever the hash seed
            roll = rng.random()
            if roll < 0.15:
                del files[path]
            else:
                files[path] = random_article(rng, path, step, **rules)
        if rng.random() < 0.2:
            new = f"new{step}.md"
            files[new] = random_article(rng, new, step, **rules)
            changed.add(new)
        index = update_index(index, files, changed, NOW, {})
        rebuilt = build_index(files, NOW, article_path=article_path)
        assert summary(index) == summary(rebuilt), (seed, step)
    if not quirky:
        assert full_builds == []  # with no clash or alias anywhere, every step is an update


def test_a_plain_edit_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import blog.content.index_update

    rng = random.Random(99)
    files = {f"a{n}.md": random_article(rng, f"a{n}.md", 0) for n in range(30)}
    files = {p: a for p, a in files.items() if not a.aliases and a.slug != "shared-slug"}
    index = build_index(files, NOW, article_path=article_path)
    builds: list[int] = []
    monkeypatch.setattr(
        blog.content.index_update,
        "build_index",
        lambda *a, **k: builds.append(1) or build_index(*a, **k),
    )
    path = next(iter(files))
    edit = edited(path, "Edited")
    files = {**files, path: edit}
    updated = update_index(index, files, {path}, NOW, {})
    assert builds == []
    assert updated.by_slug[edit.slug].title == "Edited"


def test_an_edit_that_claims_another_slug_is_settled_by_a_full_build() -> None:
    files = {"a.md": edited("a.md", "A"), "b.md": edited("b.md", "B")}
    index = build_index(files, NOW, article_path=article_path)
    files = {**files, "b.md": edited("b.md", "B2", "slug: a")}
    updated = update_index(index, files, {"b.md"}, NOW, {})
    assert summary(updated) == summary(build_index(files, NOW, article_path=article_path))
    assert sorted(updated.by_slug) == ["a", "a-2"]


def test_an_edit_away_from_aliases_and_clashes_takes_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import blog.content.index_update

    files = {
        "old.md": edited("old.md", "Old", "aliases:\n  - /2019/old-story"),
        "x1.md": edited("x1.md", "X1", "slug: x"),
        "x2.md": edited("x2.md", "X2", "slug: x"),
        "plain.md": edited("plain.md", "Plain"),
    }
    index = build_index(files, NOW, article_path=article_path)
    assert index.redirects and index.conflicts
    builds: list[int] = []
    monkeypatch.setattr(
        blog.content.index_update,
        "build_index",
        lambda *a, **k: builds.append(1) or build_index(*a, **k),
    )
    files = {**files, "plain.md": edited("plain.md", "Plain, edited")}
    updated = update_index(index, files, {"plain.md"}, NOW, {})
    assert builds == []
    assert summary(updated) == summary(build_index(files, NOW, article_path=article_path))
    taking = {**files, "new.md": edited("new.md", "New", "slug: x-2")}  # the clash loser's slug
    assert summary(update_index(updated, taking, {"new.md"}, NOW, {})) == summary(
        build_index(taking, NOW, article_path=article_path)
    )
    assert builds == [1]

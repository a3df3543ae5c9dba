"""The incremental index update gives exactly what a full build gives, edit after edit."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from blog.content.flags import Windows
from blog.content.index import Index, build_index
from blog.content.index_update import update_index
from blog.content.models import Article
from blog.content.profiles import parse_profile
from blog.web.urls import article_path
from tests.articles import parsed_article

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# Long windows, so that many of the random articles' flags are in force at NOW.
WINDOWS = Windows(featured_hours=24 * 200, breaking_hours=24 * 20)
CATEGORIES = ["Business", "Sport", "sport", "Culture", None]
TAGS = ["AI", "ai", "Harbour", "Rail", "Ferries", "Food & Drink", "Energy"]
AUTHORS = ["Mira Okonjo", "mira okonjo", "Tomas Reyes", "Ada Quill"]


def random_article(
    rng: random.Random,
    path: str,
    version: int,
    alias_p: float = 0.05,
    shared_p: float = 0.05,
    flag_p: float = 0.0,
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
    authors = rng.sample(AUTHORS, rng.randrange(0, 3))
    if authors:
        front.append("author:\n" + "".join(f"  - {name}\n" for name in authors).rstrip())
    if rng.random() < 0.1:
        front.append("draft: true")
    if rng.random() < 0.2:
        front.append("deals: Yes")
    if rng.random() < alias_p:
        front.append("aliases:\n  - /old/" + path)
    if rng.random() < shared_p:
        front.append("slug: shared-slug")
    if rng.random() < flag_p:
        front.append(f"priority: {rng.randrange(0, 4)}")
    if rng.random() < flag_p:
        front.append("breaking: true")
        if rng.random() < 0.5:
            front.append(f"breaking_until: {near(rng).isoformat()}")
    if rng.random() < flag_p:
        front.append(f"pinned_until: {near(rng).isoformat()}")
    return parsed_article(
        path,
        source_hash=f"{path}:{version}",
        title=f"{path} v{version}",
        date=date.isoformat(),
        front="\n".join(front),
    )


def near(rng: random.Random) -> dt.datetime:
    """A moment within ten days of NOW, on the hour."""
    return NOW + dt.timedelta(hours=rng.randrange(-240, 240))


def edited(path: str, title: str, front: str = "") -> Article:
    """An edit of ``path`` on 1 June 2025; a version of its own for each title."""
    return parsed_article(
        path, source_hash=f"{path}{title}", title=title, date="2025-06-01T00:00:00Z", front=front
    )


def summary(index: Index) -> dict[str, object]:
    def group_view(groups):
        return [(s, g.name, [a.path for a in g.articles], g.digest) for s, g in groups.items()]

    return {
        "version": index.version,
        "articles": [(a.path, a.slug) for a in index.articles],
        "by_slug": {s: a.path for s, a in index.by_slug.items()},
        "categories": group_view(index.categories),
        "tags": group_view(index.tags),
        "authors": group_view(index.authors),
        "deals": [a.path for a in index.deals],
        "next": index.next_change,
        "unpublished": {s: a.path for s, a in index.unpublished.items()},
        "alias_paths": sorted(index.alias_paths),
        "redirects": dict(index.redirects),
        "conflicts": sorted(str(c) for c in index.conflicts),
        "claims": dict(index.claims),
        "digest": index.digest,
        "articles_digest": index.articles_digest,
        "deals_digest": index.deals_digest,
        "featured": [a.path for a in index.flags.featured],
        "breaking": [a.path for a in index.flags.breaking],
        "pinned": {s: [a.path for a in items] for s, items in index.flags.pinned.items()},
        "last_change": index.flags.last_change,
        "strip_change": index.flags.strip_change,
    }


RULES = {
    "plain": {"alias_p": 0, "shared_p": 0},
    "aliases-and-clashes": {"alias_p": 0.05, "shared_p": 0.05},
    "front-page-flags": {"alias_p": 0, "shared_p": 0, "flag_p": 0.15},
}


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("kind", list(RULES))
def test_updates_match_full_builds(seed: int, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import blog.content.index_update

    rules, quirky = RULES[kind], kind != "plain"
    full_builds: list[int] = []
    monkeypatch.setattr(
        blog.content.index_update,
        "build_index",
        lambda *a, **k: full_builds.append(1) or build_index(*a, **k),
    )
    rng = random.Random(seed)
    files = {f"a{n}.md": random_article(rng, f"a{n}.md", 0, **rules) for n in range(60)}
    index = build_index(files, NOW, article_path=article_path, windows=WINDOWS)
    seen: set[str] = set()
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
        rebuilt = build_index(files, NOW, article_path=article_path, windows=WINDOWS)
        assert summary(index) == summary(rebuilt), (seed, step)
        seen |= {name for name in ("featured", "breaking", "pinned") if getattr(index.flags, name)}
    if not quirky:
        assert full_builds == []  # with no clash or alias anywhere, every step is an update
    if kind == "front-page-flags":  # the flags were in force now and then, and took part
        assert seen == {"featured", "breaking", "pinned"}


@pytest.mark.parametrize("seed", range(4))
def test_updates_as_flags_end_match_full_builds(seed: int) -> None:
    """The clock moves on, past the ends of featured, breaking and pinned times, with an edit
    now and then: the update and a full build agree on everything, the version included."""
    rng = random.Random(seed)
    rules = RULES["front-page-flags"]
    files = {f"a{n}.md": random_article(rng, f"a{n}.md", 0, **rules) for n in range(60)}
    now = NOW - dt.timedelta(days=12)
    index = build_index(files, now, article_path=article_path, windows=WINDOWS)
    versions = {index.version}
    for step in range(1, 60):
        now += dt.timedelta(hours=rng.choice([1, 3, 7, 11]))
        changed: set[str] = set()
        if rng.random() < 0.3:
            path = rng.choice(sorted(files))
            files = {**files, path: random_article(rng, path, step)}
            changed.add(path)
        ended = index.next_change is not None and now >= index.next_change
        index = update_index(index, files, changed, now, {})
        rebuilt = build_index(files, now, article_path=article_path, windows=WINDOWS)
        assert summary(index) == summary(rebuilt), (seed, step)
        if ended and not changed:  # nothing was edited, yet what readers see has changed
            assert index.version not in versions, (seed, step)
        versions.add(index.version)


def flagged(path: str, front: str) -> Article:
    return parsed_article(
        path, title=path, date=(NOW - dt.timedelta(hours=1)).isoformat(), front=front
    )


def test_a_flag_ending_changes_the_version_though_no_file_changed() -> None:
    end = NOW + dt.timedelta(hours=2)
    files = {
        "strip.md": flagged("strip.md", f"breaking: true\nbreaking_until: {end.isoformat()}"),
        "plain.md": flagged("plain.md", ""),
    }
    before = build_index(files, NOW, article_path=article_path)
    assert [a.path for a in before.flags.breaking] == ["strip.md"]
    assert before.next_change == end
    just_before = update_index(before, files, set(), end - dt.timedelta(seconds=1), {})
    assert just_before.version == before.version and just_before.flags.breaking
    after = update_index(before, files, set(), end, {})
    assert after.flags.breaking == () and after.next_change is None
    assert after.version != before.version
    assert summary(after) == summary(build_index(files, end, article_path=article_path))


def test_a_plain_edit_beside_flagged_articles_takes_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import blog.content.index_update

    files = {
        "lead.md": flagged("lead.md", "featured: true"),
        "strip.md": flagged("strip.md", "breaking: true"),
        "pin.md": flagged(
            "pin.md", f"categoria: Sport\npinned_until: {(NOW + dt.timedelta(days=1)).isoformat()}"
        ),
        "plain.md": flagged("plain.md", "categoria: Sport"),
    }
    index = build_index(files, NOW, article_path=article_path)
    builds: list[int] = []
    monkeypatch.setattr(
        blog.content.index_update,
        "build_index",
        lambda *a, **k: builds.append(1) or build_index(*a, **k),
    )
    files = {**files, "plain.md": edited("plain.md", "Plain, edited", "categoria: Sport")}
    updated = update_index(index, files, {"plain.md"}, NOW, {})
    assert builds == []
    assert summary(updated) == summary(build_index(files, NOW, article_path=article_path))
    assert updated.flags == index.flags
    files = {**files, "pin.md": edited("pin.md", "Pin, edited", "categoria: Sport")}
    unpinned = update_index(updated, files, {"pin.md"}, NOW, {})
    assert builds == [1]  # a flagged article (before or after the edit): a full build
    assert unpinned.flags.pinned == {}


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


def test_a_profile_change_alone_updates_the_version_as_a_full_build_would() -> None:
    files = {"a.md": edited("a.md", "A", "author: Mira Okonjo")}
    index = build_index(files, NOW, article_path=article_path)
    data = b"---\nrole: Science Editor\n---\n"
    profiles = {"mira-okonjo": parse_profile("authors/mira-okonjo.md", data, "v1")}
    updated = update_index(index, files, set(), NOW, {}, profiles)
    rebuilt = build_index(files, NOW, article_path=article_path, profiles=profiles)
    assert summary(updated) == summary(rebuilt)
    assert updated.version == rebuilt.version != index.version
    assert updated.profile_of("mira okonjo") == profiles["mira-okonjo"]
    assert update_index(updated, files, set(), NOW, {}).profiles == profiles  # kept

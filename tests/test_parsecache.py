"""The parse cache: a restart reads only the files that changed since the last start."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

import blog.content
from blog import get_library
from tests.conftest import Content, article_text


@pytest.fixture
def cached_app(content: Content, make_app: Callable[..., Flask], tmp_path: Path):
    folder = tmp_path / "cache"

    def make(**config: object) -> Flask:
        return make_app(PARSE_CACHE_DIR=str(folder), **config)

    for n in range(5):
        content.article(f"s{n}.md", title=f"Story {n}")
    return make, folder


def spy_parsing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = blog.content.parse_article
    monkeypatch.setattr(
        blog.content, "parse_article", lambda path, *a: parsed.append(path) or real(path, *a)
    )
    return parsed


def test_restart_reads_only_changed_files(
    content: Content, cached_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, folder = cached_app
    first = get_library(make()).index()
    assert list(folder.glob("*.pickle"))
    parsed = spy_parsing(monkeypatch)
    content.article("s3.md", title="Story 3, edited")
    second = get_library(make()).index()
    assert parsed == ["s3.md"]
    assert second.by_slug["s3"].title == "Story 3, edited"
    assert [a.title for a in second.articles if a.slug != "s3"] == [
        a.title for a in first.articles if a.slug != "s3"
    ]


def test_cache_for_another_time_zone_is_not_used(
    cached_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, _ = cached_app
    make()
    parsed = spy_parsing(monkeypatch)
    make(SITE_TIMEZONE="Europe/Madrid")
    assert len(parsed) == 5


def test_a_cache_folder_others_can_write_is_ignored(
    cached_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, folder = cached_app
    make()
    folder.chmod(0o777)
    parsed = spy_parsing(monkeypatch)
    make()
    assert len(parsed) == 5


def test_a_damaged_cache_costs_only_time(
    cached_app, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    make, folder = cached_app
    make()
    next(folder.glob("*.pickle")).write_bytes(b"\x80\x04garbage")
    parsed = spy_parsing(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="blog"):
        app = make()
    assert len(parsed) == 5 and len(get_library(app).index().articles) == 5
    assert "unreadable" in caplog.text


def test_broken_files_are_not_cached(content: Content, cached_app, monkeypatch) -> None:
    make, _ = cached_app
    content.write("bad.md", "---\ntitle: [\n---\n")
    make()
    parsed = spy_parsing(monkeypatch)
    make()
    assert parsed == ["bad.md"]


def test_off_writes_nothing(
    content: Content, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    content.write("x.md", article_text())
    make_app(PARSE_CACHE_DIR="off")
    assert not list(tmp_path.rglob("*.pickle"))

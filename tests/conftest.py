"""Fixtures: a real app over real files in a temporary content folder."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog import create_app, get_library

FIXED_NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def article_text(
    title: str = "Harbour Cities Turn to Tidal Power",
    date: str = "2025-06-02T07:45:10.118Z",
    body: str = "<!--StartFragment-->\n\nThe body text.\n\n<!--EndFragment-->",
    front: str = "",
) -> str:
    """An article in the editors' exact format; ``front`` is extra raw YAML front matter."""
    head = f"---\ntitle: {title}\ndate: {date}\n" + (front.strip("\n") + "\n" if front else "")
    return head + "---\n" + body + "\n"


class Content:
    """The temporary content folder, with helpers that write files the way editors do."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tick = 1_700_000_000

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode() if isinstance(text, str) else text
        path.write_bytes(data)
        # Distinct, explicit mtimes: a stamp scan must never depend on the clock's resolution.
        self._tick += 10
        os.utime(path, (self._tick, self._tick))
        return path

    def article(self, name: str, **kwargs: str) -> Path:
        return self.write(name, article_text(**kwargs))


@pytest.fixture
def content(tmp_path: Path) -> Content:
    root = tmp_path / "content"
    root.mkdir()
    return Content(root)


@pytest.fixture
def make_app(content: Content) -> Callable[..., Flask]:
    def make(**config: object) -> Flask:
        settings: dict[str, object] = {
            "TESTING": True,
            "CONTENT_DIR": str(content.root),
            "CONTENT_CHECK_INTERVAL": 0,
            "CACHE_TYPE": "SimpleCache",
            "STORE_DIR": "off",
        }
        settings.update(config)
        app = create_app(settings)
        library = get_library(app)
        library.clock = lambda: FIXED_NOW
        library.load()  # index again as of the fixed clock
        return app

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as client:
        yield client


def set_clock(app: Flask, now: dt.datetime) -> None:
    """Move the library's idea of 'now' (publication times), nothing else."""
    get_library(app).clock = lambda: now

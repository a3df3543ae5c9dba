"""Compiled templates are kept in the store's folder: a new process (a restarted worker,
``flask freeze``) loads them instead of compiling every template before its first page, and
a damaged or vanished cache only means compiling again, never a failed page."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flask import Flask

from blog import create_app
from tests.articles import Content, article_text


def _app(content: Content, store: Path) -> tuple[Flask, list[str]]:
    """A site over ``content`` with its store in ``store``, and the names of the templates
    it compiles from source."""
    app = create_app({"TESTING": True, "CONTENT_DIR": str(content.root), "STORE_DIR": str(store)})
    compiled: list[str] = []
    compile_source = app.jinja_env.compile

    def counting(source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(name or "")
        return compile_source(source, name, *args, **kwargs)

    app.jinja_env.compile = counting  # type: ignore[method-assign]
    return app, compiled


def _pages(app: Flask) -> list[bytes]:
    client = app.test_client()
    responses = [client.get(url) for url in ("/", "/news/harbour-ferry/")]
    assert [r.status_code for r in responses] == [200, 200]
    return [r.data for r in responses]


def test_a_second_process_loads_the_templates_the_first_compiled(
    content: Content, tmp_path: Path
) -> None:
    content.write("2025-06-02-harbour-ferry.md", article_text(title="Harbour ferry"))
    first, compiled_first = _app(content, tmp_path / "store")
    pages = _pages(first)
    assert "home.html" in compiled_first
    assert any((tmp_path / "store" / "templates").iterdir())
    second, compiled_second = _app(content, tmp_path / "store")
    assert _pages(second) == pages
    assert compiled_second == []


def test_a_damaged_compiled_template_is_compiled_again(content: Content, tmp_path: Path) -> None:
    content.write("2025-06-02-harbour-ferry.md", article_text(title="Harbour ferry"))
    pages = _pages(_app(content, tmp_path / "store")[0])
    for file in (tmp_path / "store" / "templates").iterdir():
        file.write_bytes(file.read_bytes()[:40])  # cut short after jinja's header
    again, compiled = _app(content, tmp_path / "store")
    assert _pages(again) == pages
    assert "home.html" in compiled


def test_a_vanished_template_cache_never_fails_a_page(content: Content, tmp_path: Path) -> None:
    content.write("2025-06-02-harbour-ferry.md", article_text(title="Harbour ferry"))
    app, compiled = _app(content, tmp_path / "store")
    shutil.rmtree(tmp_path / "store" / "templates")  # nowhere to write what it compiles
    assert b"Harbour ferry" in _pages(app)[1]
    assert "home.html" in compiled

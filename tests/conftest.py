"""Fixtures: a real app over real files in a temporary content folder (the articles come
from tests/articles.py). Hooks: a test that starts a server or a browser without its marker
fails."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import hypothesis
import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from blog import create_app, get_library
from tests.articles import Content
from tests.live import UnmarkedTestError, marker_for

FIXED_NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)

# CI runs every test (.ci/run sets CI=true), with generated inputs at their full size (for
# hypothesis, its own "ci" profile); the fast suite a developer runs takes a sample of them.
THOROUGH = os.environ.get("CI") == "true"
hypothesis.settings.register_profile("sample", max_examples=15)
if not THOROUGH:
    hypothesis.settings.load_profile("sample")


class CompiledTemplates(BytecodeCache):
    """Templates compiled once per test run rather than once per app: most tests build an
    app of their own, and compiling the templates cost more than the rest of such a test.
    The key is the template and its source, so a template edited mid-run is compiled again."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = CompiledTemplates()


@pytest.fixture
def content(tmp_path: Path) -> Content:
    root = tmp_path / "content"
    root.mkdir()
    return Content(root)


def build_app(root: Path, **config: object) -> Flask:
    """The app over the content folder ``root``, looking at it on every request, its clock
    fixed at FIXED_NOW."""
    settings: dict[str, object] = {
        "TESTING": True,
        "CONTENT_DIR": str(root),
        "CONTENT_CHECK_INTERVAL": 0,
        "CACHE_TYPE": "SimpleCache",
        "STORE_DIR": "off",
        # Left empty, it is a hash of every file of the code, templates and static files,
        # taken again for each app; test_config.py tests that one.
        "DEPLOY_ID": "tests",
    }
    settings.update(config)
    app = create_app(settings)
    app.jinja_env.bytecode_cache = TEMPLATES
    library = get_library(app)
    library.clock = lambda: FIXED_NOW
    library.load()  # index again as of the fixed clock
    return app


@pytest.fixture
def make_app(content: Content) -> Callable[..., Flask]:
    def make(**config: object) -> Flask:
        return build_app(content.root, **config)

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


# Markers kept honest: the fast suite (-m "not server and not browser") must start no server
# and no browser, so a test that starts one without the marker that says so fails at once.


_running: list[pytest.Item] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _running.append(item)  # setup, call and teardown, module-scoped fixtures included
    try:
        return (yield)
    finally:
        _running.pop()


def pytest_configure(config: pytest.Config) -> None:
    sys.addaudithook(_refuse_unmarked_programs)


def _refuse_unmarked_programs(event: str, args: tuple[object, ...]) -> None:
    """Every process a test starts goes through here (the interpreter's audit event)."""
    if event != "subprocess.Popen" or not _running:
        return
    argv = cast(list[str], args[1])  # (executable, args, cwd, env)
    needed = marker_for(argv)
    item = _running[-1]
    if needed and item.get_closest_marker(needed) is None:
        raise UnmarkedTestError(
            f"{item.nodeid} starts {argv[0]} but is not marked {needed}: "
            f"add @pytest.mark.{needed} (or pytestmark) so the fast suite leaves it out"
        )

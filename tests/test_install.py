"""`pip install .` (not editable) gives a site that serves every page from any folder.

The package is installed the way the README says, into a fresh virtual environment that sees
neither the checkout nor the test environment's packages, and served by that environment's
gunicorn from a folder that is not the checkout.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.articles import article_text
from tests.html import elements, parse
from tests.live import ROOT, fetch, free_port, serving

pytestmark = pytest.mark.server

# What `pip install .` builds from: the package, its entry point and the files they ship.
SOURCES = ("blog", "templates", "static", "app.py", "pyproject.toml", "README.md")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment (no system site-packages) with the package installed."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:  # a copy, so the build leaves nothing behind in the checkout
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    environment = tmp_path_factory.mktemp("venv")
    venv.create(environment, with_pip=False)  # this pip installs into it: quicker than ensurepip
    python = environment / "bin" / "python"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return environment


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder that is not the checkout and holds no code."""
    return tmp_path_factory.mktemp("elsewhere")


@pytest.fixture(scope="module")
def site(installed: Path, elsewhere: Path) -> Iterator[str]:
    """The installed environment's `gunicorn app:app`, started in ``elsewhere``."""
    content = elsewhere.parent / "articles"
    content.mkdir()
    (content / "2025-06-02-tidal-trams.md").write_text(article_text())
    port = free_port()
    env = {
        "PATH": f"{installed / 'bin'}:/usr/bin:/bin",
        "HOME": str(elsewhere),
        "FLASK_CONTENT_DIR": str(content),
        "FLASK_STORE_DIR": "off",
    }
    command = [str(installed / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}", "app:app"]
    with serving(command, elsewhere, env, port) as base:
        yield base


def installed_python(installed: Path, cwd: Path, code: str) -> str:
    """What ``code`` prints when run by the installed environment's Python in ``cwd``."""
    return subprocess.run(
        [str(installed / "bin" / "python"), "-c", code],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_blog_and_app_are_imported_from_the_installed_copy(
    installed: Path, elsewhere: Path
) -> None:
    code = "import app, blog; print(blog.__file__); print(app.__file__)"
    for module in map(Path, installed_python(installed, elsewhere, code).splitlines()):
        assert module.is_relative_to(installed), module
        assert not module.is_relative_to(ROOT)


def test_templates_and_static_files_are_installed_with_the_package(installed: Path) -> None:
    (package,) = (installed / "lib").glob("python*/site-packages/blog")
    for folder in ("templates", "static"):
        shipped = {p.relative_to(ROOT / folder) for p in (ROOT / folder).rglob("*") if p.is_file()}
        present = {p.relative_to(package / folder) for p in (package / folder).rglob("*")}
        assert shipped and shipped <= present, sorted(map(str, shipped - present))


@pytest.mark.parametrize(
    "path",
    ["/", "/news/tidal-trams/", "/feed.xml", "/static/images/logo.png"],
    ids=["home", "article", "feed", "static"],
)
def test_installed_site_serves_from_another_folder(site: str, path: str) -> None:
    status, _, body = fetch(site + path)
    assert status == 200, body[:500]
    if path.startswith("/static/"):
        assert body == (ROOT / path.removeprefix("/")).read_bytes()


def test_installed_site_serves_its_style_sheet(site: str) -> None:
    status, _, home = fetch(site + "/")
    assert status == 200
    (sheet,) = [
        link.get("href", "")
        for link in elements(parse(home), "link")
        if link.get("rel") == "stylesheet"
    ]
    assert sheet.startswith("/assets/css/site.")
    assert fetch(site + sheet)[0] == 200

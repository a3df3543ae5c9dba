"""The house stays in layers: ``lint-imports`` (import-linter, configured in pyproject.toml)
passes on the code as it is and fails, naming the import, when a lower layer reaches up."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package and its contracts, to break on purpose."""
    shutil.copytree(ROOT / "blog", tmp_path / "blog", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_layers_contract_holds_for_the_code_as_it_is(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (
            "content/models.py",
            "from blog.web import urls",
            "blog.content is not allowed to import blog.web",
        ),
        (
            "markup/render.py",
            "from blog.search import text",
            "blog.markup is not allowed to import blog.search",
        ),
        ("search/engine.py", "import flask", "blog.search is not allowed to import flask"),
        (
            "images/probe.py",
            "from blog.markup import render",
            "blog.images is not allowed to import blog.markup",
        ),
        ("images/fetch.py", "import werkzeug", "blog.images is not allowed to import werkzeug"),
        (
            "web/urls.py",
            "from blog.editor import check",
            "blog.web is not allowed to import blog.editor",
        ),
    ],
)
def test_an_import_that_points_up_breaks_the_check(
    tree: Path, module: str, line: str, broken: str
) -> None:
    with (tree / "blog" / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert broken in result.stdout

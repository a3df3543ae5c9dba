"""``courier-hook``: ``check --changed`` without starting the site, in a real checkout.

Its output must be ``flask content check --changed``'s, word for word, whether it settles
the findings alone (no Flask, from its table of slugs) or runs the whole check because it
cannot be sure: a slug claimed twice, a file changed since the table's commit, an ignored
file, a deleted one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from blog import create_app
from blog.editor import hook
from tests.articles import Content, article_text

GOOD = article_text(front="categoria: Business")
BROKEN = article_text(title='""', front="categoria: Business")
OTHER = article_text(title="Ferries Run Late Again", front="categoria: Business")


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def commit(top: Path, message: str) -> None:
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", message)


@pytest.fixture
def repository(content: Content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The content folder's parent as a checkout with three articles committed; the
    settings, as a hook finds them, in the environment."""
    top = content.root.parent
    for name in ("2025-01-01-one.md", "2025-01-02-two.md", "2025-01-03-three.md"):
        content.write(name, GOOD)
    git(top, "init", "-q", "-b", "main")
    git(top, "config", "user.email", "desk@example.org")
    git(top, "config", "user.name", "Desk")
    commit(top, "First articles")
    monkeypatch.setenv("FLASK_CONTENT_DIR", str(content.root))
    monkeypatch.setenv("FLASK_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("FLASK_DEPLOY_ID", "tests")
    monkeypatch.setenv("FLASK_IMAGE_FETCH", "false")
    return top


def run_hook(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    status = hook.main(list(args))
    return status, capsys.readouterr().out


def flask_changed(content: Content, *args: str) -> tuple[int, str]:
    """What ``flask content check --changed`` says (a store of its own: nothing shared)."""
    app = create_app({"CONTENT_DIR": str(content.root), "STORE_DIR": "off"})
    result = app.test_cli_runner().invoke(args=["content", "check", "--changed", *args])
    return result.exit_code, result.output


def quick(content: Content) -> None:
    """The hook settles the findings alone (raises ``hook.Slower`` when it cannot)."""
    hook.quick(content.root, "text", False, "HEAD")


def test_hook_says_what_check_changed_says_and_settles_it_alone_once_it_has_a_table(
    content: Content, repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content.write("2025-01-02-two.md", article_text(body="Text.\n\n<script>x</script>"))
    content.write("2025-01-04-four.md", OTHER)  # new
    (content.root / "2025-01-01-one.md").unlink()  # deleted: nothing to check
    with pytest.raises(hook.Slower):
        quick(content)  # no table yet
    first = run_hook(capsys)  # the whole check, which writes the table
    quick(content)
    second = run_hook(capsys)

    assert first == second == flask_changed(content)
    assert "2025-01-02-two.md" in second[1] and "<script>" in second[1]
    assert second[1].splitlines()[-1].startswith("2 files checked:")
    assert run_hook(capsys, "--format", "json", "--strict") == flask_changed(
        content, "--format", "json", "--strict"
    )


def test_hook_reports_a_slug_claimed_twice_as_the_whole_check_does(
    content: Content, repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_hook(capsys)  # the table
    content.write("2025-02-01-two.md", GOOD)  # "two", which 2025-01-02-two.md claims

    with pytest.raises(hook.Slower):
        quick(content)
    status, out = run_hook(capsys)

    assert (status, out) == flask_changed(content)
    assert "2025-02-01-two.md" in out and "slug" in out and status == 1


def test_hook_reads_again_the_files_committed_since_its_table(
    content: Content, repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_hook(capsys)  # the table, for the first commit
    content.write("2025-03-01-ferries.md", OTHER)
    commit(repository, "Ferries")  # "ferries" is claimed after the table was written
    content.write("2025-03-02-ferries.md", OTHER)

    with pytest.raises(hook.Slower):
        quick(content)
    assert run_hook(capsys) == flask_changed(content)
    (content.root / "2025-03-02-ferries.md").unlink()
    content.write("2025-03-02-late.md", OTHER)

    quick(content)  # the file committed since was read again: "ferries" is its alone
    assert run_hook(capsys) == flask_changed(content)


def test_hook_knows_the_slugs_of_deleted_ignored_and_broken_files(
    content: Content, repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (content.root / ".gitignore").write_text("drafts/\n")
    commit(repository, "Ignore drafts")
    run_hook(capsys)  # the table
    (content.root / "2025-01-03-three.md").unlink()
    content.write("2025-04-01-three.md", GOOD)  # "three" is free again
    quick(content)
    assert run_hook(capsys) == flask_changed(content)

    content.write("drafts/2025-04-02-harbour.md", GOOD)  # ignored, but the site reads it
    content.write("2025-04-03-harbour.md", GOOD)
    with pytest.raises(hook.Slower):
        quick(content)
    assert run_hook(capsys) == flask_changed(content)

    content.write("2025-01-02-two.md", BROKEN)  # a broken file: the whole check says why
    with pytest.raises(hook.Slower):
        quick(content)
    status, out = run_hook(capsys)
    assert (status, out) == flask_changed(content) and status == 1


def test_hook_imports_no_flask_when_it_settles_the_findings_alone(
    content: Content, repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_hook(capsys)  # the table
    content.write("2025-01-02-two.md", OTHER)
    code = (
        "import sys; from blog.editor import hook; status = hook.main([]); "
        "sys.exit(10 + status if 'flask' in sys.modules else status)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert done.stdout == flask_changed(content)[1]


def test_hook_is_documented_for_editors_and_operators() -> None:
    top = Path(__file__).resolve().parent.parent
    hooks = (top / ".pre-commit-hooks.yaml").read_text()
    assert "id: courier-hook" in hooks and "pass_filenames: false" in hooks
    assert "courier-hook" in (top / "docs" / "editors.md").read_text()
    operators = (top / "docs" / "operators.md").read_text()
    for option in ("--content-dir", "--strict", "--format json", "COMMIT", "-hook.sqlite3"):
        assert option in operators


def test_hook_judges_the_images_of_the_changed_files_as_the_site_does(
    content: Content,
    repository: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "media").mkdir()
    monkeypatch.setenv("FLASK_MEDIA_DIR", str(tmp_path / "media"))
    run_hook(capsys)  # the table
    content.write("2025-01-02-two.md", article_text(front="featuredimage: /media/gone.jpg"))

    quick(content)
    status, out = run_hook(capsys)

    assert (status, out) == flask_changed(content) and status == 1
    assert "2025-01-02-two.md:4: error: featuredimage: /media/gone.jpg: cannot be shown" in out

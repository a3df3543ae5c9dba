"""The files a pre-commit hook checks: ``check --changed [COMMIT]``.

The article and profile files of the content folder that differ from a commit (``HEAD`` by
default: what is staged and what is not) or are new and not ignored, as git lists them. A
file deleted since has nothing to check. Git runs with a fixed argument list on the content
folder only; the commit is passed after ``--end-of-options`` so it is never read as an
option.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from blog.content.files import is_article_name

GIT_TIMEOUT = 30


class NotAvailable(Exception):
    """Git cannot say what changed (not a checkout, an unknown commit): the message says why."""


def changed_files(root: Path, commit: str = "HEAD") -> list[Path]:
    """The article and profile files under ``root`` that differ from ``commit`` or are new,
    sorted; raises ``NotAvailable`` with git's own words."""
    # ls-files first: outside a checkout it says so, where diff would compare folders.
    new = git_output(root, "ls-files", "--others", "--exclude-standard", "-z", "--", ".")
    diff = git_output(
        root, "diff", "--name-only", "--relative", "-z", "--end-of-options", commit, "--"
    )
    found: set[Path] = set()
    for rel in (*diff.split("\0"), *new.split("\0")):
        if rel and is_checked(rel):
            path = root / rel
            if path.is_file():
                found.add(path)
    return sorted(found)


def is_checked(rel: str) -> bool:
    """An article file, or a profile (``authors/*.md``); nothing in a hidden folder, which
    the library never reads."""
    *folders, name = rel.split("/")
    return is_article_name(name) and not any(part.startswith(".") for part in folders)


def git_output(root: Path, *args: str) -> str:
    """Git's output for ``args`` on the content folder (also the pre-commit hook's, in
    ``hook.py``); ``NotAvailable`` with git's own words when it fails."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "-c", "core.quotePath=false", *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise NotAvailable(f"git {args[0]}: {e}") from e
    if done.returncode != 0:
        raise NotAvailable(done.stderr.strip() or f"git {args[0]} failed")
    return done.stdout

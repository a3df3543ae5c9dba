"""The content folder as a git checkout: when each file last changed, and pulling new commits.

Only ever runs ``git`` on the content folder, with a fixed argument list and a timeout.
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

GIT_TIMEOUT = 60


@dataclass(frozen=True)
class GitResult:
    """What a git command did: whether it worked, and what it said."""

    ok: bool
    output: str


def _git(root: Path, *args: str, timeout: float = GIT_TIMEOUT) -> GitResult:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "-c", "core.quotePath=false", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return GitResult(False, f"git {args[0]}: {e}")
    return GitResult(done.returncode == 0, (done.stdout + done.stderr).strip())


def is_checkout(root: Path) -> bool:
    """True when ``root`` is the top of its own git work tree (not a folder inside one)."""
    result = _git(root, "rev-parse", "--show-toplevel", timeout=10)
    return result.ok and Path(result.output).resolve() == root.resolve()


def head(root: Path) -> str | None:
    result = _git(root, "rev-parse", "HEAD", timeout=10)
    return result.output if result.ok else None


@dataclass
class CommitTimes:
    """Time of the last commit that touched each file, kept up to date incrementally.

    The first call reads the whole history once (one ``git log`` for the whole folder); later
    calls read only the commits since the last HEAD they saw.
    """

    root: Path
    seen_head: str | None = None
    times: dict[str, dt.datetime] | None = None

    def update(self) -> set[str] | None:
        """Read the commits since the last call into ``times`` (path, relative to the content
        folder → last commit time, aware UTC); the paths whose time changed, or None when the
        whole history was read (every path may have)."""
        now_head = head(self.root)
        if now_head is None:
            first = self.times is None
            self.times = {}
            return None if first else set()
        if self.times is not None and now_head == self.seen_head:
            return set()
        since = f"{self.seen_head}..{now_head}" if self.times is not None else now_head
        result = _git(self.root, "log", "--format=%x00%ct", "--name-only", "--no-renames", since)
        if not result.ok:
            log.warning("git log in %s failed: %s", self.root, result.output)
            first = self.times is None
            self.times = self.times or {}
            return None if first else set()
        fresh: dict[str, dt.datetime] = {}
        moment: dt.datetime | None = None
        for line in result.output.splitlines():
            if line.startswith("\0"):
                moment = dt.datetime.fromtimestamp(int(line[1:]), dt.UTC)
            elif line and moment is not None and line not in fresh:
                fresh[line] = moment  # newest commit first: the first time seen is the last
        first = self.times is None
        self.times = {**(self.times or {}), **fresh}
        self.seen_head = now_head
        return None if first else set(fresh)


def pull(root: Path) -> GitResult:
    """``git pull --ff-only`` in the content folder, and nothing else."""
    result = _git(root, "pull", "--ff-only")
    if result.ok:
        log.info("content: git pull in %s: %s", root, result.output.splitlines()[-1:] or "")
    else:
        log.error("content: git pull in %s failed: %s", root, result.output)
    return result

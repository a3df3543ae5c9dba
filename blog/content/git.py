"""The content folder as a git checkout: when each file last changed, and pulling new commits.

Only ever runs ``git`` on the content folder, with a fixed argument list and a timeout. Pulls
take a file lock in the checkout's git folder, so the processes of a host (gunicorn's workers,
``flask content pull``) pull one at a time: two at once fail on git's own locks.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

GIT_TIMEOUT = 60
PULL_LOCK = "courier-pull.lock"  # in the checkout's git folder, which git leaves alone


@dataclass(frozen=True)
class GitResult:
    """What a git command did: whether it worked, and what it said."""

    ok: bool
    output: str


def _git(
    root: Path, *args: str, timeout: float = GIT_TIMEOUT, keep_open: tuple[int, ...] = ()
) -> GitResult:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "-c", "core.quotePath=false", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            pass_fds=keep_open,
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


def git_dir(root: Path) -> Path | None:
    """The checkout's git folder (``.git``, or where a ``.git`` file points), or None."""
    result = _git(root, "rev-parse", "--absolute-git-dir", timeout=10)
    return Path(result.output) if result.ok else None


@contextmanager
def pull_lock(root: Path) -> Iterator[tuple[int, ...]]:
    """Hold the host-wide pull lock of the checkout at ``root``; yields its file descriptor
    (none when ``root`` is no checkout). An ``flock`` lasts while any process holds the
    descriptor, so one handed to git outlives a worker stopped mid-pull, and none outlives
    the processes that held it, however they end."""
    folder = git_dir(root)
    if folder is None:  # not a checkout: the pull will fail and say why
        yield ()
        return
    with open(folder / PULL_LOCK, "ab") as held:  # "a": created if missing, never truncated
        fcntl.flock(held, fcntl.LOCK_EX)
        yield (held.fileno(),)


def pull(root: Path) -> GitResult:
    """``git pull --ff-only`` in the content folder, and nothing else, one process at a time."""
    with pull_lock(root) as lock:
        result = _git(root, "pull", "--ff-only", keep_open=lock)
    if result.ok:
        log.info("content: git pull in %s: %s", root, result.output.splitlines()[-1:] or "")
    else:
        log.error("content: git pull in %s failed: %s", root, result.output)
    return result


class Puller:
    """Pulls in a thread of its own when asked, so whoever asks never waits on git.

    Asking while a pull runs queues one more pull, never more: a burst of pushes costs this
    process at most two pulls, and the last one starts after the last push was announced.
    ``after`` runs after each pull, in the same thread (the library's refresh).
    """

    def __init__(self, root: Path, after: Callable[[GitResult], object]) -> None:
        self.root = root
        self.after = after
        self.last: GitResult | None = None  # the last finished pull's result
        self._state = threading.Condition()
        self._queued = False
        self._running = False

    def request(self) -> bool:
        """Ask for a pull: True when one starts now, False when it queues behind the one
        running (or joins the one already queued)."""
        with self._state:
            self._queued = True
            if self._running:
                return False
            self._running = True
        threading.Thread(target=self._run, name="content-pull", daemon=True).start()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no pull runs or is queued; False if ``timeout`` passed first."""
        with self._state:
            return self._state.wait_for(lambda: not self._running, timeout)

    def _take(self) -> bool:
        """Take the queued pull, or (in the same breath, so no request is lost) stop."""
        with self._state:
            if self._queued:
                self._queued = False
                return True
            self._running = False
            self._state.notify_all()
            return False

    def _run(self) -> None:
        try:
            while self._take():
                self.last = pull(self.root)
                self.after(self.last)
        except BaseException:
            with self._state:  # the next request starts a thread again
                self._running = False
                self._state.notify_all()
            raise

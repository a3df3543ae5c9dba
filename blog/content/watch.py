"""Which content files changed since we last asked, without stat-ing every file.

On Linux the kernel tells us (inotify): reading the pending events is one non-blocking
system call, however many files there are, and an event is queued before the writer's
``close`` or ``rename`` returns, so the next request sees it. Where inotify is missing or
runs out of watches we fall back to "changed: unknown", and the library scans the folder.
"""

from __future__ import annotations

import logging
import os
import select
import time
from pathlib import Path

log = logging.getLogger(__name__)

try:
    from inotify_simple import INotify, flags
except ImportError:  # not Linux: the library polls instead
    INotify = None

FILE_EVENTS = ("CLOSE_WRITE", "MOVED_TO", "MOVED_FROM", "DELETE", "CREATE", "ATTRIB")
RESCAN_EVENTS = ("Q_OVERFLOW", "DELETE_SELF", "MOVE_SELF", "IGNORED", "UNMOUNT")


class Watch:
    """The kernel's change events for a folder tree, for one process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pid = os.getpid()
        self._inotify: INotify | None = None
        self._dirs: dict[int, str] = {}
        self._start()

    @property
    def active(self) -> bool:
        """True when changes are reported by the kernel rather than found by scanning."""
        return self._inotify is not None

    def _start(self) -> None:
        if INotify is None or not self.root.is_dir():
            return
        mask = 0
        # The folder itself moved or deleted (a deploy that swaps folders) must be seen too:
        # the watch would otherwise follow the old folder and miss every later change.
        for name in (*FILE_EVENTS, "MOVE_SELF", "DELETE_SELF"):
            mask |= getattr(flags, name)
        try:
            self._inotify = INotify()
            for directory in self._directories():
                wd = self._inotify.add_watch(self.root / directory, mask | flags.ONLYDIR)
                self._dirs[wd] = directory
        except OSError as e:
            log.warning("content: cannot watch %s (%s); scanning it instead", self.root, e)
            self.close()

    def _directories(self) -> list[str]:
        found = [""]
        for dirpath, dirnames, _ in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = os.path.relpath(dirpath, self.root)
            if rel != ".":
                found.append(rel)
        return found

    def changes(self) -> set[str] | None:
        """Relative paths touched since the last call; ``None`` when unknown (scan all)."""
        if self._inotify is None:
            return None
        changed: set[str] = set()
        for event in self._inotify.read(timeout=0):
            event_flags = flags.from_mask(event.mask)
            if any(getattr(flags, name) in event_flags for name in RESCAN_EVENTS):
                self._restart()
                return None
            if flags.ISDIR in event_flags:
                self._restart()  # a folder came or went: watch the new tree
                return None
            directory = self._dirs.get(event.wd)
            if directory is None:
                continue
            changed.add(os.path.join(directory, event.name) if directory else event.name)
        return changed

    def wait(self, timeout: float) -> None:
        """Block until the kernel has news for this folder, or ``timeout`` seconds pass
        (the events stay queued for ``changes``)."""
        if self._inotify is None:
            time.sleep(timeout)
            return
        try:
            select.select([self._inotify.fileno()], [], [], timeout)
        except (OSError, ValueError):  # closed meanwhile by a restart
            time.sleep(timeout)

    def _restart(self) -> None:
        self.close()
        self._start()

    def close(self) -> None:
        """Stop watching; safe to call twice."""
        if self._inotify is not None:
            self._inotify.close()
        self._inotify = None
        self._dirs = {}


class ProcessWatch:
    """A ``Watch`` for whichever process asks: a gunicorn worker forked from the master
    cannot read the master's inotify descriptor usefully, so each process starts its own,
    and a watch that lost the kernel's events is started again."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._watch: Watch | None = None

    def changes(self) -> set[str] | None:
        """Paths changed since this process last asked; None when unknown (a new process,
        a new watch, or no kernel events): the caller scans the whole folder."""
        watch = self._watch
        if watch is not None and watch.pid == os.getpid() and watch.active:
            return watch.changes()
        if watch is not None and watch.pid == os.getpid():
            watch.close()
        # Watch first, then scan: no change can fall between the two.
        self._watch = Watch(self.root)
        return None

    def wait(self, timeout: float) -> None:
        """Return once this process's watch has news, or after ``timeout`` seconds (at once
        the kernel's events; when changes are found by scanning, the timeout)."""
        watch = self._watch
        if watch is None or watch.pid != os.getpid():
            time.sleep(timeout)
        else:
            watch.wait(timeout)

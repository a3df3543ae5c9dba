"""Content problems for the log, each once: a broken file is met by every request until an
editor fixes it, and the log must say so once, not thousands of times."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("blog.content")


class Reports:
    """Problems already logged, by a key that changes when the problem does.

    Held (``hold``), they are kept rather than logged, until ``release``: a command such as
    the check prints each problem itself, and the log must not say it a second time.
    """

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._held: list[tuple[int, str]] | None = None

    def report(self, key: str, message: str, level: int = logging.ERROR) -> None:
        """Log ``message`` unless a problem with this key was logged already."""
        with self._lock:
            if key in self._seen:
                return
            self._seen.add(key)
            if self._held is not None:
                self._held.append((level, message))
                return
        log.log(level, "content: %s", message)

    def hold(self) -> None:
        """Keep the problems met from now on instead of logging them."""
        with self._lock:
            if self._held is None:
                self._held = []

    def release(self, log_them: bool = True) -> None:
        """Log the problems kept (or drop them: they were shown elsewhere), and log again."""
        if self._held is None:  # the usual case, on every request of a held app: no lock
            return
        with self._lock:
            held, self._held = self._held or [], None
        for level, message in held if log_them else ():
            log.log(level, "content: %s", message)

    def settled(self, key: str) -> bool:
        """Forget the problem ``key``; True when it had been reported."""
        with self._lock:
            if key not in self._seen:
                return False
            self._seen.discard(key)
            return True

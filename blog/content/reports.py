"""Content problems for the log, each once: a broken file is met by every request until an
editor fixes it, and the log must say so once, not thousands of times."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("blog.content")


class Reports:
    """Problems already logged, by a key that changes when the problem does."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def report(self, key: str, message: str, level: int = logging.ERROR) -> None:
        """Log ``message`` unless a problem with this key was logged already."""
        with self._lock:
            if key in self._seen:
                return
            self._seen.add(key)
        log.log(level, "content: %s", message)

    def settled(self, key: str) -> bool:
        """Forget the problem ``key``; True when it had been reported."""
        with self._lock:
            if key not in self._seen:
                return False
            self._seen.discard(key)
            return True

"""Work on images while a reader waits, bounded: a page full of images nobody has asked for
yet must not hold every thread of a worker.

At most ``workers`` jobs run at once in a process, at most ``queue`` more wait their turn
(beyond that a request is told "busy" at once), and a caller waits at most ``wait`` seconds:
a job that takes longer finishes in the background and its file is on disk for the next
request. A caller with something else to give meanwhile waits less, and not at all for a
job queued behind others: only the few jobs running can hold its thread. Two requests for
the same key share one job.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Generic, TypeVar

T = TypeVar("T")
# Below the request threads (0), above the background's making (10): a reader who waits past
# its moment gets another image, so the pages and stand-ins come first on a busy machine.
NICENESS = 5


class Busy(Exception):
    """No room for the job now, or it did not finish within the wait."""


class BoundedMaker(Generic[T]):
    """A small pool of threads with a bounded queue and a wait limit per caller."""

    def __init__(self, workers: int = 2, queue: int = 16, wait: float = 5.0) -> None:
        self.workers, self.queue, self.wait = workers, queue, wait
        self._lock = threading.Lock()
        self._jobs: dict[str, Future[T]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0

    def run(
        self, key: str, job: Callable[[], T], wait: float | None = None, in_line: bool = True
    ) -> T:
        """``job()``'s result (shared with callers of the same ``key`` meanwhile); ``Busy``
        when the queue is full or the job takes longer than ``wait`` (default: the maker's),
        and with ``in_line`` false at once when the job waits for others to finish first
        (queued, it will be made all the same)."""
        future, queued = self._submit(key, job)
        if queued and not in_line:
            raise Busy("waiting for other images to be made; it will be ready shortly")
        wait = self.wait if wait is None else wait
        try:
            return future.result(timeout=wait)
        except FutureTimeout as e:
            raise Busy(f"not made within {wait:g} s; it will be ready shortly") from e

    def pending(self) -> int:
        """Jobs running or waiting now."""
        with self._lock:
            return len(self._jobs)

    def _submit(self, key: str, job: Callable[[], T]) -> tuple[Future[T], bool]:
        """The job's future, and whether it waits behind others (not started yet)."""
        with self._lock:
            future = self._jobs.get(key)
            if future is not None:
                return future, not (future.running() or future.done())
            if len(self._jobs) >= self.workers + self.queue:
                raise Busy(f"{len(self._jobs)} images are being made; try again shortly")
            queued = len(self._jobs) >= self.workers
            future = self._executor().submit(job)
            self._jobs[key] = future
        future.add_done_callback(lambda _: self._done(key))
        return future, queued

    def _done(self, key: str) -> None:
        with self._lock:
            self._jobs.pop(key, None)

    def _executor(self) -> ThreadPoolExecutor:
        """This process's pool: one made before gunicorn forked has no threads here."""
        if self._pool is None or self._pid != os.getpid():
            self._pool = ThreadPoolExecutor(
                self.workers, thread_name_prefix="image-make", initializer=_lower_priority
            )
            self._pid = os.getpid()
            self._jobs = {}
        return self._pool


def _lower_priority() -> None:
    """This thread only (Linux); elsewhere the pool runs at the process's priority."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)

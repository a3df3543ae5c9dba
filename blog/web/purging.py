"""Purging the caches in front when what pages show changes, off the request path.

The library calls ``Purging.changed`` after every swap of its index (an edit, a pull, a
scheduled article's time, a breaking strip's end), from whichever thread refreshed: it only
queues the change. A thread of the process then works out which keys changed
(``keys.changed_keys``) and what each target (``purgers.py``, ``websub.py``) must be told,
and hands that to the target's own thread, which sends it ``PURGE_DELAY`` seconds after the
change was seen, retried with backoff while it fails, and logs what happened. A slow or
failing cache holds up neither a reader nor another cache.

Once per change across workers and hosts: every process sees every change and works out the
same keys and versions, and the first to claim each ``(key, version)`` in the ledger
(``ledger.py``) purges it. One that saw the change later than ``PURGE_DELAY`` after that
claim purges again: until it saw the change it served the old pages, which a cache may have
fetched from it after the first purge.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from blog.content import keys
from blog.content.index import Index
from blog.content.library import Library
from blog.web.ledger import Ledger, ledger_errors
from blog.web.purgers import PurgeFailed
from blog.web.shown import EVERYTHING

log = logging.getLogger(__name__)

BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0)  # seconds before each retry, then 60
ATTEMPTS = 12  # tries before a purge is given up (about six minutes)


class Target(Protocol):
    """A cache, or a WebSub hub, to be told of changes."""

    name: str
    shared: bool  # every host sits behind it (claims shared), or each has its own

    def send(self, items: Sequence[str]) -> None:
        """Tell it about ``items``; ``PurgeFailed`` when it did not take them."""


@dataclass(frozen=True)
class Picture:
    """A picture's change, as seen by this process at ``seen``."""

    name: str
    version: str
    seen: float


@dataclass(frozen=True)
class Change:
    """One swap of the library's index, as seen by this process at ``seen``."""

    old: Index
    new: Index
    paths: frozenset[str]
    seen: float


Job = Change | Picture | tuple[str, tuple[str, ...]]  # a swap, a picture, a page noted

#: What a target is told of a change: (item, its version) pairs; keys by default.
Items = Callable[[Target, Change, set[str]], list[tuple[str, str]]]


def changed_tokens(target: Target, change: Change, names: set[str]) -> list[tuple[str, str]]:
    """The keys that changed, as shared caches name them, with their new versions."""
    return sorted((keys.token(name), keys.version(change.new, name)) for name in names)


class Purging:
    """The targets of one process, the threads that tell them, and the ledgers."""

    def __init__(
        self,
        targets: Sequence[Target],
        shared: Ledger,
        local: Ledger,
        *,
        delay: float,
        items: dict[str, Items] | None = None,
        clock: Callable[[], float] = time.time,
        backoff: Sequence[float] = BACKOFF,
        attempts: int = ATTEMPTS,
    ) -> None:
        self.targets = list(targets)
        self.shared, self.local = shared, local
        self.delay = delay
        self.items = items or {}
        self.clock = clock
        self.senders = {t.name: Sender(t, clock, backoff, attempts) for t in self.targets}
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._ledger_failing = False
        self._unfinished = 0  # jobs queued and not yet handed to the senders

    def listen(self, library: Library) -> None:
        """Follow the library's changes from now on (after its first load: what was there
        before is what the caches hold, or they were purged when the site last ran)."""
        library.listeners.append(lambda old, paths: self.changed(old, library.current, paths))

    def changed(self, old: Index, new: Index, paths: set[str]) -> None:
        """The library swapped ``old`` for ``new``: queue it, at once."""
        if old.version != new.version:
            self._submit(Change(old, new, frozenset(paths), self.clock()))

    def picture_changed(self, name: str, version: str) -> None:
        """A picture changed to ``version``: its key (``picture:<reference>``) is purged from
        the caches, once across hosts like a change's keys (the WebSub hub is not told: a
        feed's items are as they were)."""
        self._submit(Picture(name, version, self.clock()))

    def note(self, path: str, names: Sequence[str]) -> None:
        """A page at ``path`` (as the proxy's cache keys it) was rendered showing ``names``
        (for nginx, which purges by URL)."""
        self._submit((path, (*(keys.token(name) for name in names), EVERYTHING)))

    def purge_now(self, tokens: Sequence[str]) -> dict[str, str]:
        """Send ``tokens`` to every cache now, in this thread, once (``flask content purge``):
        each cache's name → "ok" or why it failed."""
        results = {}
        for target in self.targets:
            if target.name in self.items:
                continue  # not a cache (the WebSub hub)
            try:
                target.send(list(tokens))
                results[target.name] = "ok"
            except PurgeFailed as e:
                results[target.name] = str(e)
        return results

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued change is sent or given up (tests, the soak bench)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._unfinished and all(s.idle() for s in self.senders.values()):
                return True
            time.sleep(0.01)
        return False

    def _submit(self, job: Job) -> None:
        self._start()
        with self._lock:
            self._unfinished += 1
        self._jobs.put(job)

    def _start(self) -> None:
        """The threads of this process (a gunicorn worker forks from the master: its threads
        do not come along)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._jobs, self._unfinished = queue.SimpleQueue(), 0
            threading.Thread(target=self._run, name="purge", daemon=True).start()
            for sender in self.senders.values():
                sender.start()
            self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if isinstance(job, Change):
                    self._purge(job)
                elif isinstance(job, Picture):
                    self._purge_picture(job)
                elif job is not None:
                    self._note(*job)
            except Exception:  # keep going: one bad change must not end the purging
                log.exception("purge: could not work out a change")
            finally:
                with self._lock:
                    self._unfinished -= 1

    def _note(self, path: str, tokens: tuple[str, ...]) -> None:
        try:
            self.shared.note(path, tokens, self.clock())
        except ledger_errors() as e:  # the ledger's store or Redis: nginx misses this page
            self._ledger_failed(e)

    def _purge(self, change: Change) -> None:
        names = keys.changed_keys(change.old, change.new, change.paths)
        if not names:
            return
        log.debug("purge: changed %s", " ".join(sorted(names)))
        for target in self.targets:
            items = self.items.get(target.name, changed_tokens)(target, change, names)
            ours = [
                item for item, version in items if self._ours(target, item, version, change.seen)
            ]
            if ours:
                self.senders[target.name].add(ours, change.seen + self.delay)

    def _purge_picture(self, change: Picture) -> None:
        token = keys.token(change.name)
        log.debug("purge: changed %s (%s)", change.name, token)
        for target in self.targets:
            if target.name in self.items:
                continue  # not a cache (the WebSub hub)
            if self._ours(target, token, change.version, change.seen):
                self.senders[target.name].add([token], change.seen + self.delay)

    def _ours(self, target: Target, item: str, version: str, seen: float) -> bool:
        """True when this process is to send ``item``: first to claim it, or late (and the
        first of its host's workers to be)."""
        token = f"{target.name}:{item}@{version}"
        if not self._first(self.shared if target.shared else self.local, token, seen):
            return False
        if not target.shared or self.shared is self.local:
            return True
        # Late for the other hosts: one purge more for this host, not one per worker.
        return self._first(self.local, "late:" + token, seen)

    def _first(self, ledger: Ledger, token: str, seen: float) -> bool:
        """True when ``token`` is this process's to act on: nobody claimed it, or the claim
        was made longer than ``PURGE_DELAY`` before this process saw the change."""
        try:
            claimed = ledger.claim(token, seen)
        except ledger_errors() as e:  # no ledger: better one purge too many than a stale page
            self._ledger_failed(e)
            return True
        self._ledger_works()
        if claimed is None:
            return True
        if seen - claimed > self.delay:
            log.info(
                "purge: %s: seen %.1f s after it was purged, purging again", token, seen - claimed
            )
            return True
        return False

    def _ledger_failed(self, error: Exception) -> None:
        if not self._ledger_failing:
            self._ledger_failing = True
            log.error("purge: ledger unavailable, every worker purges for itself: %s", error)

    def _ledger_works(self) -> None:
        if self._ledger_failing:
            self._ledger_failing = False
            log.warning("purge: ledger works again")


class Sender:
    """One target's thread: each item goes out when due, with the others due by then, in
    one call; while the target fails, what is pending waits for the retry, with backoff.

    An item changed again before its purge went out is purged when first due and once more
    when due for the later change: never postponed, so a key changing faster than
    ``PURGE_DELAY`` (an edit every 100 ms to a listing) is still purged at least that often.
    """

    def __init__(
        self,
        target: Target,
        clock: Callable[[], float],
        backoff: Sequence[float],
        attempts: int,
    ) -> None:
        self.target = target
        self.clock = clock
        self.backoff = backoff
        self.attempts = attempts
        self.sent = 0  # calls that succeeded (tests, the soak bench)
        self._pending: dict[str, float] = {}  # item → when it is due
        self._again: dict[str, float] = {}  # item → when due again (changed after queued)
        self._retry_at = 0.0  # while failing: nothing goes out before
        self._failures = 0
        self._busy = False
        self._wake = threading.Condition()

    def start(self) -> None:
        with self._wake:
            self._pending, self._again = {}, {}
            self._failures, self._retry_at, self._busy = 0, 0.0, False
        name = f"purge-{self.target.name}"
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def add(self, items: Sequence[str], not_before: float) -> None:
        with self._wake:
            for item in items:
                due = self._pending.get(item)
                if due is None:
                    self._pending[item] = not_before
                elif not_before > due:
                    self._again[item] = max(self._again.get(item, not_before), not_before)
            self._wake.notify()

    def idle(self) -> bool:
        with self._wake:
            return not self._pending and not self._busy

    def _run(self) -> None:
        while True:
            with self._wake:
                while True:
                    if not self._pending:
                        self._wake.wait()
                        continue
                    now = self.clock()
                    due = max(min(self._pending.values()), self._retry_at)
                    if now >= due:
                        break
                    self._wake.wait(timeout=due - now)
                items = sorted(item for item, due in self._pending.items() if due <= now)
                for item in items:
                    del self._pending[item]
                    if item in self._again:
                        self._pending[item] = self._again.pop(item)
                self._busy = True
            try:
                self._send(items)
            finally:
                with self._wake:
                    self._busy = False

    def _send(self, items: list[str]) -> None:
        try:
            self.target.send(items)
        except PurgeFailed as e:
            self._failures += 1
            if self._failures >= self.attempts:
                log.error(
                    "purge: %s: gave up after %d tries, %d items not purged: %s",
                    self.target.name,
                    self._failures,
                    len(items),
                    e,
                )
                self._failures, self._retry_at = 0, 0.0
                return
            pause = self.backoff[min(self._failures - 1, len(self.backoff) - 1)]
            log.warning(
                "purge: %s failed (try %d, again in %.1f s): %s",
                self.target.name,
                self._failures,
                pause,
                e,
            )
            with self._wake:
                now = self.clock()
                for item in items:  # due again at once, held back until the retry
                    if item in self._pending:  # queued again meanwhile: then once more
                        later = self._pending[item]
                        self._again[item] = max(self._again.get(item, later), later)
                    self._pending[item] = now
                self._retry_at = now + pause
            return
        except Exception:  # a bug in a target must not end its thread
            log.exception("purge: %s: could not send", self.target.name)
            return
        self.sent += 1
        if self._failures:
            log.warning("purge: %s works again", self.target.name)
        self._failures, self._retry_at = 0, 0.0
        log.info("purge: %s: %d items: %s", self.target.name, len(items), " ".join(items[:20]))

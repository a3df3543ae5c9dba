"""Images made ready before readers ask: a thread per worker that fetches and prepares the
images of articles as they appear or change, and tries failed fetches again when their
wait is over.

Fetching comes first: every queued article's remote images are fetched before any sizes
are made. A fetch takes a fraction of a second and only the background may do it; making an
image's sizes takes one or two, and a reader's request can make the one it needs (bounded:
``maker.py``). So on a cold start the newest pages show their pictures within seconds,
not after every earlier picture's sizes are made (``bench/picture_pages.py``).

``web/site.py`` starts it in each gunicorn worker (``prepare_worker``), gives it every
article at start (newest first: an image already prepared, here or by another process
sharing the folder, costs a few file checks) and every article that changes after (a
listener of the library). ``submit`` only queues, so it can sit in the library's refresh
or in the refresher's ``prerender`` hook. The thread runs at a lower CPU priority than the
worker's request threads (Linux), so making variants never slows a page.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from blog.content.models import Article
from blog.content.store import Parts
from blog.images.pictures import Images, NoPicture, Picture
from blog.images.references import kind, uses

log = logging.getLogger(__name__)

RETRY_EVERY = 60.0  # seconds between looks for failed fetches whose wait is over
NICENESS = 10
BACKLOG_BATCH = 256  # backlog articles fetched before their sizes are made
DONE_KEPT = 4096


class ImagePreparer:
    """The background thread of one process, and what it does for each article."""

    def __init__(
        self,
        images: Images,
        parts_of: Callable[[Article], Parts],
        retry_every: float = RETRY_EVERY,
    ) -> None:
        self.images = images
        self.parts_of = parts_of
        self.retry_every = retry_every
        self._queue: deque[Article] = deque()  # their remote images to fetch
        self._making: deque[Article] = deque()  # fetched: their images' sizes to make
        # Articles to look at once the queue is empty, taken a batch at a time (every
        # article at a worker's start: 100,000 of them are not held in memory at once).
        self._backlog: Iterator[Article] = iter(())
        self._queued: set[tuple[str, str]] = set()  # (path, content hash) in the queue
        # Remote references fetched and prepared, here or elsewhere: the latest DONE_KEPT of
        # them (one prepared again costs a few file checks; a set of every URL of 100,000
        # articles would cost each worker megabytes).
        self._done: dict[str, None] = {}
        self._waiting: set[str] = set()  # remote references without a picture yet
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> threading.Thread:
        """Start the thread (once per process, after gunicorn forked)."""
        self.thread = threading.Thread(target=self._run, name="image-prepare", daemon=True)
        self.thread.start()
        return self.thread

    def stop(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify()

    def submit(self, article: Article | None) -> None:
        """Queue ``article``'s images (cheap: the thread does the work)."""
        if article is None:
            return
        key = (article.path, article.source_hash)
        with self._wake:
            if key not in self._queued:
                self._queued.add(key)
                self._queue.append(article)
                self._wake.notify()

    def submit_all(self, articles: Iterable[Article | None]) -> None:
        for article in articles:
            self.submit(article)

    def submit_backlog(self, articles: Iterable[Article]) -> None:
        """Look at these articles after the queue, taking each only when its turn comes."""
        with self._wake:
            self._backlog = itertools.chain(self._backlog, articles)
            self._wake.notify()

    def idle(self) -> bool:
        """True when nothing is queued (tests wait for it)."""
        with self._wake:
            return not self._take_backlog() and not self._making

    def _take_backlog(self) -> bool:
        """(Held: ``self._wake``.) Fill the fetch queue from the backlog when it is empty and
        few articles wait for their sizes; True when anything is queued to fetch."""
        while not self._queue and len(self._making) < BACKLOG_BATCH:
            following = next(self._backlog, None)
            if following is None:
                break
            key = (following.path, following.source_hash)
            if key not in self._queued:
                self._queued.add(key)
                self._queue.append(following)
        return bool(self._queue)

    def fetch_article(self, article: Article) -> None:
        """Fetch the remote images ``article`` shows, when due; make no sizes yet."""
        try:
            parts = self.parts_of(article)
        except LookupError:
            parts = []
        for use in uses(article, parts):
            if kind(use.reference) == "remote" and use.reference not in self._done:
                self.images.prepare(use.reference, make=False)

    def prepare_article(self, article: Article) -> list[Picture | NoPicture]:
        """Fetch and make ready every image ``article`` shows (a remote one once per process:
        its URL's image never changes; a local file may, and costs a few checks)."""
        try:
            parts = self.parts_of(article)
        except LookupError:
            parts = []  # its text is gone from the store: the lead image still counts
        results = []
        for use in uses(article, parts):
            reference = use.reference
            if reference in self._done:
                continue
            picture = self.images.prepare(reference)
            results.append(picture)
            if kind(reference) != "remote":
                continue
            if isinstance(picture, NoPicture) and picture.kind in ("pending", "failed"):
                self._waiting.add(reference)
            else:
                self._waiting.discard(reference)
                self._mark_done(reference)
        return results

    def _mark_done(self, reference: str) -> None:
        self._done[reference] = None
        while len(self._done) > DONE_KEPT:
            del self._done[next(iter(self._done))]

    def retry_due(self) -> None:
        """Prepare again the remote images whose fetch failed and whose wait is over."""
        for reference in sorted(self._waiting):
            if self._stop.is_set():
                return
            picture = self.images.prepare(reference)
            if isinstance(picture, Picture) or picture.kind in ("svg", "hotlink"):
                self._waiting.discard(reference)
                self._mark_done(reference)

    def _run(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # this thread only; Linux
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
        while not self._stop.is_set():
            with self._wake:
                if not self._take_backlog() and not self._making:
                    self._wake.wait(self.retry_every)
                fetching = bool(self._queue)
                queue = self._queue if fetching else self._making
                article = queue.popleft() if queue else None
                if article is not None and fetching:
                    self._queued.discard((article.path, article.source_hash))
            try:
                if article is None:
                    self.retry_due()
                elif fetching:
                    try:
                        self.fetch_article(article)
                    finally:  # its local images' sizes, at least
                        with self._wake:
                            self._making.append(article)
                else:
                    self.prepare_article(article)
            except Exception:  # keep going: one bad image must not end the preparing
                log.exception("images: preparing %s failed", article.path if article else "retries")

"""Looking for content changes in the background, so that no reader waits for them.

Left to itself, the library refreshes when a request finds the check interval passed
(``library.py``): that request then pays for the new index and for the edited article's
HTML, a cost that grows with the archive. A gunicorn worker runs this thread instead
(``prepare_worker``). It wakes on the kernel's first event for the folder (or after an
interval, when changes are found by scanning), refreshes, and renders the HTML of the
versions that changed: the edit shows at once, and its first reader gets a page built from
ready parts. Requests still refresh themselves when the thread has fallen a whole interval
behind.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from blog.content.index import Index
from blog.content.library import Library
from blog.content.models import Article

log = logging.getLogger(__name__)

PRERENDER = 32  # changed articles rendered ahead per refresh (after a big pull: the newest)
SETTLE = 0.05  # seconds between the first change event and the refresh
MAX_BACKOFF = 60.0  # seconds at most between attempts while refreshing keeps failing


def keep_fresh(
    library: Library,
    stop: threading.Event | None = None,
    prerender: Callable[[Article], object] | None = None,
) -> threading.Thread | None:
    """Start the thread for this process, until ``stop`` is set, calling ``prerender`` (the
    markup layer's HTML, say) for each changed article; None when every request looks
    anyway."""
    if library.check_interval <= 0:
        return None
    library.schedule.background = True  # requests only cover for the thread now
    thread = threading.Thread(
        target=_run,
        args=(library, stop or threading.Event(), prerender),
        name="content-refresh",
        daemon=True,
    )
    thread.start()
    return thread


def _run(
    library: Library, stop: threading.Event, prerender: Callable[[Article], object] | None
) -> None:
    seen = library.current
    failing: str | None = None  # the failure last logged, while refreshing keeps failing
    pause = library.check_interval
    first = True  # at once: the scan for what changed since the index was read
    while not stop.is_set():
        # Woken by the kernel's first event for the folder (at the latest after an
        # interval: the scanning fallback, a scheduled publication), then a moment for the
        # rest of a burst (a pull writes many files) to arrive.
        if not first:
            library.wait_for_change(pause)
            if stop.wait(SETTLE):
                return
        first = False
        try:
            index = library.refresh()
            if index is not seen:
                if prerender is not None:
                    _render_changed(prerender, seen, index)
                seen = index
        except Exception as e:  # keep going: one bad pass must not end the refreshing
            # A failure that repeats is logged once, with its traceback, and tried again
            # less and less often: not a traceback a second for as long as it lasts.
            if repr(e) != failing:
                log.exception("content: background refresh failed (retrying with backoff)")
                failing = repr(e)
            pause = min(MAX_BACKOFF, max(pause, 0.05) * 2)
            continue
        if failing is not None:
            log.warning("content: background refresh works again")
            failing, pause = None, library.check_interval


def _render_changed(prerender: Callable[[Article], object], before: Index, after: Index) -> None:
    """Prerender the article versions ``after`` has and ``before`` had not (the newest
    ``PRERENDER`` of them), found by record number: no article is made for the others."""
    records = after.records
    known = set(before.files.rids()) if before.records is records else set()
    changed = [rid for rid in after.files.rids() if rid not in known]
    changed.sort(key=records.date_us, reverse=True)
    for rid in changed[:PRERENDER]:
        prerender(records.article(rid))

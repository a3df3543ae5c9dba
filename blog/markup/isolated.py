"""Rendering the texts that could take long in a child process, stopped when over budget.

Some texts take the Markdown parser minutes: 10,000 ``[`` take 17 s, 50,000 ``[^`` half a
minute inside one regular expression of the footnotes extension, which holds the GIL all the
while, so that every thread of the process stops with it (``bench/pathological.py``). Only
another process can be stopped whatever it is doing. Fields the renderer reads in
milliseconds (``render.costly`` says which) are rendered in place; an article with a costly
field is sent whole to a child process, which is killed if it overruns the budget and
started again for the next one.

The child is started on the first costly article (a fresh interpreter: half a second, not
counted in the budget) and kept: most processes never start one.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Collection, Sequence
from multiprocessing.connection import Connection
from pathlib import Path

from markupsafe import Markup

log = logging.getLogger(__name__)

READY = "ready"
# The folder holding the ``blog`` package, checked out or installed: first on the child's path.
_ROOT = str(Path(__file__).resolve().parent.parent.parent)
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from blog.markup.isolated import serve; serve(sys.argv[2:])"
)


class OverBudget(Exception):
    """The render did not finish within its budget."""


class RenderFailed(Exception):
    """The render process could not be started or died twice: nothing is known of the text."""


class Busy(OverBudget):
    """The child was rendering another article for the whole budget: nothing is known yet
    about this one."""


class IsolatedRenderer:
    """``Renderer.html_of_parts`` in a child process, within a time budget; thread-safe."""

    def __init__(self, embed_hosts: Collection[str]) -> None:
        self.embed_hosts = tuple(embed_hosts)
        self._child: tuple[subprocess.Popen[bytes], Connection, Connection] | None = None
        self._lock = threading.Lock()  # one render at a time: the child does one at a time
        self._owner = os.getpid()  # the process the child belongs to

    def html_of_parts(self, parts: Sequence[tuple[str, str]], budget: float) -> Markup:
        """The article's HTML, or ``OverBudget`` when the child takes longer than ``budget``
        seconds (it is then killed) or is busy with another article for that long. A child
        that died before (killed from outside, say) is replaced and the render tried again:
        only the clock can put an article over budget."""
        if not self._lock.acquire(timeout=budget):
            raise Busy(f"the render process was busy for {budget:g} s")
        try:
            if self._owner != os.getpid():  # forked (a gunicorn worker): that child is not ours
                self._child, self._owner = None, os.getpid()
            for attempt in (1, 2):
                try:
                    ok, answer = self._ask(list(parts), budget)
                    break
                except (EOFError, OSError) as e:  # the child was gone
                    self.stop()
                    if attempt == 2:
                        raise RenderFailed(f"the render process failed: {e}") from e
        finally:
            self._lock.release()
        if not ok:
            raise RuntimeError(f"rendering failed in the render process: {answer}")
        return Markup(answer)

    def warm(self) -> threading.Thread:
        """Start the child in a thread now, when a render is known to come (a freeze
        after an edit), so that its start overlaps the caller's other work. Not before a
        fork: a forked process would inherit the lock held meanwhile."""

        def start() -> None:
            with self._lock:
                if self._child is None and self._owner == os.getpid():
                    try:
                        self._start()
                    except OSError as e:  # the render that needs it will say so
                        log.debug("render process not started ahead: %s", e)

        thread = threading.Thread(target=start, name="render-warm", daemon=True)
        thread.start()
        return thread

    def _ask(self, parts: list[tuple[str, str]], budget: float) -> tuple[bool, str]:
        _, to_child, from_child = self._child or self._start()
        to_child.send(parts)
        if not from_child.poll(budget):
            self.stop()
            raise OverBudget(f"not rendered in {budget:g} s")
        answer: tuple[bool, str] = from_child.recv()
        return answer

    def _start(self) -> tuple[subprocess.Popen[bytes], Connection, Connection]:
        # A fresh interpreter (-P: no folder of ours shadows a standard module), never a
        # fork of a process with threads running; it imports the markup layer alone.
        child = subprocess.Popen(
            [sys.executable, "-P", "-c", _BOOT, _ROOT, *self.embed_hosts],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert child.stdin is not None and child.stdout is not None
        to_child = Connection(os.dup(child.stdin.fileno()), readable=False)
        from_child = Connection(os.dup(child.stdout.fileno()), writable=False)
        child.stdin.close()
        child.stdout.close()
        self._child = child, to_child, from_child
        if not from_child.poll(60) or from_child.recv() != READY:
            self.stop()  # its imports done: what follows is the render alone
            raise OSError("the render process did not start")
        return self._child

    def stop(self) -> None:
        """Kill the child, if there is one (a new one is started when next needed)."""
        if self._child is not None:
            child, to_child, from_child = self._child
            self._child = None
            child.kill()
            child.wait()
            to_child.close()
            from_child.close()


def serve(embed_hosts: Sequence[str]) -> None:
    """The child: render each article sent, answer (True, html) or (False, the error).
    Its standard output carries the answers; anything printed goes to standard error."""
    from blog.markup.render import Renderer

    to_parent = Connection(os.dup(1), readable=False)
    from_parent = Connection(os.dup(0), writable=False)
    os.dup2(2, 1)
    renderer = Renderer(embed_hosts)
    to_parent.send(READY)
    while True:
        try:
            parts = from_parent.recv()
        except EOFError:  # the parent has gone
            return
        try:
            to_parent.send((True, str(renderer.html_of_parts(parts))))
        except Exception as e:  # reported in the parent, which goes on serving
            to_parent.send((False, repr(e)))
